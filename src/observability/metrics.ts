// Prometheus metrics (product.md §5): one registry, every metric defined once at start-up, label
// sets bound ahead of the request path. No label ever holds a caller identity or a path.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Reason } from '../decision/reasons.js';
import type { Verdict } from '../decision/types.js';

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
  jwksAge(issuer: string, seconds: number): void;
  policyReload(result: 'ok' | 'error', generation?: number): void;
  auditDropped(count?: number): void;
  inventoryEvicted(count?: number): void;
}

interface Bound {
  readonly histogram: { observe(value: number): void };
  readonly counter: { inc(): void };
}

export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'tollgate_check_duration_seconds',
    help: 'Time from receiving a Check to having its response, by service and decision.',
    labelNames: ['service', 'decision'] as const,
    buckets: [...CHECK_DURATION_BUCKETS],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'tollgate_decisions_total',
    help: 'Decisions made, by service, decision (allow|deny|shadow_deny) and reason code.',
    labelNames: ['service', 'decision', 'reason'] as const,
    registers: [registry],
  });
  const cache = new Counter({
    name: 'tollgate_cache_requests_total',
    help: 'Cache look-ups by cache (decision|token) and result (hit|miss).',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });
  const jwksRefresh = new Counter({
    name: 'tollgate_jwks_refresh_total',
    help: 'JWKS loads and refreshes by issuer and result (ok|error|unchanged).',
    labelNames: ['issuer', 'result'] as const,
    registers: [registry],
  });
  const jwksAge = new Gauge({
    name: 'tollgate_jwks_age_seconds',
    help: 'Age of the key set in use, by issuer.',
    labelNames: ['issuer'] as const,
    registers: [registry],
  });
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
  const dropped = new Counter({
    name: 'tollgate_audit_dropped_total',
    help: 'Audit lines dropped because the destination could not keep up.',
    registers: [registry],
  });
  const evicted = new Counter({
    name: 'tollgate_inventory_evicted_total',
    help: 'Inventory edges evicted to keep the inventory bounded.',
    registers: [registry],
  });
  // Make the zero-valued series visible from the start.
  for (const result of ['ok', 'error'] as const) reloads.labels(result);
  for (const c of ['decision', 'token'] as const) for (const r of ['hit', 'miss'] as const) cache.labels(c, r);

  const bound = new Map<string, Bound>();
  const cacheBound = new Map<string, { inc(): void }>();

  return Object.freeze({
    registry,
    observeDecision(service: string, verdict: Verdict, reason: Reason, seconds: number): void {
      const key = `${service}\u0000${verdict}\u0000${reason}`;
      let b = bound.get(key);
      if (b === undefined) {
        b = { histogram: duration.labels(service, verdict), counter: decisions.labels(service, verdict, reason) };
        bound.set(key, b);
      }
      b.histogram.observe(seconds);
      b.counter.inc();
    },
    cacheRequest(c: 'decision' | 'token', result: 'hit' | 'miss'): void {
      const key = `${c}:${result}`;
      let child = cacheBound.get(key);
      if (child === undefined) {
        child = cache.labels(c, result);
        cacheBound.set(key, child);
      }
      child.inc();
    },
    jwksRefresh(issuer: string, result: 'ok' | 'error' | 'unchanged'): void {
      jwksRefresh.labels(issuer, result).inc();
    },
    jwksAge(issuer: string, seconds: number): void {
      jwksAge.labels(issuer).set(seconds);
    },
    policyReload(result: 'ok' | 'error', gen?: number): void {
      reloads.labels(result).inc();
      if (result === 'ok' && gen !== undefined) {
        generation.set(gen);
        lastLoad.set(Date.now() / 1000);
      }
    },
    auditDropped(count = 1): void {
      dropped.inc(count);
    },
    inventoryEvicted(count = 1): void {
      evicted.inc(count);
    },
  });
}
