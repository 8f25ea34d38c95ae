// The verified-token cache: a bounded LRU keyed by the token string, so a repeated token costs no
// signature check. Entries never outlive the token's exp, and a hit is re-checked against what
// may have changed since (audience, issuer config, key set, trust domains). Failures never enter.

import { LRUCache } from 'lru-cache';
import type { Metrics } from '../observability/metrics.js';
import type { TrustConfig } from '../policy/types.js';
import type { KeySet } from './jwks.js';
import type { VerifiedToken } from './types.js';

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
/** Byte bound beside the entry bound: a flood of 8 KiB tokens must not take 80 MB. */
export const TOKEN_CACHE_BYTES_PER_ENTRY = 2048;

export interface CachedToken {
  readonly token: VerifiedToken;
  /** The key set that verified it: a newer set (e.g. with its key removed) invalidates the entry. */
  readonly keySet: KeySet;
  /** Epoch ms of the token's exp. */
  readonly expMs: number;
  /** The verifying issuer's settings (algorithms, lifetime, skew, keys), to notice a change. */
  readonly issuerSig: string;
}

/** Whether an entry still holds under `trust` (issuer config unchanged, key set still in force). */
export type EntryCheck = (entry: CachedToken, trust: TrustConfig) => boolean;

export interface TokenCache {
  /** A still-valid verified token for this audience, or undefined (counted as hit or miss). */
  get(jwt: string, audience: string, trust: TrustConfig): VerifiedToken | undefined;
  /** Remember a token that verified; a token about to expire is not stored. */
  set(jwt: string, entry: CachedToken): void;
  clear(): void;
  readonly size: number;
}

export interface TokenCacheOptions {
  readonly max?: number | undefined;
  readonly now: () => number;
  readonly metrics?: Metrics | undefined;
  readonly isCurrent: EntryCheck;
}

/**
 * Map keys are the token's last characters (of its signature: in practice unique), not the whole
 * token, whose hash V8 computes afresh for each request's new string copy. A hit compares the
 * whole token, so a shared tail can only cost a re-verification, never another token's claims.
 */
export const TOKEN_KEY_CHARS = 32;

interface Slot {
  readonly jwt: string;
  readonly entry: CachedToken;
}

const keyOf = (jwt: string): string => (jwt.length <= TOKEN_KEY_CHARS ? jwt : jwt.slice(-TOKEN_KEY_CHARS));

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const max = Math.max(1, options.max ?? DEFAULT_TOKEN_CACHE_SIZE);
  const { now, metrics, isCurrent } = options;
  const lru = new LRUCache<string, Slot>({
    max,
    maxSize: max * TOKEN_CACHE_BYTES_PER_ENTRY,
    sizeCalculation: (slot) => Math.max(1, slot.jwt.length),
    // The cache's clock is the identifier's, so expiry agrees with verification.
    perf: { now },
    // Read the clock on every look-up: with the default (1 ms) lru-cache caches the time and arms
    // a timer to forget it, up to a thousand timers a second under load.
    ttlResolution: 0,
  });
  return {
    get(jwt, audience, trust) {
      const key = keyOf(jwt);
      const slot = lru.get(key);
      const entry = slot !== undefined && slot.jwt === jwt ? slot.entry : undefined;
      if (entry !== undefined) {
        if (now() >= entry.expMs || !isCurrent(entry, trust)) {
          lru.delete(key);
        } else if (entry.token.aud.includes(audience)) {
          metrics?.cacheRequest('token', 'hit');
          return entry.token;
        }
        // Another audience: a miss here, still a hit for the services the token names.
      }
      metrics?.cacheRequest('token', 'miss');
      return undefined;
    },
    set(jwt, entry) {
      const ttl = Math.floor(entry.expMs - now());
      if (ttl >= 1) lru.set(keyOf(jwt), { jwt, entry }, { ttl });
    },
    clear() {
      lru.clear();
    },
    get size() {
      return lru.size;
    },
  };
}
