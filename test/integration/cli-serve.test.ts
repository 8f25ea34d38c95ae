// `tollgate serve` as a user runs it: the built CLI as a child process — start-up on the example
// policies, exit 2 on bad flags or an invalid policy set, and SIGTERM under load draining to exit 0.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { checkClient } from '../helpers/server.js';
import { CLI, ROOT, logLine } from './cli-run.js';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[]): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TOLLGATE_LOG_LEVEL: 'info' } });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stderr: () => err };
}

/** grpc.health.v1.Health/Check of `service` at `address`: the status name. */
function healthStatus(address: string, service: string): Promise<string> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as any;
  const health = new pkg.grpc.health.v1.Health(address, credentials.createInsecure());
  return new Promise<string>((resolve, reject) =>
    health.Check({ service }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r.status))),
  ).finally(() => health.close());
}

/** The bound gRPC and admin addresses, read from the "tollgate serving" log line. */
async function serving(child: ChildProcess): Promise<{ grpc: string; admin: string }> {
  const rec = await logLine(child, 'tollgate serving');
  return { grpc: String(rec.grpc), admin: String(rec.admin) };
}

describe('tollgate serve (child process)', () => {
  it("logs a policy set's lint warnings with file:line:col once it is serving", async () => {
    const p = run(['serve', '--policies', join(ROOT, 'test/fixtures/cli/warnings'), '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0']);
    const linted = logLine(p.child, 'policy set linted');
    await serving(p.child);
    expect(await linted).toMatchObject({ generation: 1, warnings: 2 });
    expect(p.stderr()).toMatch(/orders\.yaml:9:5: warning: rule nobody-yet allows nobody/);
    // Compiling what no check has asked for, then linting, come after the serving line: neither
    // delays the start of a large set.
    expect(p.stderr().indexOf('tollgate serving')).toBeLessThan(p.stderr().indexOf('policy set compiled'));
    expect(p.stderr().indexOf('policy set compiled')).toBeLessThan(p.stderr().indexOf('policy set linted'));
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('serves the example policies and drains on SIGTERM under load, exiting 0', async () => {
    const p = run(['serve', '--policies', 'policies', '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0']);
    const addr = await serving(p.child);
    expect((await fetch(`http://${addr.admin}/readyz`)).status).toBe(200);
    // The bundle carries grpc-health-check (esbuild.mjs points it at its own .proto files).
    expect(await healthStatus(addr.grpc, 'envoy.service.auth.v3.Authorization')).toBe('SERVING');
    const client = checkClient(addr.grpc);
    const spec = { service: 'payments', http: 'GET /v1/ledger/entries', principal: 'spiffe://example.org/ns/billing/sa/reporter' };
    expect((await client.check(spec)).status.code).toBe(0);
    const burst = Array.from({ length: 200 }, () => client.check(spec).then((r) => r.status.code, (e: ServiceError) => `error:${e.code}`));
    await burst[0];
    p.child.kill('SIGTERM');
    const outcomes = await Promise.all(burst);
    for (const o of outcomes) expect([0, `error:${grpcStatus.UNAVAILABLE}`]).toContain(o);
    expect(await p.exit).toBe(0);
    expect(p.stderr()).toContain('drained; exiting');
    client.close();
  });

  it('exits 2 with file:line:col when the policy set is invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-bad-'));
    await writeFile(join(dir, 'trust.yaml'), 'kind: Trust\ntrustDomains: [example.org]\n');
    await writeFile(join(dir, 'svc.yaml'), 'kind: ServicePolicy\nservice: svc\nrules:\n  - name: r\n    methods: [{ http: GET /x }]\n    allow:\n      - spiffe: not-a-spiffe-id\n');
    const p = run(['serve', '--policies', dir, '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0']);
    expect(await p.exit).toBe(2);
    expect(p.stderr()).toMatch(/svc\.yaml:7:\d+: error: /);
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one clear error, and no crash from the exit hooks, when the audit file cannot be opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-'));
    const file = join(dir, 'missing-dir', 'audit.log');
    const p = run(['serve', '--policies', 'policies', '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--audit-file', file]);
    expect(await p.exit).toBe(2);
    expect(p.stderr()).toContain(`--audit-file ${file}: ENOENT`);
    // The last word points at that one problem, not at the (valid) policies.
    expect(p.stderr().trimEnd().split('\n').at(-1)).toBe('tollgate serve: not starting: the problem above');
    // pino's exit hook used to flush the never-opened file and crash: "sonic boom is not ready yet".
    expect(p.stderr()).not.toMatch(/sonic boom|^\s+at /m);
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['serve', '--no-such-flag']],
    [['serve', '--grpc', 'nonsense']],
    [['frobnicate']],
  ])('exits 2 on bad usage %j', async (args) => {
    const p = run(args);
    expect(await p.exit).toBe(2);
    expect(p.stderr().length).toBeGreaterThan(0);
  });

  it('prints help and exits 0', async () => {
    const p = run(['serve', '--help']);
    expect(await p.exit).toBe(0);
  });
});
