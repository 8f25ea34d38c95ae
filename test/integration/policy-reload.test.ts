// Policy reloads under load on the real server over real gRPC: edits, a broken set (the last
// good one keeps answering) and a Kubernetes ConfigMap `..data` symlink swap, while a bounded
// loop of checks runs. Every answer must be one that a policy set in force at some moment
// during that check would give: zero wrong decisions.

import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.js';

const X = 'spiffe://example.org/ns/app/sa/x';
const Y = 'spiffe://example.org/ns/app/sa/y';
const Z = 'spiffe://example.org/ns/app/sa/z';
const TRUST = 'kind: Trust\ntrustDomains: [example.org]\n';
const rule = (name: string, http: string, callers: string[]) =>
  `  - name: ${name}\n    methods: [{ http: ${http} }]\n    allow:\n${callers.map((c) => `      - spiffe: ${c}\n`).join('')}`;
const SETS = {
  A: `kind: ServicePolicy\nservice: svc\nrules:\n${rule('read', 'GET /a', [X])}`,
  B: `kind: ServicePolicy\nservice: svc\nrules:\n${rule('read', 'GET /a', [X, Y])}${rule('extra', 'GET /b', [X])}`,
} as const;
type Version = keyof typeof SETS;

/** Probes, and what each set answers for them. */
const PROBES = [
  { principal: X, http: 'GET /a', A: 'allow', B: 'allow' },
  { principal: Z, http: 'GET /a', A: 'deny:not_allowed', B: 'deny:not_allowed' },
  { principal: Y, http: 'GET /a', A: 'deny:not_allowed', B: 'allow' },
  { principal: X, http: 'GET /b', A: 'deny:no_rule', B: 'allow' },
  { principal: X, http: 'GET /c', A: 'deny:no_rule', B: 'deny:no_rule' },
] as const;

interface Result {
  readonly probe: number;
  readonly outcome: string;
  readonly from: number;
  readonly to: number;
}

let root: string;
let server: RunningServer;

/** A ConfigMap-style mount: ..<version>/ holds the files, ..data points at it, names link through ..data. */
async function writeVersion(name: string, set: Version): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(join(root, name, 'trust.yaml'), TRUST);
  await writeFile(join(root, name, 'svc.yaml'), SETS[set]);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tollgate-reload-'));
  await writeVersion('..v1', 'A');
  await symlink('..v1', join(root, '..data'));
  for (const f of ['trust.yaml', 'svc.yaml']) await symlink(`..data/${f}`, join(root, f));
  server = await startServer(root);
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

async function outcome(probe: number): Promise<string> {
  const p = PROBES[probe];
  if (p === undefined) throw new Error('no probe');
  const res = await server.client.check({ http: p.http, service: 'svc', principal: p.principal });
  const reason = res.dynamic_metadata.fields['reason']?.stringValue ?? '?';
  return res.status.code === 0 ? (reason === 'allow' ? 'allow' : `shadow:${reason}`) : `deny:${reason}`;
}

describe('policy reload under load (real server, real gRPC)', () => {
  it('never gives an answer that no set in force would give', async () => {
    // phases[i]: the sets that may be in force during phase i.
    const phases: Version[][] = [['A']];
    const enter = (...versions: Version[]) => phases.push(versions);
    const results: Result[] = [];
    let stop = false;
    let sent = 0;
    const worker = async (seed: number) => {
      while (!stop) {
        const probe = (seed + sent++) % PROBES.length;
        const from = phases.length - 1;
        const got = await outcome(probe);
        results.push({ probe, outcome: got, from, to: phases.length - 1 });
      }
    };
    const done = (n: number) => new Promise<void>((resolve) => {
      const tick = () => (results.length >= n ? resolve() : setImmediate(tick));
      tick();
    });
    const workers = [0, 1, 2, 3, 4, 5].map(worker);

    await done(300);
    enter('A', 'B'); // edit in place: the watcher may see a half-written file, then the whole one
    await writeFile(join(root, '..v1', 'svc.yaml'), SETS.B);
    expect(await server.tollgate.reload()).toBe(true);
    enter('B');

    await done(700);
    await writeFile(join(root, '..v1', 'svc.yaml'), 'kind: ServicePolicy\nservice: [svc\n');
    expect(await server.tollgate.reload()).toBe(false); // broken: B keeps answering, no window
    await done(1100);

    enter('A', 'B'); // ConfigMap update: a new version dir, then an atomic rename of ..data
    await writeVersion('..v2', 'A');
    await symlink('..v2', join(root, '..data_tmp'));
    await rename(join(root, '..data_tmp'), join(root, '..data'));
    // Only the directory watcher can pick this up: wait for the first answer of set A.
    let seen = false;
    for (let i = 0; i < 50_000 && !seen; i++) seen = (await outcome(2)) === 'deny:not_allowed';
    expect(seen).toBe(true);
    enter('A');

    await done(Math.max(results.length + 400, 2000));
    stop = true;
    await Promise.all(workers);

    const wrong = results.filter((r) => {
      const allowed = new Set(phases.slice(r.from, r.to + 1).flat());
      const probe = PROBES[r.probe];
      return probe === undefined || ![...allowed].some((v) => probe[v] === r.outcome);
    });
    expect(results.length).toBeGreaterThanOrEqual(2000);
    expect(wrong).toEqual([]);
    // Each set really answered during the run (the swaps happened under load).
    expect(results.some((r) => r.probe === 2 && r.outcome === 'allow')).toBe(true);
    expect(results.some((r) => r.probe === 2 && r.outcome === 'deny:not_allowed' && r.from === phases.length - 1)).toBe(true);
  }, 60_000);
});
