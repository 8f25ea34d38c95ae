// Invariants of decide() over generated policies, requests and callers (fast-check): no policy
// denies, adding a rule never takes an allow away, a holding deny entry always denies, an
// ambiguous path never allows, and tracing never changes the decision.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import { checkEntry } from '../../../src/policy/entries.js';
import { compileEntry } from '../../../src/policy/compile.js';
import { req, tokenOf, who } from './fixtures.js';
import { MEMORY_TRUST, memorySnapshot, serviceOf } from './memory-policy.js';

const SEG = fc.constantFrom('a', 'b', 'c');
const PATTERN_SEG = fc.constantFrom('a', 'b', '*', '**', 'a*', '*b');
const pathArb = fc.array(SEG, { maxLength: 3 }).map((s) => `/${s.join('/')}`);
const patternArb = fc.array(PATTERN_SEG, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
const httpMethodArb = fc.constantFrom('GET', 'POST');
const methodSpecArb = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'POST', '*', 'GET|POST'), patternArb).map(([m, p]) => ({ http: `${m} ${p}` })),
  fc.constantFrom('p.S/Get*', 'p.S/*', 'p.S/Put', 'p.*/Get*').map((g) => ({ grpc: g })),
);
const PEERS = ['spiffe://example.org/ns/a', 'spiffe://example.org/ns/b/c', 'spiffe://example.org/ns/b/d'];
const spiffePatternArb = fc.constantFrom('spiffe://example.org/ns/a', 'spiffe://example.org/ns/*', 'spiffe://example.org/**', 'spiffe://example.org/ns/b/**', 'spiffe://example.org/ns/b/c');
const tokenEntryArb = fc.record(
  { issuer: fc.constant('corp-idp'), subject: fc.constantFrom('s1', 's*', 's2'), scopes: fc.subarray(['r', 'w']) },
  { requiredKeys: ['issuer'] },
);
const entryArb = fc.oneof(
  spiffePatternArb.map((spiffe) => ({ spiffe })),
  tokenEntryArb.map((token) => ({ token })),
  fc.tuple(spiffePatternArb, tokenEntryArb).map(([spiffe, token]) => ({ spiffe, token })),
);
const ruleArb = (name: string, withDeny: boolean) =>
  fc.record(
    {
      name: fc.constant(name),
      mode: fc.constantFrom('enforce', 'dry-run'),
      methods: fc.array(methodSpecArb, { minLength: 1, maxLength: 3 }),
      require: fc.subarray(['mtls', 'token'] as const),
      allow: fc.array(entryArb, { maxLength: 3 }),
      deny: withDeny ? fc.array(entryArb, { maxLength: 1 }) : fc.constant([]),
    },
    { requiredKeys: ['name', 'methods', 'allow', 'deny'] },
  );
const rulesArb = fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`, true))));
const serviceModeArb = fc.constantFrom('enforce', 'dry-run');

const requestArb = fc.oneof(
  fc.tuple(httpMethodArb, pathArb).map(([method, path]) => req({ service: 'svc', method, path })),
  fc.constantFrom('p.S/GetX', 'p.S/Put', 'p.T/GetY').map((grpc) => req({ service: 'svc', grpc })),
);
const identityArb = fc
  .record({
    peer: fc.option(fc.constantFrom(...PEERS), { nil: undefined }),
    token: fc.option(fc.record({ sub: fc.constantFrom('s1', 's2', 'x'), scopes: fc.subarray(['r', 'w']) }), { nil: undefined }),
  })
  .map(({ peer, token }) => who({ peer, token: token && tokenOf({ ...token, aud: ['svc'] }) }));

function snapshotWith(rules: readonly object[], mode: string) {
  return memorySnapshot([serviceOf({ service: 'svc', mode, rules })]);
}

function decideIn(snapshot: ReturnType<typeof snapshotWith>, request: ReturnType<typeof req>, identity: ReturnType<typeof who>) {
  return decide(request, identity, snapshot, selectService(request, snapshot, undefined));
}

describe('decide: invariants', () => {
  it('without a policy for the requested service, every request is denied (never shadowed)', () => {
    fc.assert(
      fc.property(rulesArb, serviceModeArb, requestArb, identityArb, fc.constantFrom('other', ''), (rules, mode, request, identity, name) => {
        const snapshot = snapshotWith(rules, mode);
        const r = { ...request, contextExtensions: new Map(name === '' ? [] : [['service', name]]) };
        const d = decideIn(snapshot, r, identity);
        expect([d.verdict, d.reason, d.service]).toEqual(['deny', 'no_policy', '']);
      }),
    );
  });

  it('adding a rule without deny entries never turns an allow into a deny', () => {
    fc.assert(
      fc.property(rulesArb, ruleArb('extra', false), fc.nat(), serviceModeArb, requestArb, identityArb, (rules, extra, at, mode, request, identity) => {
        const before = decideIn(snapshotWith(rules, mode), request, identity);
        fc.pre(before.verdict === 'allow');
        const more = [...rules];
        more.splice(at % (rules.length + 1), 0, extra);
        expect(decideIn(snapshotWith(more, mode), request, identity).verdict).toBe('allow');
      }),
    );
  });

  it('a deny entry that holds for the caller always denies (explicit_deny)', () => {
    fc.assert(
      fc.property(rulesArb, serviceModeArb, requestArb, identityArb, fc.nat(), (rules, mode, request, identity, at) => {
        fc.pre(identity.peer !== undefined || identity.token !== undefined);
        const deny = identity.peer !== undefined ? { spiffe: identity.peer.spiffeId } : { token: { issuer: 'corp-idp' } };
        expect(checkEntry(compileEntry(deny, MEMORY_TRUST), identity)).toBe('ok');
        const method = request.grpcMethod !== undefined ? { grpc: request.grpcMethod } : { http: `${request.method} ${request.path}` };
        const blocker = { name: 'blocker', mode: 'enforce', methods: [method], allow: [], deny: [deny] };
        const more: object[] = [...rules];
        more.splice(at % (rules.length + 1), 0, blocker);
        const d = decideIn(snapshotWith(more, mode), request, identity);
        expect([d.verdict, d.reason]).toEqual(['deny', 'explicit_deny']);
      }),
    );
  });

  it('a request with an ambiguous path is never allowed, not even in dry-run', () => {
    fc.assert(
      fc.property(rulesArb, serviceModeArb, requestArb, identityArb, (rules, mode, request, identity) => {
        const r = { ...request, problem: { reason: 'ambiguous_path' as const, detail: 'dot_segment' } };
        const d = decideIn(snapshotWith(rules, mode), r, identity);
        expect([d.verdict, d.reason]).toEqual(['deny', 'ambiguous_path']);
      }),
    );
  });

  it('tracing never changes the decision', () => {
    fc.assert(
      fc.property(rulesArb, serviceModeArb, requestArb, identityArb, (rules, mode, request, identity) => {
        const snapshot = snapshotWith(rules, mode);
        const selection = selectService(request, snapshot, undefined);
        const plain = decide(request, identity, snapshot, selection);
        const traced = decide(request, identity, snapshot, selection, { trace: true });
        expect({ ...traced, trace: [] }).toEqual(plain);
        expect(traced.trace.length).toBeGreaterThan(0);
      }),
    );
  });

  it('a shadow deny happens only when the service or every matching rule is in dry-run', () => {
    fc.assert(
      fc.property(rulesArb, serviceModeArb, requestArb, identityArb, (rules, mode, request, identity) => {
        const d = decideIn(snapshotWith(rules, mode), request, identity);
        if (d.verdict !== 'shadow_deny') return;
        const matched = rules.filter((r) => d.matchedRules.includes(r.name));
        if (matched.length === 0) expect(mode).toBe('dry-run');
        else for (const r of matched) expect(r.mode ?? mode).toBe('dry-run');
      }),
    );
  });
});
