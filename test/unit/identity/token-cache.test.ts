// The verified-token cache on its own: bounded under a flood of distinct tokens, entries end at
// the token's exp (by the injected clock), stale entries are dropped, hits and misses counted.

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { KeySet } from '../../../src/identity/jwks.js';
import { createTokenCache, type CachedToken } from '../../../src/identity/token-cache.js';
import type { VerifiedToken } from '../../../src/identity/types.js';
import type { Metrics } from '../../../src/observability/metrics.js';
import { testTrust } from '../../helpers/tokens.js';

const trust = testTrust();
const keySet = { resolve: (() => undefined) as unknown, kids: new Set<string>(), size: 0 } as unknown as KeySet;

function entry(expMs: number, aud: readonly string[] = ['payments']): CachedToken {
  const token = { issuer: 'corp', iss: 'https://idp', sub: 's', aud, exp: expMs / 1000 } as unknown as VerifiedToken;
  return { token, keySet, expMs, issuerSig: 'sig' };
}

function counting(): { metrics: Metrics; counts: Record<string, number> } {
  const counts: Record<string, number> = { hit: 0, miss: 0 };
  const metrics = { cacheRequest: (_c: string, r: 'hit' | 'miss') => { counts[r] = (counts[r] ?? 0) + 1; } } as unknown as Metrics;
  return { metrics, counts };
}

describe('token cache', () => {
  it('stays within its size under a flood of distinct tokens', () => {
    const cache = createTokenCache({ max: 100, now: () => 0, isCurrent: () => true });
    for (let i = 0; i < 20_000; i++) cache.set(randomBytes(24).toString('base64url'), entry(600_000));
    expect(cache.size).toBe(100);
  });

  it('bounds memory by bytes too when tokens are large', () => {
    const cache = createTokenCache({ max: 100, now: () => 0, isCurrent: () => true });
    for (let i = 0; i < 200; i++) cache.set(`${i}-${'x'.repeat(8000)}`, entry(600_000));
    expect(cache.size).toBeLessThan(100 * 2048 / 8000 + 1);
  });

  it('answers a hit until the token expires by the injected clock, then a miss', () => {
    let now = 1_000_000;
    const { metrics, counts } = counting();
    const cache = createTokenCache({ max: 10, now: () => now, metrics, isCurrent: () => true });
    const e = entry(now + 60_000);
    cache.set('t', e);
    expect(cache.get('t', 'payments', trust)).toBe(e.token);
    now += 60_000;
    expect(cache.get('t', 'payments', trust)).toBeUndefined();
    expect(counts).toEqual({ hit: 1, miss: 1 });
    expect(cache.size).toBe(0);
  });

  it('never answers for another token that ends the same way', () => {
    const cache = createTokenCache({ max: 10, now: () => 0, isCurrent: () => true });
    const tail = randomBytes(48).toString('base64url');
    const e = entry(60_000);
    cache.set(`header.payload-a.${tail}`, e);
    expect(cache.get(`header.payload-b.${tail}`, 'payments', trust)).toBeUndefined();
    expect(cache.get(`header.payload-a.${tail}`, 'payments', trust)).toBe(e.token);
  });

  it('does not store a token that is already at its exp', () => {
    const cache = createTokenCache({ max: 10, now: () => 5000, isCurrent: () => true });
    cache.set('t', entry(5000));
    expect(cache.size).toBe(0);
  });

  it('misses for another audience without forgetting the token', () => {
    const cache = createTokenCache({ max: 10, now: () => 0, isCurrent: () => true });
    const e = entry(60_000, ['payments']);
    cache.set('t', e);
    expect(cache.get('t', 'billing', trust)).toBeUndefined();
    expect(cache.get('t', 'payments', trust)).toBe(e.token);
  });

  it('drops an entry that is no longer current (issuer changed, keys rotated)', () => {
    let current = true;
    const cache = createTokenCache({ max: 10, now: () => 0, isCurrent: () => current });
    cache.set('t', entry(60_000));
    current = false;
    expect(cache.get('t', 'payments', trust)).toBeUndefined();
    current = true;
    expect(cache.get('t', 'payments', trust)).toBeUndefined();
  });
});
