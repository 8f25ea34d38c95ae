// Services compiled on first use (service-table.ts): a lookup compiles that service alone, an
// iteration compiles the rest in file order, a compile that throws stands in a service that
// denies, and a set loaded with compileLazily decides exactly as one compiled at load time.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import { NO_IDENTITY } from '../../../src/identity/types.js';
import { isEngineService, type EngineService } from '../../../src/policy/compiled.js';
import { loadPolicyDir, type LoadResult } from '../../../src/policy/load.js';
import { DestinationTable, ServiceTable, type PendingService } from '../../../src/policy/service-table.js';
import { identityFromCase, requestFromCase } from '../../../src/policy/test-cases.js';
import type { CompiledService, PolicySnapshot } from '../../../src/policy/types.js';

const POSITION = Object.freeze({ file: 'x.yaml', line: 1, col: 1 });

function header(name: string): CompiledService {
  return { name, spiffeId: `spiffe://example.org/${name}`, audience: name, mode: 'enforce', forwardToken: false, position: POSITION, rules: [] };
}

/** Pending services that count their compiles; `broken` ones throw. */
function fakes(names: readonly string[], broken: readonly string[] = []) {
  const compiled: string[] = [];
  const pending = new Map<string, PendingService>();
  for (const name of names) {
    pending.set(name, {
      compile: () => {
        compiled.push(name);
        if (broken.includes(name)) throw new Error(`boom ${name}`);
        return { ...header(name), index: { lookup: () => [] } } as unknown as EngineService;
      },
      uncompiled: () => header(name),
    });
  }
  return { pending, compiled };
}

describe('ServiceTable', () => {
  it('compiles a service when it is first asked for, once, and no other', () => {
    const { pending, compiled } = fakes(['a', 'b', 'c']);
    const table = new ServiceTable(pending);
    expect(table.pending).toBe(3);
    const b = table.get('b');
    expect(b?.name).toBe('b');
    expect(table.get('b')).toBe(b);
    expect(compiled).toEqual(['b']);
    expect(table.pending).toBe(2);
    expect(table.get('nope')).toBeUndefined();
    expect([table.has('a'), table.has('b'), table.has('nope'), table.size]).toEqual([true, true, false, 3]);
    expect([...table.keys()]).toEqual(['a', 'b', 'c']);
    expect(compiled).toEqual(['b']);
  });

  it('compiles the rest when iterated, and iterates in file order', () => {
    const { pending, compiled } = fakes(['a', 'b', 'c']);
    const table = new ServiceTable(pending);
    table.get('c');
    expect([...table].map(([name, s]) => [name, s.name])).toEqual([['a', 'a'], ['b', 'b'], ['c', 'c']]);
    expect(compiled).toEqual(['c', 'a', 'b']);
    expect([...table.values()].map((s) => s.name)).toEqual(['a', 'b', 'c']);
    const seen: string[] = [];
    table.forEach((s, name) => seen.push(`${name}=${s.name}`));
    expect(seen).toEqual(['a=a', 'b=b', 'c=c']);
    expect(compiled).toHaveLength(3);
  });

  it('compiles one service per compileNext() in file order and says whether any is left', () => {
    const { pending, compiled } = fakes(['a', 'b']);
    const table = new ServiceTable(pending);
    expect(table.compileNext()).toBe(true);
    expect(compiled).toEqual(['a']);
    expect(table.compileNext()).toBe(false);
    expect([compiled, table.pending]).toEqual([['a', 'b'], 0]);
    expect(table.compileNext()).toBe(false);
    expect(compiled).toEqual(['a', 'b']);
    expect(new ServiceTable(new Map()).compileNext()).toBe(false);
  });

  it('never throws, even if the stand-in cannot be made', () => {
    const table = new ServiceTable(new Map([['x', { compile: () => { throw new Error('a'); }, uncompiled: () => { throw new Error('b'); } }]]));
    const x = table.get('x');
    expect([x?.name, x?.rules.length, x !== undefined && isEngineService(x)]).toEqual(['x', 0, false]);
    expect(table.failures.map((f) => f.error.message)).toEqual(['a']);
    expect(table.get('x')).toBe(x);
  });

  it('answers a service whose compile throws with a stand-in that has no index (so decide denies internal_error)', () => {
    const { pending, compiled } = fakes(['a', 'b'], ['b']);
    const table = new ServiceTable(pending);
    const b = table.get('b');
    expect(b?.name).toBe('b');
    expect(b !== undefined && isEngineService(b)).toBe(false);
    expect(table.get('b')).toBe(b);
    expect(compiled).toEqual(['b']);
    expect(table.failures.map((f) => [f.service, f.error.message])).toEqual([['b', 'boom b']]);
    const request = requestFromCase({ request: { kind: 'http', method: 'GET', path: '/x' }, caller: {} } as never, 'b');
    const snapshot = { generation: 1, services: table } as unknown as PolicySnapshot;
    const decision = decide(request, NO_IDENTITY, snapshot, { service: b, selectedBy: 'context_extensions', requested: 'b' });
    expect([decision.verdict, decision.reason, decision.detail]).toEqual(['deny', 'internal_error', 'service_not_compiled']);
  });

  it('finds services by spiffeId through the table (DestinationTable)', () => {
    const { pending, compiled } = fakes(['a', 'b']);
    const table = new ServiceTable(pending);
    const byId = new DestinationTable(table, new Map([['spiffe://example.org/b', 'b']]));
    expect(byId.get('spiffe://example.org/a')).toBeUndefined();
    expect(byId.get('spiffe://example.org/b')).toBe(table.get('b'));
    expect(compiled).toEqual(['b']);
    expect([byId.size, byId.has('spiffe://example.org/b'), [...byId.keys()]]).toEqual([1, true, ['spiffe://example.org/b']]);
    expect([...byId].map(([id, s]) => [id, s.name])).toEqual([['spiffe://example.org/b', 'b']]);
  });
});

describe('loadPolicyDir with compileLazily', () => {
  const dir = path.resolve(import.meta.dirname, '../../../policies');

  function snapshotOf(result: LoadResult): PolicySnapshot {
    if (!result.ok) throw new Error('the example set does not load');
    return { ...result.snapshot, generation: 1, loadedAt: 0 };
  }

  it('compiles nothing while loading; the default compiles everything', async () => {
    const lazy = snapshotOf(await loadPolicyDir(dir, { compileLazily: true }));
    const eager = snapshotOf(await loadPolicyDir(dir));
    expect(lazy.services.size).toBe(4);
    expect((lazy.services as ServiceTable).pending).toBe(4);
    expect((eager.services as ServiceTable).pending).toBe(0);
    expect(lazy.byDestination.get('spiffe://example.org/ns/payments/sa/api')?.name).toBe('payments');
    expect((lazy.services as ServiceTable).pending).toBe(3);
  });

  it('decides every case of the example tests as the set compiled at load time does', async () => {
    const loaded = await loadPolicyDir(dir, { compileLazily: true });
    const lazy = snapshotOf(loaded);
    const eager = snapshotOf(await loadPolicyDir(dir));
    const cases = loaded.ok ? loaded.tests.flatMap((f) => f.cases.map((c) => ({ file: f, c }))) : [];
    expect(cases.length).toBeGreaterThan(20);
    const outcome = (snapshot: PolicySnapshot, { file, c }: (typeof cases)[number]) => {
      const request = requestFromCase(c, file.service);
      const selection = selectService(request, snapshot, undefined);
      const identity = identityFromCase(c, snapshot.trust, selection.service?.audience ?? file.service);
      const d = decide(request, identity, snapshot, selection, { trace: true });
      return { verdict: d.verdict, reason: d.reason, rule: d.rule, entry: d.entry, trace: d.trace.map((s) => s.message) };
    };
    for (const x of cases) {
      const got = outcome(lazy, x);
      expect(got, `${x.file.service}: ${x.c.name}`).toEqual(outcome(eager, x));
      expect(got.verdict, `${x.file.service}: ${x.c.name}`).toBe(x.c.expect.verdict);
    }
  });
});
