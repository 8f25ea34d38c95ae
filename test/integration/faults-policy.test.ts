// The policy directory under attack while checks run (real server, real gRPC, real files): made
// invalid, deleted and recreated, replaced by a swap of the symlink that names it. Decisions
// keep coming from the last good set — never a wrong one, never an error — and the watcher follows
// the directory wherever the path points next.

import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.js';
import { Load, metricReaches } from './faults-load.js';

const X = 'spiffe://example.org/ns/app/sa/x';
const Y = 'spiffe://example.org/ns/app/sa/y';
const TRUST = 'kind: Trust\ntrustDomains: [example.org]\n';
const rule = (name: string, http: string, callers: string[]): string =>
  `  - name: ${name}\n    methods: [{ http: ${http} }]\n    allow:\n${callers.map((c) => `      - spiffe: ${c}\n`).join('')}`;
const SETS: Record<string, string> = {
  A: `kind: ServicePolicy\nservice: svc\nrules:\n${rule('read', 'GET /a', [X])}`,
  B: `kind: ServicePolicy\nservice: svc\nrules:\n${rule('read', 'GET /a', [X, Y])}`,
  C: `kind: ServicePolicy\nservice: svc\nrules:\n${rule('read', 'GET /a', [Y])}`,
};
const PROBES = [
  { principal: X, expect: { A: 'allow', B: 'allow', C: 'deny:not_allowed' } },
  { principal: Y, expect: { A: 'deny:not_allowed', B: 'allow', C: 'allow' } },
] as const;
const expected = (state: string, probe: number): string => (PROBES[probe]?.expect as Record<string, string>)[state] ?? '?';
const ERRORS = 'tollgate_policy_reloads_total{result="error"}';

let root: string;
let server: RunningServer | undefined;
let running: Load | undefined;

async function writeSet(dir: string, set: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'trust.yaml'), TRUST);
  await writeFile(join(dir, 'svc.yaml'), SETS[set] ?? '');
}

function loadOn(s: RunningServer): Load {
  running = new Load(['A'], async (i) => {
    const res = await s.client.check({ http: 'GET /a', service: 'svc', principal: PROBES[i]?.principal ?? '' });
    return res.status.code === 0 ? 'allow' : `deny:${res.dynamic_metadata.fields.reason?.stringValue}`;
  }, PROBES.length).start();
  return running;
}

/** Wait until the set `state` answers a check sent in the current phase. */
function answersFrom(load: Load, state: string, probe: number): Promise<void> {
  return load.waitFor((o) => o.probe === probe && o.from === load.phase && o.outcome === expected(state, probe));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tollgate-faults-policy-'));
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await server?.close();
  server = undefined;
  await rm(root, { recursive: true, force: true });
});

describe('policy directory faults under load', () => {
  it('keeps answering from the last good set when the set is made invalid', async () => {
    await writeSet(join(root, 'pol'), 'A');
    const s = (server = await startServer(join(root, 'pol')));
    const load = loadOn(s);
    await load.more(200);
    await writeFile(join(root, 'pol', 'svc.yaml'), 'kind: ServicePolicy\nservice: [svc\n');
    await metricReaches(s.adminUrl, ERRORS, (v) => v >= 1); // the watcher tried and refused it
    expect(await s.tollgate.reload()).toBe(false);
    await load.more(300);
    expect((await fetch(`${s.adminUrl}/readyz`)).status).toBe(200);
    await load.stop();
    expect(load.wrong(expected)).toEqual([]);
    expect(load.results.every((r) => !r.outcome.startsWith('error'))).toBe(true);
  });

  it('keeps the last good set while the directory is deleted, and follows it when it is recreated', async () => {
    const dir = join(root, 'pol');
    await writeSet(dir, 'A');
    const s = (server = await startServer(dir));
    const load = loadOn(s);
    await load.more(200);
    await rm(dir, { recursive: true });
    expect(await s.tollgate.reload()).toBe(false);
    await load.more(300);
    expect((await fetch(`${s.adminUrl}/readyz`)).status).toBe(200);
    // Recreated atomically (built aside, renamed into place): only the watcher can notice.
    await writeSet(join(root, 'staging'), 'B');
    load.enter('A', 'B');
    await rename(join(root, 'staging'), dir);
    await answersFrom(load, 'B', 1);
    load.enter('B');
    await load.more(200);
    await load.stop();
    expect(load.wrong(expected)).toEqual([]);
  });

  it('follows a swap of the symlink that names the policy directory, and edits in its new target', async () => {
    await writeSet(join(root, 'v1'), 'A');
    await writeSet(join(root, 'v2'), 'B');
    await symlink('v1', join(root, 'current'));
    const s = (server = await startServer(join(root, 'current')));
    const load = loadOn(s);
    await load.more(200);
    load.enter('A', 'B');
    await symlink('v2', join(root, 'next'));
    await rename(join(root, 'next'), join(root, 'current')); // atomic, like `ln -sfn` done right
    await answersFrom(load, 'B', 1);
    load.enter('B');
    await rm(join(root, 'v1'), { recursive: true }); // the old target goes away: nothing changes
    await load.more(200);
    load.enter('B', 'C');
    await writeFile(join(root, 'v2', 'svc.yaml'), SETS.C ?? '');
    await answersFrom(load, 'C', 0);
    load.enter('C');
    await load.more(200);
    await load.stop();
    expect(load.wrong(expected)).toEqual([]);
  });
});
