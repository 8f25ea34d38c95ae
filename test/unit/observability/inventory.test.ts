import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyDir } from '../../../src/policy/load.js';
import type { ServiceTable } from '../../../src/policy/service-table.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { createInventory, inventoryDocument, unusedDocument } from '../../../src/observability/inventory.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { metricValue } from './capture.js';
import { decision, denied, identity, record, request, rule, snapshot, token } from './fixtures.js';

const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';
const OPS = 'spiffe://example.org/ns/ops/sa/admin';

function clock(start = Date.parse('2025-03-01T12:00:00Z')): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function peer(spiffeId: string) {
  return identity({ peer: { spiffeId, trustDomain: 'example.org', path: spiffeId.slice('spiffe://example.org'.length), source: 'principal' } });
}

describe('inventory edges', () => {
  it('keys edges by service, rule and caller, with count, first/last seen and last decision', () => {
    const c = clock();
    const inv = createInventory({ now: c.now });
    inv.observe(record());
    c.advance(60_000);
    inv.observe(record());
    c.advance(1_000);
    inv.observe(record({ decision: denied('not_allowed', { matchedRules: ['ledger-read'] }) }));
    expect(inv.edges()).toEqual([
      {
        service: 'payments', rule: 'ledger-read', method: null, caller: REPORTER, count: 3,
        first_seen: '2025-03-01T12:00:00.000Z', last_seen: '2025-03-01T12:01:01.000Z',
        last_decision: 'deny', last_reason: 'not_allowed',
      },
    ]);
  });

  it('names callers by SPIFFE ID, else <issuer>:<sub> for a token-only caller, else anonymous', () => {
    const inv = createInventory();
    inv.observe(record({ identity: identity({ token: token() }) }));
    inv.observe(record({ identity: identity({ peer: undefined, token: token() }) }));
    inv.observe(record({ identity: identity({ peer: undefined }), decision: denied('no_credentials') }));
    inv.observe(record({ identity: undefined, request: undefined, decision: denied('malformed_request', { service: '' }) }));
    expect(inv.edges().map((e) => e.caller).sort()).toEqual(['anonymous', 'anonymous', 'corp-idp:svc-reporting', REPORTER].sort());
  });

  it('uses the method when no rule selected the request: the gRPC method, else METHOD /path', () => {
    const inv = createInventory();
    inv.observe(record({ decision: denied('no_rule'), request: request({ grpcMethod: 'payments.v1.Ledger/Delete' }) }));
    inv.observe(record({ decision: denied('no_rule'), request: request({ method: 'DELETE', rawPath: '/v1/ledger/7' }) }));
    inv.observe(record({ decision: denied('no_rule'), request: undefined }));
    const methods = inv.edges().map((e) => [e.rule, e.method]);
    expect(methods).toEqual([
      [null, '(undecodable request)'],
      [null, 'DELETE /v1/ledger/7'],
      [null, 'payments.v1.Ledger/Delete'],
    ]);
  });

  it('keeps a rule and a method with the same text apart', () => {
    const inv = createInventory();
    inv.observe(record({ decision: decision({ rule: 'payments.v1.Ledger/Get' }) }));
    inv.observe(record({ decision: denied('no_rule'), request: request({ grpcMethod: 'payments.v1.Ledger/Get' }) }));
    expect(inv.edges()).toHaveLength(2);
  });

  it('stays bounded: evicts the least recently seen edges and counts them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const c = clock();
    const inv = createInventory({ maxEdges: 3, metrics, now: c.now });
    const see = (caller: string): void => {
      c.advance(1000);
      inv.observe(record({ identity: peer(caller) }));
    };
    see(`${OPS}-a`);
    see(`${OPS}-b`);
    see(`${OPS}-c`);
    see(`${OPS}-a`); // a is now the most recently seen; b is the oldest
    see(`${OPS}-d`);
    see(`${OPS}-e`);
    expect(inv.size).toBe(3);
    expect(inv.evicted).toBe(2);
    expect(inv.edges().map((e) => e.caller)).toEqual([`${OPS}-e`, `${OPS}-d`, `${OPS}-a`]);
    expect(inv.edges().find((e) => e.caller === `${OPS}-a`)?.count).toBe(2);
    expect(await metricValue(metrics.registry, 'tollgate_inventory_evicted_total')).toBe(2);
    for (let i = 0; i < 1000; i++) see(`${OPS}-flood-${i}`);
    expect(inv.size).toBe(3);
    expect(inv.evicted).toBe(1002);
  });

  it('cuts a long method key', () => {
    const inv = createInventory();
    inv.observe(record({ decision: denied('no_rule'), request: request({ rawPath: `/${'x'.repeat(5000)}` }) }));
    expect(inv.edges()[0]!.method!.length).toBeLessThanOrEqual(256);
  });

  it('refuses a non-positive bound', () => {
    expect(() => createInventory({ maxEdges: 0 })).toThrow(/maxEdges/);
  });
});

describe('unused grants', () => {
  const policy = (generation: number, readEntries: readonly string[]): PolicySnapshot =>
    snapshot(generation, {
      payments: [
        rule('ledger-read', readEntries),
        rule('ledger-write', ['spiffe=spiffe://example.org/ns/checkout/sa/api'], { mode: 'dry-run', position: { file: 'payments.yaml', line: 20, col: 5 } }),
      ],
      orders: [rule('list', ['token=corp-idp sub=svc-*'])],
    });
  const READ = ['spiffe=spiffe://example.org/ns/billing/sa/reporter', 'spiffe=spiffe://example.org/ns/ops/*', 'token=corp-idp sub=svc-reporting'];

  it('lists every allow entry that no allowed request used; denies and shadow denies use none', () => {
    const inv = createInventory();
    const snap = policy(3, READ);
    inv.observe(record({ decision: decision({ rule: 'ledger-read', entry: 1 }) }));
    inv.observe(record({ decision: denied('not_allowed', { matchedRules: ['ledger-write'] }) }));
    inv.observe(record({ decision: decision({ verdict: 'shadow_deny', reason: 'not_allowed', rule: '', entry: -1, service: 'orders' }) }));
    expect(inv.unused(snap)).toEqual([
      { service: 'payments', rule: 'ledger-read', entry: 0, grant: READ[0], mode: 'enforce', file: 'payments.yaml', line: 7 },
      { service: 'payments', rule: 'ledger-read', entry: 2, grant: READ[2], mode: 'enforce', file: 'payments.yaml', line: 7 },
      { service: 'payments', rule: 'ledger-write', entry: 0, grant: 'spiffe=spiffe://example.org/ns/checkout/sa/api', mode: 'dry-run', file: 'payments.yaml', line: 20 },
      { service: 'orders', rule: 'list', entry: 0, grant: 'token=corp-idp sub=svc-*', mode: 'enforce', file: 'payments.yaml', line: 7 },
    ]);
  });

  it('follows a grant by its text across a reload that reorders the entries', () => {
    let current = policy(3, READ);
    const inv = createInventory({ policy: () => current });
    inv.observe(record({ decision: decision({ rule: 'ledger-read', entry: 1, generation: 3 }) }));
    current = policy(4, [READ[2]!, READ[0]!, READ[1]!]); // the used entry moved from 1 to 2
    const unused = inv.unused(current).filter((g) => g.rule === 'ledger-read');
    expect(unused.map((g) => [g.entry, g.grant])).toEqual([
      [0, READ[2]],
      [1, READ[0]],
    ]);
  });

  it('compiles no other service of a lazily compiled set to record a grant', async () => {
    const loaded = await loadPolicyDir(path.resolve(import.meta.dirname, '../../../policies'), { compileLazily: true });
    if (!loaded.ok) throw new Error('the example set does not load');
    const current: PolicySnapshot = { ...loaded.snapshot, generation: 1, loadedAt: 0 };
    const table = current.services as ServiceTable;
    const used = table.get('payments')?.rules[0]?.name ?? '';
    const inv = createInventory({ policy: () => current });
    inv.observe(record({ decision: decision({ service: 'payments', rule: used, entry: 0, generation: 1 }) }));
    expect(table.pending).toBe(3);
    const unused = inv.unused(current);
    expect(table.pending).toBe(0);
    expect(unused.some((g) => g.service === 'payments' && g.rule === used && g.entry === 0)).toBe(false);
    expect(new Set(unused.map((g) => g.service))).toContain('ledger');
  });

  it('without the policy at hand, identifies a grant by its position', () => {
    const inv = createInventory();
    inv.observe(record({ decision: decision({ rule: 'ledger-read', entry: 2 }) }));
    expect(inv.unused(policy(3, READ)).filter((g) => g.rule === 'ledger-read').map((g) => g.entry)).toEqual([0, 1]);
  });

  it('forgets nothing when edges are evicted', () => {
    const inv = createInventory({ maxEdges: 1 });
    inv.observe(record({ decision: decision({ rule: 'ledger-read', entry: 0 }) }));
    inv.observe(record({ decision: decision({ rule: 'ledger-read', entry: 2 }), identity: peer(OPS) }));
    inv.observe(record({ decision: denied('no_rule'), identity: peer(`${OPS}-x`) }));
    expect(inv.evicted).toBe(2);
    expect(inv.unused(policy(3, READ)).filter((g) => g.rule === 'ledger-read').map((g) => g.entry)).toEqual([1]);
  });

  it('renders the admin documents', () => {
    const c = clock();
    const inv = createInventory({ now: c.now, maxEdges: 5 });
    inv.observe(record());
    const doc = JSON.parse(JSON.stringify(inventoryDocument(inv))) as Record<string, unknown>;
    expect(doc).toMatchObject({ since: '2025-03-01T12:00:00.000Z', max_edges: 5, size: 1, evicted: 0 });
    expect(doc.edges).toHaveLength(1);
    const unused = unusedDocument(inv, policy(3, READ));
    expect(unused.policy_generation).toBe(3);
    expect(unused.unused.map((g) => `${g.service}/${g.rule}#${g.entry}`)).toEqual([
      'payments/ledger-read#1', 'payments/ledger-read#2', 'payments/ledger-write#0', 'orders/list#0',
    ]);
  });
});
