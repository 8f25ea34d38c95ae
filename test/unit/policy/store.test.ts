// The policy store on real files: generations, the empty snapshot before the first load,
// keeping the last good set on errors (logged with file:line:col, counted), and reloads from
// fs.watch for file edits, JWKS changes and Kubernetes ConfigMap `..data` symlink swaps.

import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '../../../src/observability/metrics.js';
import type { ServiceTable } from '../../../src/policy/service-table.js';
import { createPolicyStore, EMPTY_SNAPSHOT } from '../../../src/policy/store.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { PUBLIC_JWKS } from '../decision/fixtures.js';

const TRUST = 'kind: Trust\ntrustDomains: [example.org]\nissuers:\n  idp:\n    issuer: https://idp\n    jwks: { file: jwks/idp.json }\n    algorithms: [ES256]\n';
const service = (name: string) => `kind: ServicePolicy\nservice: ${name}\nrules:\n  - name: r\n    methods: [{ http: GET /x }]\n    allow: [{ token: { issuer: idp } }]\n`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-store-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function policyDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  await mkdir(path.join(dir, 'jwks'));
  await writeFile(path.join(dir, 'jwks', 'idp.json'), PUBLIC_JWKS);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

function harness(dir: string, holdWarnings = false) {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const policyReload = vi.fn();
  const metrics = { policyReload } as unknown as Metrics;
  const store = createPolicyStore({ dir, metrics, logger, now: () => 1234, debounceMs: 20, holdWarnings });
  cleanup.push(async () => store.close());
  const waiters: ((s: PolicySnapshot) => void)[] = [];
  store.onSwap((s) => waiters.shift()?.(s));
  const nextSwap = () => new Promise<PolicySnapshot>((resolve) => waiters.push(resolve));
  return { store, logger, policyReload, nextSwap };
}

/** Resolves when the store logs its next failed load (the watch path has no other signal). */
function nextFailure(logger: { error: ReturnType<typeof vi.fn> }): Promise<void> {
  return new Promise((resolve) => {
    logger.error.mockImplementation((_obj: object, msg?: string) => {
      if (msg?.startsWith('policy load failed')) resolve();
    });
  });
}

describe('policy store', () => {
  it("logs a good set's lint warnings with file:line:col right after the swap", async () => {
    const open = 'kind: ServicePolicy\nservice: open\nrules:\n  - name: nobody\n    methods: [{ http: GET /x }]\n';
    const { store, logger } = harness(await policyDir({ 'trust.yaml': TRUST, 'open.yaml': open }));
    const linted = new Promise<object>((resolve) => {
      logger.info.mockImplementation((fields: object, msg?: string) => {
        if (msg === 'policy set linted') resolve(fields);
      });
    });
    expect(await store.load()).toEqual({ ok: true, generation: 1 });
    expect(await linted).toMatchObject({ generation: 1, warnings: 2 });
    const warned = logger.warn.mock.calls.map((call) => String(call[1]));
    expect(warned).toContainEqual(expect.stringMatching(/open\.yaml:4:5: warning: rule nobody allows nobody/));
    expect(warned).toContainEqual(expect.stringMatching(/trust\.yaml:\d+:\d+: warning: issuer idp is never referenced/));
  });

  it('holds the warnings of a start-up load until releaseWarnings()', async () => {
    const open = 'kind: ServicePolicy\nservice: open\nrules:\n  - name: nobody\n    methods: [{ http: GET /x }]\n';
    const { store, logger } = harness(await policyDir({ 'trust.yaml': TRUST, 'open.yaml': open }), true);
    expect(await store.load()).toEqual({ ok: true, generation: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.warn).not.toHaveBeenCalled();
    const linted = new Promise<object>((resolve) => {
      logger.info.mockImplementation((fields: object, msg?: string) => {
        if (msg === 'policy set linted') resolve(fields);
      });
    });
    store.releaseWarnings();
    expect(await linted).toMatchObject({ generation: 1, warnings: 2 });
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('compiles the services no check has asked for once released, then lints', async () => {
    const dir = await policyDir({ 'trust.yaml': TRUST, 'a.yaml': service('a'), 'b.yaml': service('b'), 'c.yaml': service('c') });
    const { store, logger } = harness(dir, true);
    const order: string[] = [];
    const compiled = new Promise<object>((resolve) => {
      logger.info.mockImplementation((fields: object, msg?: string) => {
        order.push(String(msg));
        if (msg === 'policy set compiled') resolve(fields);
      });
    });
    expect(await store.load()).toEqual({ ok: true, generation: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    const table = store.current().services as ServiceTable;
    expect(table.pending).toBe(3);
    expect(table.get('b')?.rules.map((r) => r.name)).toEqual(['r']);
    expect(table.pending).toBe(2);
    store.releaseWarnings();
    expect(await compiled).toMatchObject({ generation: 1, services: 3, failed: 0 });
    expect(table.pending).toBe(0);
    await vi.waitFor(() => expect(order).toContain('policy set linted'));
    expect(order.indexOf('policy set compiled')).toBeLessThan(order.indexOf('policy set linted'));
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('stops compiling a set once a reload has replaced it, and on close()', async () => {
    vi.useFakeTimers({ toFake: ['setImmediate'] });
    try {
      const dir = await policyDir({ 'trust.yaml': TRUST, 'a.yaml': service('a'), 'b.yaml': service('b'), 'c.yaml': service('c') });
      const { store, logger } = harness(dir);
      expect(await store.load()).toEqual({ ok: true, generation: 1 });
      const first = store.current().services as ServiceTable;
      vi.runOnlyPendingTimers(); // the pass starts: one service per turn
      expect(first.pending).toBe(2);
      expect(await store.load()).toEqual({ ok: true, generation: 2 });
      const second = store.current().services as ServiceTable;
      vi.runAllTimers();
      expect([first.pending, second.pending]).toEqual([2, 0]);
      const compiled = logger.info.mock.calls.filter((c) => c[1] === 'policy set compiled').map((c) => c[0] as object);
      expect(compiled).toEqual([expect.objectContaining({ generation: 2, services: 3 })]);
      expect(await store.load()).toEqual({ ok: true, generation: 3 });
      const third = store.current().services as ServiceTable;
      store.close();
      vi.runAllTimers();
      expect(third.pending).toBe(3);
      expect(logger.info.mock.calls.filter((c) => c[1] === 'policy set linted').map((c) => (c[0] as { generation: number }).generation)).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves the empty snapshot (generation 0, no services) before the first load', async () => {
    const { store } = harness(await policyDir({ 'trust.yaml': TRUST }));
    expect(store.current()).toBe(EMPTY_SNAPSHOT);
    expect(EMPTY_SNAPSHOT.generation).toBe(0);
    expect(EMPTY_SNAPSHOT.services.size).toBe(0);
  });

  it('swaps in good sets with increasing generations and keeps the last good one on errors', async () => {
    const dir = await policyDir({ 'trust.yaml': TRUST, 'a.yaml': service('a') });
    const { store, logger, policyReload, nextSwap } = harness(dir);
    const swapped = nextSwap();
    expect(await store.load()).toEqual({ ok: true, generation: 1 });
    expect((await swapped).generation).toBe(1);
    expect(store.current()).toMatchObject({ generation: 1, loadedAt: 1234, directory: dir });
    expect(policyReload).toHaveBeenLastCalledWith('ok', 1);

    await writeFile(path.join(dir, 'a.yaml'), 'kind: ServicePolicy\nservice: a\nrulez: []\n');
    const failed = await store.load();
    expect(failed.ok).toBe(false);
    expect(store.current().generation).toBe(1);
    expect(store.current().services.has('a')).toBe(true);
    expect(policyReload).toHaveBeenLastCalledWith('error');
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ line: 3, col: 1 }), `${path.join(dir, 'a.yaml')}:3:1: error: unknown key rulez`);

    await writeFile(path.join(dir, 'a.yaml'), service('a2'));
    expect(await store.load()).toEqual({ ok: true, generation: 2 });
    expect([...store.current().services.keys()]).toEqual(['a2']);
    expect(Object.isFrozen(store.current())).toBe(true);
  });

  it('reloads when a policy file changes, and keeps the set when the change is broken', async () => {
    const dir = await policyDir({ 'trust.yaml': TRUST, 'a.yaml': service('a') });
    const { store, logger, nextSwap } = harness(dir);
    await store.load();
    store.watch();
    const swapped = nextSwap();
    await writeFile(path.join(dir, 'b.yaml'), service('b'));
    expect([...(await swapped).services.keys()].sort()).toEqual(['a', 'b']);

    const failed = nextFailure(logger);
    await writeFile(path.join(dir, 'b.yaml'), 'kind: ServicePolicy\nservice: [\n');
    await failed;
    expect([...store.current().services.keys()].sort()).toEqual(['a', 'b']);
  });

  it('reloads when a JWKS file changes', async () => {
    const dir = await policyDir({ 'trust.yaml': TRUST, 'a.yaml': service('a') });
    const { store, nextSwap } = harness(dir);
    await store.load();
    store.watch();
    const swapped = nextSwap();
    await writeFile(path.join(dir, 'jwks', 'idp.json'), JSON.stringify({ keys: [] }));
    const next = await swapped;
    expect(next.generation).toBe(2);
    expect(next.trust.issuers.get('idp')?.jwks.fileKeys).toEqual([]);
  });

  it('follows a Kubernetes ConfigMap update (atomic ..data symlink swap)', async () => {
    const dir = await tempDir();
    const version = async (name: string, svc: string) => {
      await mkdir(path.join(dir, name, 'jwks'), { recursive: true });
      await writeFile(path.join(dir, name, 'trust.yaml'), TRUST);
      await writeFile(path.join(dir, name, 'jwks', 'idp.json'), PUBLIC_JWKS);
      await writeFile(path.join(dir, name, 'svc.yaml'), service(svc));
    };
    await version('..2024_01_01', 'first');
    await symlink('..2024_01_01', path.join(dir, '..data'));
    for (const f of ['trust.yaml', 'svc.yaml', 'jwks']) await symlink(`..data/${f}`, path.join(dir, f));
    const { store, nextSwap } = harness(dir);
    await store.load();
    expect([...store.current().services.keys()]).toEqual(['first']);
    store.watch();

    await version('..2024_01_02', 'second');
    const swapped = nextSwap();
    await symlink('..2024_01_02', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    expect([...(await swapped).services.keys()]).toEqual(['second']);
  });

  it('never throws from load, even for a missing directory', async () => {
    const { store, logger } = harness(path.join(os.tmpdir(), 'tollgate-no-such-dir-xyz'));
    const result = await store.load();
    expect(result.ok).toBe(false);
    expect(store.current()).toBe(EMPTY_SNAPSHOT);
    expect(logger.error).toHaveBeenCalled();
  });
});
