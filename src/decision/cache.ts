// The decision cache: a decorator around decide() with a bounded LRU (lru-cache). It keys on
// everything a decision depends on, stores only definitive decisions, never keeps one past the
// token's `exp`, forgets everything when a newer policy generation arrives, and never fails a
// request (any fault falls back to deciding afresh). Traces are never cached.

import { LRUCache } from 'lru-cache';
import type { Identity } from '../identity/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicySnapshot } from '../policy/types.js';
import { decide } from './decide.js';
import type { Selection } from './select.js';
import type { Decision, Request } from './types.js';

export interface DecisionCacheOptions {
  /** Most entries kept (memory stays bounded under a flood of distinct tokens or paths). */
  readonly max: number;
  readonly metrics?: Metrics;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export interface CachedDecision {
  readonly decision: Decision;
  readonly cache: 'hit' | 'miss';
}

export interface DecisionCache {
  decide(request: Request, identity: Identity, snapshot: PolicySnapshot, selection: Selection): CachedDecision;
  clear(): void;
  readonly size: number;
}

interface Entry {
  readonly decision: Decision;
  /** Epoch ms after which the entry is void (the token's exp), Infinity without a token. */
  readonly expiresAt: number;
}

/**
 * The key of everything decide() reads besides the snapshot (whose generation empties the
 * cache instead). One LRU needs one key; free-text parts are length-prefixed so that no two
 * requests can spell the same key.
 */
function keyOf(request: Request, identity: Identity, selection: Selection): string {
  const grpc = request.grpcMethod ?? '';
  const requested = selection.requested;
  // join() builds one flat string; a template literal would leave a tree of some thirty string
  // pieces behind each cached key (most of the cache's memory) and re-walk it on every hash.
  return [
    selection.selectedBy, `${requested.length}:${requested}`, `${request.method.length}:${request.method}`,
    `${request.path.length}:${request.path}`, `${grpc.length}:${grpc}`, identity.peer?.spiffeId ?? '', identity.token?.fingerprint ?? '',
  ].join('|');
}

/** Only requests whose decision depends on nothing but the key and the snapshot are cached. */
function cacheable(request: Request, identity: Identity): boolean {
  if (request.problem !== undefined || identity.peerFailure !== undefined || identity.tokenFailure !== undefined) return false;
  const token = identity.token;
  if (identity.tokenPresented !== (token !== undefined)) return false;
  return token === undefined || (token.fingerprint !== '' && Number.isFinite(token.exp));
}

export function createDecisionCache(options: DecisionCacheOptions): DecisionCache {
  return new CachedDecider(options);
}

class CachedDecider implements DecisionCache {
  readonly #lru: LRUCache<string, Entry>;
  readonly #now: () => number;
  readonly #metrics: Metrics | undefined;
  #current: PolicySnapshot | undefined;

  constructor(options: DecisionCacheOptions) {
    this.#lru = new LRUCache<string, Entry>({ max: Math.max(1, Math.floor(options.max)) });
    this.#now = options.now ?? Date.now;
    this.#metrics = options.metrics;
  }

  get size(): number {
    return this.#lru.size;
  }

  clear(): void {
    this.#lru.clear();
  }

  /** An arrow property, so that `const { decide } = cache` works too. */
  readonly decide = (request: Request, identity: Identity, snapshot: PolicySnapshot, selection: Selection): CachedDecision => {
    let decision: Decision | undefined;
    try {
      const key = cacheable(request, identity) && this.#adopt(snapshot) ? keyOf(request, identity, selection) : undefined;
      if (key !== undefined) {
        const entry = this.#lru.get(key);
        if (entry !== undefined && entry.expiresAt > this.#now()) {
          this.#count('hit');
          return { decision: entry.decision, cache: 'hit' };
        }
        if (entry !== undefined) this.#lru.delete(key);
      }
      decision = decide(request, identity, snapshot, selection);
      const expiresAt = identity.token === undefined ? Number.POSITIVE_INFINITY : identity.token.exp * 1000;
      if (key !== undefined && decision.reason !== 'internal_error' && expiresAt > this.#now()) this.#lru.set(key, { decision, expiresAt });
    } catch {
      decision ??= decide(request, identity, snapshot, selection);
    }
    this.#count('miss');
    return { decision, cache: 'miss' };
  };

  /** Whether entries may be read and written for this snapshot (a newer one empties the cache). */
  #adopt(snapshot: PolicySnapshot): boolean {
    if (snapshot === this.#current) return true;
    if (this.#current !== undefined && snapshot.generation < this.#current.generation) return false;
    this.#lru.clear();
    this.#current = snapshot;
    return true;
  }

  #count(result: 'hit' | 'miss'): void {
    try {
      this.#metrics?.cacheRequest('decision', result);
    } catch {
      // A metrics fault must not fail the check.
    }
  }
}
