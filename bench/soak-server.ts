// The bounded leak soak (tracker issue 9): the built `tollgate serve` as a child process on
// loopback, driven over real gRPC with churning tokens (each new one verified) and paths, allowed
// and denied callers mixed. It samples the server's own /metrics (RSS, heap, open fds, handles,
// timers) as it goes, stops by itself, and exits 1 unless memory is flat (≤ 10 % growth over the
// last half), fds, handles and timers are back at their baseline, and no decision was wrong.
//   node dist/bench/soak-server.js [--checks 2000000] [--concurrency 64] [--tokens 100000]

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { buildCheckRequest, type CheckRequestSpec } from '../src/ext-authz/build.js';
import { loadExtAuthzPackage } from '../src/ext-authz/proto.js';
import type { WireCheckResponse } from '../src/ext-authz/respond.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../tollgate.mjs');
const ISS = 'https://idp.soak.example';
const READER = 'spiffe://example.org/ns/app/sa/reader';
const STRANGER = 'spiffe://example.org/ns/app/sa/stranger';

interface Sample { checks: number; seconds: number; rssMB: number; heapMB: number; fds: number; handles: number; timers: number; inFlight: number }
type Client = { Check(req: unknown, cb: (err: Error | null, res: WireCheckResponse) => void): void; close(): void };

function options(): { checks: number; concurrency: number; tokens: number } {
  const { values } = parseArgs({ options: { checks: { type: 'string', default: '2000000' }, concurrency: { type: 'string', default: '64' }, tokens: { type: 'string', default: '100000' } } });
  const num = (v: string | undefined, name: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name}: "${v}" is not a positive whole number`);
    return n;
  };
  const checks = num(values.checks, 'checks');
  return { checks, concurrency: num(values.concurrency, 'concurrency'), tokens: Math.min(num(values.tokens, 'tokens'), Math.max(100, Math.floor(checks / 10))) };
}

function policies(dir: string, publicKey: KeyObject): void {
  writeFileSync(path.join(dir, 'corp.json'), JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'soak-1', alg: 'ES256', use: 'sig' }] }));
  writeFileSync(path.join(dir, 'trust.yaml'), `kind: Trust\ntrustDomains: [example.org]\nissuers:\n  corp:\n    issuer: ${ISS}\n    jwks: { file: corp.json }\n    algorithms: [ES256]\n    maxLifetime: 6h\n`);
  writeFileSync(path.join(dir, 'svc.yaml'), `kind: ServicePolicy\nservice: svc\nrules:\n  - name: read\n    methods: [{ http: GET /v1/items/** }]\n    allow:\n      - spiffe: ${READER}\n      - token: { issuer: corp, subject: "bot-*" }\n`);
}

/** Distinct ES256 tokens (distinct jti), signed with node:crypto: fast enough for 100,000. */
function tokens(n: number, privateKey: KeyObject): string[] {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = b64({ alg: 'ES256', kid: 'soak-1', typ: 'JWT' });
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const input = `${header}.${b64({ iss: ISS, sub: `bot-${i % 50}`, aud: 'svc', iat, exp: iat + 6 * 3600, jti: `soak-${i}` })}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  });
}

/**
 * Request i and the answer it must get. Tokens churn: a window of 100 tokens in use moves on by
 * 100 every 1,000 checks (each token is used ~7 times, spread out, then never again until the pool
 * wraps); paths cycle over 100,000.
 */
function request(i: number, pool: readonly string[]): { spec: CheckRequestSpec; expect: string } {
  const p = `/v1/items/${i % 100_000}`;
  const kind = i % 10;
  const token = pool[(Math.floor(i / 1000) * 100 + (i % 100)) % pool.length] as string;
  if (kind < 7) return { spec: { service: 'svc', http: `GET ${p}`, token }, expect: 'allow' };
  if (kind < 9) return { spec: { service: 'svc', http: `GET ${p}`, principal: READER }, expect: 'allow' };
  return i % 20 === 9
    ? { spec: { service: 'svc', http: `GET ${p}`, principal: STRANGER }, expect: 'not_allowed' }
    : { spec: { service: 'svc', http: `GET /v1/items/%2e%2e/${i}`, principal: READER }, expect: 'ambiguous_path' };
}

/** GET /metrics on a connection of its own, closed after the answer (a pooled one would be counted). */
function metricsText(admin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(`http://${admin}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

async function scrape(admin: string, checks: number, t0: number): Promise<Sample> {
  const text = await metricsText(admin);
  const get = (series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? Number.NaN);
  return {
    checks, seconds: (performance.now() - t0) / 1000,
    rssMB: get('process_resident_memory_bytes') / 2 ** 20, heapMB: get('nodejs_heap_size_used_bytes') / 2 ** 20,
    fds: get('process_open_fds'), handles: get('nodejs_active_handles_total'),
    timers: get('nodejs_active_resources{type="Timeout"}') || 0, inFlight: get('tollgate_checks_in_flight'),
  };
}

function print(s: Sample): void {
  process.stdout.write(`${String(s.checks).padStart(9)} checks ${s.seconds.toFixed(0).padStart(5)} s  RSS ${s.rssMB.toFixed(1).padStart(6)} MB  heap ${s.heapMB.toFixed(1).padStart(6)} MB  fds ${s.fds}  handles ${s.handles}  timers ${s.timers}\n`);
}

async function startServer(dir: string): Promise<{ grpc: string; admin: string; stop(): Promise<number | null>; kill(): void }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--policies', dir, '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--audit-file', '/dev/null', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const addr = await new Promise<{ grpc: string; admin: string }>((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"tollgate serving"'));
      if (line !== undefined) resolve(JSON.parse(line) as { grpc: string; admin: string });
    });
    void exit.then((code) => reject(new Error(`tollgate exited ${code} before serving:\n${buf}`)));
  });
  child.stderr.resume();
  return { ...addr, stop: () => (child.kill('SIGTERM'), exit), kill: () => void (child.exitCode === null && child.kill('SIGKILL')) };
}

async function drive(client: Client, pool: readonly string[], o: ReturnType<typeof options>, onDone: (n: number) => Promise<void>): Promise<Map<string, number>> {
  const wrong = new Map<string, number>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < o.checks) {
      const { spec, expect } = request(next++, pool);
      const res = await new Promise<WireCheckResponse | Error>((resolve) => client.Check(buildCheckRequest(spec), (err, r) => resolve(err ?? r)));
      const got = res instanceof Error ? `error:${res.message}` : res.status?.code ? res.dynamic_metadata.fields.reason?.stringValue ?? '?' : 'allow';
      if (got !== expect) wrong.set(`${expect} -> ${got}`, (wrong.get(`${expect} -> ${got}`) ?? 0) + 1);
      await onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return wrong;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** RSS growth over the last half: medians of five samples at the middle and at the end. */
function verdict(samples: readonly Sample[], baseline: Sample, end: Sample, wrong: Map<string, number>): string[] {
  const m = Math.floor(samples.length / 2);
  const mid = median(samples.slice(Math.max(0, m - 2), m + 3).map((s) => s.rssMB));
  const last = median(samples.slice(-5).map((s) => s.rssMB));
  const growth = (last - mid) / mid;
  const fails: string[] = [];
  const check = (ok: boolean, text: string): void => void (ok || fails.push(text));
  check(growth <= 0.1, `RSS grew ${(growth * 100).toFixed(1)} % over the last half (limit 10 %)`);
  check(end.fds <= baseline.fds, `open fds ${baseline.fds} -> ${end.fds}`);
  check(end.handles <= baseline.handles, `active handles ${baseline.handles} -> ${end.handles}`);
  check(end.timers <= baseline.timers, `active timers ${baseline.timers} -> ${end.timers}`);
  check(end.inFlight === 0, `checks still in flight: ${end.inFlight}`);
  for (const [what, n] of wrong) fails.push(`${n} wrong answers: ${what}`);
  const peak = Math.max(...samples.map((s) => s.rssMB));
  process.stdout.write(`\nRSS ${mid.toFixed(1)} -> ${last.toFixed(1)} MB over the last half (${(growth * 100).toFixed(1)} %), peak ${peak.toFixed(1)} MB\n`);
  process.stdout.write(`fds ${baseline.fds} -> ${end.fds}, handles ${baseline.handles} -> ${end.handles}, timers ${baseline.timers} -> ${end.timers}\n`);
  return fails;
}

/** The end state, once settled: nothing in flight and no more fds, handles or timers than at the baseline (bounded). */
async function settle(admin: string, checks: number, t0: number, baseline: Sample): Promise<Sample> {
  let end = await scrape(admin, checks, t0);
  for (let i = 0; i < 200; i++) {
    if (end.inFlight === 0 && end.fds <= baseline.fds && end.handles <= baseline.handles && end.timers <= baseline.timers) break;
    await new Promise((resolve) => setImmediate(resolve));
    end = await scrape(admin, checks, t0);
  }
  return end;
}

async function main(): Promise<number> {
  const o = options();
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-soak-'));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  policies(dir, publicKey);
  process.stdout.write(`soak: ${o.checks} checks, ${o.tokens} distinct tokens, concurrency ${o.concurrency}\n`);
  const pool = tokens(o.tokens, privateKey);
  const server = await startServer(dir);
  const pkg = loadPackageDefinition(loadExtAuthzPackage()) as unknown as { envoy: { service: { auth: { v3: { Authorization: new (a: string, c: unknown) => Client } } } } };
  const client = new pkg.envoy.service.auth.v3.Authorization(server.grpc, credentials.createInsecure());
  try {
    const t0 = performance.now();
    const samples: Sample[] = [];
    const every = Math.max(1, Math.floor(o.checks / 40));
    let baseline: Sample | undefined;
    const wrong = await drive(client, pool, o, async (n) => {
      if (n % every !== 0) return;
      const s = await scrape(server.admin, n, t0);
      samples.push(s);
      baseline ??= s; // after the first 2.5 %: connections, watchers and caches are set up
      print(s);
    });
    // Compared in the same state as the baseline: the load's connection open, nothing in flight.
    const first = baseline ?? (await scrape(server.admin, o.checks, t0));
    const end = await settle(server.admin, o.checks, t0, first);
    const fails = verdict(samples, first, end, wrong);
    client.close();
    const code = await server.stop();
    if (code !== 0) fails.push(`tollgate exited ${code} on SIGTERM after the soak`);
    process.stdout.write(fails.length === 0 ? 'soak: PASS\n' : `soak: FAIL\n  ${fails.join('\n  ')}\n`);
    return fails.length === 0 ? 0 : 1;
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
