// Prometheus metrics (product.md §5): one registry, every metric defined once at start-up, label
// sets bound ahead of the request path. No label ever holds a caller identity or a path.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Reason } from '../decision/reasons.js';
import type { Verdict } from '../decision/types.js';
import { BoundHistogram } from './histogram.js';

/** 10 µs … 100 ms, fine enough to resolve tens of microseconds. */
export const CHECK_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00001, 0.000025, 0.00005, 0.000075, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01,
  0.025, 0.05, 0.1,
]);

export interface Metrics {
  readonly registry: Registry;
  /** Record one decision; label children are bound once per (service, decision, reason). */
  observeDecision(service: string, verdict: Verdict, reason: Reason, seconds: number): void;
  cacheRequest(cache: 'decision' | 'token', result: 'hit' | 'miss'): void;
  jwksRefresh(issuer: string, result: 'ok' | 'error' | 'unchanged'): void;
  /**
   * The key set in use for `issuer` is `seconds` old now (0 right after a fetch). The gauge keeps
   * ageing by itself: it is computed at scrape time, so one call per key-set change is enough.
   */
  jwksAge(issuer: string, seconds: number): void;
  policyReload(result: 'ok' | 'error', generation?: number): void;
  auditDropped(count?: number): void;
  inventoryEvicted(count?: number): void;
}

interface Bound {
  readonly histogram: { observe(value: number): void };
  readonly counter: { inc(): void };
}

/**
 * A safety net under the rule that the service label holds configured names only: should a bug
 * ever pass request-controlled names, series stay bounded (further names are recorded as '').
 */
export const MAX_SERVICE_LABELS = 1000;

/** service → verdict → reason → bound children: tuple-keyed, no key string built per request. */
type BoundIndex = Map<string, Map<Verdict, Map<Reason, Bound>>>;

function nested<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

type DecisionPart = Pick<Metrics, 'observeDecision' | 'cacheRequest'>;
type TrustPart = Pick<Metrics, 'jwksRefresh' | 'jwksAge' | 'policyReload'>;
type TrailPart = Pick<Metrics, 'auditDropped' | 'inventoryEvicted'>;

export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return Object.freeze({ registry, ...decisionMetrics(registry), ...trustMetrics(registry), ...trailMetrics(registry) });
}

/**
 * Increments summed in a plain number and handed to the prom-client counter when it is scraped
 * (its `collect`): prom-client hashes and validates the labels of every inc, even on a bound child.
 */
class Pending {
  n = 0;
  constructor(private readonly child: { inc(value: number): void }) {}
  inc(): void {
    this.n++;
  }
  flush(): void {
    if (this.n > 0) {
      this.child.inc(this.n);
      this.n = 0;
    }
  }
}

function decisionMetrics(registry: Registry): DecisionPart {
  const duration = new BoundHistogram({
    name: 'tollgate_check_duration_seconds',
    help: 'Server-side decision time (decoded CheckRequest to response object), by service and decision.',
    labelNames: ['service', 'decision'],
    buckets: CHECK_DURATION_BUCKETS,
    registry,
  });
  const pending: Pending[] = [];
  const flush = (): void => {
    for (const p of pending) p.flush();
  };
  const decisions = new Counter({
    name: 'tollgate_decisions_total',
    help: 'Decisions made, by service, decision (allow|deny|shadow_deny) and reason code.',
    labelNames: ['service', 'decision', 'reason'] as const,
    registers: [registry],
    collect: flush,
  });
  const cache = new Counter({
    name: 'tollgate_cache_requests_total',
    help: 'Cache look-ups by cache (decision|token) and result (hit|miss).',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
    collect: flush,
  });
  const deferred = (child: { inc(value: number): void }): Pending => {
    const p = new Pending(child);
    pending.push(p);
    return p;
  };
  // All four cache series exist from the start (prom-client creates a series on its first inc).
  const child = (c: 'decision' | 'token', r: 'hit' | 'miss'): Pending => {
    const bound = cache.labels(c, r);
    bound.inc(0);
    return deferred(bound);
  };
  const cacheBound = {
    decision: { hit: child('decision', 'hit'), miss: child('decision', 'miss') },
    token: { hit: child('token', 'hit'), miss: child('token', 'miss') },
  };
  const bound: BoundIndex = new Map();
  return {
    observeDecision(service: string, verdict: Verdict, reason: Reason, seconds: number): void {
      const label = bound.has(service) || bound.size < MAX_SERVICE_LABELS ? service : '';
      const byVerdict = nested(bound, label, () => new Map<Verdict, Map<Reason, Bound>>());
      const byReason = nested(byVerdict, verdict, () => new Map<Reason, Bound>());
      const b = nested(byReason, reason, () => ({
        histogram: duration.labels(label, verdict),
        counter: deferred(decisions.labels(label, verdict, reason)),
      }));
      b.histogram.observe(seconds);
      b.counter.inc();
    },
    cacheRequest(c: 'decision' | 'token', result: 'hit' | 'miss'): void {
      cacheBound[c][result].inc();
    },
  };
}

/** Key sets and policy loads: off the request path, so labels are bound on first use. */
function trustMetrics(registry: Registry): TrustPart {
  const jwksRefresh = new Counter({
    name: 'tollgate_jwks_refresh_total',
    help: 'JWKS loads and refreshes by issuer and result (ok|error|unchanged).',
    labelNames: ['issuer', 'result'] as const,
    registers: [registry],
  });
  // Epoch ms at which each issuer's key set in use was fetched; the age is computed at scrape.
  const keySetSince = new Map<string, number>();
  new Gauge({
    name: 'tollgate_jwks_age_seconds',
    help: 'Age of the key set in use, by issuer.',
    labelNames: ['issuer'] as const,
    registers: [registry],
    collect() {
      const now = Date.now();
      for (const [issuer, since] of keySetSince) this.labels(issuer).set(Math.max(0, (now - since) / 1000));
    },
  });
  const policy = policyMetrics(registry);
  const jwksBound = new Map<string, Map<string, { inc(): void }>>();
  return {
    jwksRefresh(issuer: string, result: 'ok' | 'error' | 'unchanged'): void {
      const byResult = nested(jwksBound, issuer, () => new Map<string, { inc(): void }>());
      nested(byResult, result, () => jwksRefresh.labels(issuer, result)).inc();
    },
    jwksAge(issuer: string, seconds: number): void {
      keySetSince.set(issuer, Date.now() - seconds * 1000);
    },
    policyReload: policy,
  };
}

function policyMetrics(registry: Registry): Metrics['policyReload'] {
  const reloads = new Counter({
    name: 'tollgate_policy_reloads_total',
    help: 'Policy set loads by result (ok|error).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const generation = new Gauge({
    name: 'tollgate_policy_generation',
    help: 'Generation number of the policy set in force.',
    registers: [registry],
  });
  const lastLoad = new Gauge({
    name: 'tollgate_policy_last_load_timestamp_seconds',
    help: 'Unix time of the last good policy load.',
    registers: [registry],
  });
  for (const result of ['ok', 'error'] as const) reloads.labels(result).inc(0);
  return (result: 'ok' | 'error', gen?: number): void => {
    reloads.labels(result).inc();
    if (result === 'ok' && gen !== undefined) {
      generation.set(gen);
      lastLoad.set(Date.now() / 1000);
    }
  };
}

function trailMetrics(registry: Registry): TrailPart {
  const dropped = new Counter({
    name: 'tollgate_audit_dropped_total',
    help: 'Audit lines dropped because the destination could not keep up, failed or was closed.',
    registers: [registry],
  });
  const evicted = new Counter({
    name: 'tollgate_inventory_evicted_total',
    help: 'Inventory edges evicted to keep the inventory bounded.',
    registers: [registry],
  });
  return {
    auditDropped(count = 1): void {
      dropped.inc(count);
    },
    inventoryEvicted(count = 1): void {
      evicted.inc(count);
    },
  };
}
