// The decision cache decorator: same answers as decide(), hits counted, keyed on everything the
// answer depends on, never past a token's exp, emptied by a newer generation, only definitive
// answers stored, and a fault falls back to deciding.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createDecisionCache } from '../../../src/decision/cache.js';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import type { Request } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';
import type { Metrics } from '../../../src/observability/metrics.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { req, snapshotOf, tokenOf, who } from './fixtures.js';

const SVC = `
kind: ServicePolicy
service: svc
rules:
  - name: read
    methods: [{ http: GET /a/* }]
    allow:
      - spiffe: spiffe://example.org/ns/app/sa/a
      - token: { issuer: corp-idp, scopes: [read] }
`;
const A = 'spiffe://example.org/ns/app/sa/a';
const B = 'spiffe://example.org/ns/app/sa/b';

let snap: PolicySnapshot;
beforeAll(async () => {
  snap = await snapshotOf({ 'svc.yaml': SVC }, 3);
});

function counting() {
  const calls: string[] = [];
  const metrics = { cacheRequest: (cache: string, result: string) => calls.push(`${cache}:${result}`) } as unknown as Metrics;
  return { calls, metrics };
}

function setup(now = () => 1_000_000) {
  const { calls, metrics } = counting();
  const cache = createDecisionCache({ max: 100, metrics, now });
  const check = (request: Request, identity: Identity, s: PolicySnapshot = snap) => cache.decide(request, identity, s, selectService(request, s, undefined));
  return { cache, calls, check };
}

describe('decision cache', () => {
  it('answers like decide() and counts a miss then a hit', () => {
    const { calls, check } = setup();
    const request = req({ service: 'svc', path: '/a/1' });
    const first = check(request, who({ peer: A }));
    const second = check(request, who({ peer: A }));
    expect(first).toMatchObject({ cache: 'miss', decision: { verdict: 'allow', rule: 'read' } });
    expect(second.cache).toBe('hit');
    expect(second.decision).toEqual(decide(request, who({ peer: A }), snap, selectService(request, snap, undefined)));
    expect(calls).toEqual(['decision:miss', 'decision:hit']);
  });

  it('keys on the path, method, caller, token and service', () => {
    const { check } = setup();
    const t = tokenOf({ scopes: ['read'], aud: ['svc'], fingerprint: 'fp-read' });
    expect(check(req({ service: 'svc', path: '/a/1' }), who({ peer: A })).decision.verdict).toBe('allow');
    expect(check(req({ service: 'svc', path: '/a/1' }), who({ peer: B })).decision.verdict).toBe('deny');
    expect(check(req({ service: 'svc', path: '/a/1/2' }), who({ peer: A })).decision.reason).toBe('no_rule');
    expect(check(req({ service: 'svc', path: '/a/1', method: 'POST' }), who({ peer: A })).decision.reason).toBe('no_rule');
    expect(check(req({ service: 'other', path: '/a/1' }), who({ peer: A })).decision.reason).toBe('no_policy');
    expect(check(req({ service: 'svc', path: '/a/1' }), who({ token: t })).decision.verdict).toBe('allow');
    const other = tokenOf({ scopes: [], aud: ['svc'], fingerprint: 'fp-none' });
    expect(check(req({ service: 'svc', path: '/a/1' }), who({ token: other }))).toMatchObject({ cache: 'miss', decision: { reason: 'not_allowed' } });
  });

  it('never keeps a decision past the token exp', () => {
    let now = 1_000_000;
    const { check } = setup(() => now);
    const t = tokenOf({ scopes: ['read'], aud: ['svc'], exp: 1_060, fingerprint: 'fp-exp' });
    const request = req({ service: 'svc', path: '/a/1' });
    expect(check(request, who({ token: t })).cache).toBe('miss');
    now = 1_059_999;
    expect(check(request, who({ token: t })).cache).toBe('hit');
    now = 1_060_000;
    expect(check(request, who({ token: t })).cache).toBe('miss');
  });

  it('forgets everything when a newer generation arrives, and never mixes in an older one', async () => {
    const { cache, check } = setup();
    const request = req({ service: 'svc', path: '/a/1' });
    check(request, who({ peer: A }));
    expect(cache.size).toBe(1);
    const newer = await snapshotOf({ 'svc.yaml': SVC.replace('sa/a', 'sa/z') }, 4);
    expect(check(request, who({ peer: A }), newer)).toMatchObject({ cache: 'miss', decision: { verdict: 'deny', generation: 4 } });
    expect(cache.size).toBe(1);
    expect(check(request, who({ peer: A }), snap)).toMatchObject({ cache: 'miss', decision: { verdict: 'allow', generation: 3 } });
    expect(check(request, who({ peer: A }), newer)).toMatchObject({ cache: 'hit', decision: { verdict: 'deny' } });
  });

  it('stores only definitive decisions', () => {
    const { cache, check } = setup();
    const request = req({ service: 'svc', path: '/a/1' });
    check(req({ service: 'svc', path: '/a/1', problem: { reason: 'ambiguous_path', detail: 'x' } }), who({ peer: A }));
    check(request, who({ peer: A, tokenFailure: { reason: 'invalid_token', detail: 'token_expired' } }));
    check(request, who({ peerFailure: { reason: 'invalid_peer_identity', detail: 'x' } }));
    check(request, { ...who({ peer: A }), tokenPresented: true });
    check(request, who({ token: tokenOf({ aud: ['svc'], fingerprint: '' }) }));
    expect(cache.size).toBe(0);
    expect(check(request, who({ peer: A, tokenFailure: { reason: 'invalid_token', detail: 'bad' } })).decision.reason).toBe('invalid_token');
  });

  it('stays bounded', () => {
    const { calls, metrics } = counting();
    const cache = createDecisionCache({ max: 10, metrics });
    for (let i = 0; i < 50; i++) {
      const request = req({ service: 'svc', path: `/a/${i}` });
      cache.decide(request, who({ peer: A }), snap, selectService(request, snap, undefined));
    }
    expect(cache.size).toBe(10);
    expect(calls.filter((c) => c === 'decision:miss')).toHaveLength(50);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('falls back to deciding when the cache itself fails', () => {
    const broken = vi.fn(() => {
      throw new Error('clock broke');
    });
    const { metrics } = counting();
    const cache = createDecisionCache({ max: 10, metrics, now: broken });
    const request = req({ service: 'svc', path: '/a/1' });
    const result = cache.decide(request, who({ peer: A }), snap, selectService(request, snap, undefined));
    expect(result).toMatchObject({ cache: 'miss', decision: { verdict: 'allow' } });
    expect(broken).toHaveBeenCalled();
  });
});
