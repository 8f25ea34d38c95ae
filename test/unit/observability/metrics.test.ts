import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECK_DURATION_BUCKETS, MAX_SERVICE_LABELS, createMetrics } from '../../../src/observability/metrics.js';
import { metricValue } from './capture.js';

afterEach(() => {
  vi.useRealTimers();
});

/** `name{labels} value` lines of a scrape, as a map from the series text to its value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics', () => {
  it('registers exactly the metrics of product.md §5 with their labels', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const json = await m.registry.getMetricsAsJSON();
    const names = json.map((x) => x.name).sort();
    expect(names).toEqual([
      'tollgate_audit_dropped_total',
      'tollgate_cache_requests_total',
      'tollgate_check_duration_seconds',
      'tollgate_decisions_total',
      'tollgate_inventory_evicted_total',
      'tollgate_jwks_age_seconds',
      'tollgate_jwks_refresh_total',
      'tollgate_policy_generation',
      'tollgate_policy_last_load_timestamp_seconds',
      'tollgate_policy_reloads_total',
    ]);
    const labels = (name: string): readonly string[] => (m.registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames;
    expect(labels('tollgate_check_duration_seconds')).toEqual(['service', 'decision']);
    expect(labels('tollgate_decisions_total')).toEqual(['service', 'decision', 'reason']);
    expect(labels('tollgate_cache_requests_total')).toEqual(['cache', 'result']);
    expect(labels('tollgate_jwks_refresh_total')).toEqual(['issuer', 'result']);
    expect(labels('tollgate_jwks_age_seconds')).toEqual(['issuer']);
    expect(labels('tollgate_policy_reloads_total')).toEqual(['result']);
  });

  it('includes Node process metrics unless turned off', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(await createMetrics({ defaultMetrics: false }).registry.metrics()).not.toContain('process_cpu_user_seconds_total');
  });

  it('counts a known mix of decisions and resolves tens of microseconds in the histogram', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observeDecision('payments', 'allow', 'allow', 0.000005);
    m.observeDecision('payments', 'allow', 'allow', 0.00002);
    m.observeDecision('payments', 'allow', 'allow', 0.00004);
    m.observeDecision('payments', 'deny', 'not_allowed', 0.00002);
    m.observeDecision('payments', 'deny', 'no_rule', 0.0003);
    m.observeDecision('orders', 'shadow_deny', 'not_allowed', 0.002);
    const s = series(await m.registry.metrics());

    expect(s.get('tollgate_decisions_total{service="payments",decision="allow",reason="allow"}')).toBe(3);
    expect(s.get('tollgate_decisions_total{service="payments",decision="deny",reason="not_allowed"}')).toBe(1);
    expect(s.get('tollgate_decisions_total{service="payments",decision="deny",reason="no_rule"}')).toBe(1);
    expect(s.get('tollgate_decisions_total{service="orders",decision="shadow_deny",reason="not_allowed"}')).toBe(1);

    const bucket = (le: string, decision: string, service = 'payments'): number | undefined =>
      s.get(`tollgate_check_duration_seconds_bucket{le="${le}",service="${service}",decision="${decision}"}`);
    expect(bucket('0.00001', 'allow')).toBe(1);
    expect(bucket('0.000025', 'allow')).toBe(2);
    expect(bucket('0.00005', 'allow')).toBe(3);
    expect(bucket('0.000025', 'deny')).toBe(1);
    expect(bucket('0.00025', 'deny')).toBe(1);
    expect(bucket('0.0005', 'deny')).toBe(2);
    expect(bucket('0.1', 'shadow_deny', 'orders')).toBe(1);
    expect(bucket('+Inf', 'allow')).toBe(3);
    expect(s.get('tollgate_check_duration_seconds_count{service="payments",decision="allow"}')).toBe(3);
    expect(CHECK_DURATION_BUCKETS[0]).toBe(0.00001);
    expect(CHECK_DURATION_BUCKETS.at(-1)).toBe(0.1);
  });

  it('counts cache look-ups, JWKS refreshes, reloads, drops and evictions', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.cacheRequest('decision', 'hit');
    m.cacheRequest('decision', 'hit');
    m.cacheRequest('decision', 'miss');
    m.cacheRequest('token', 'miss');
    m.jwksRefresh('corp-idp', 'ok');
    m.jwksRefresh('corp-idp', 'error');
    m.jwksRefresh('corp-idp', 'error');
    m.policyReload('ok', 4);
    m.policyReload('error');
    m.auditDropped();
    m.auditDropped(2);
    m.inventoryEvicted(5);
    const r = m.registry;
    expect(await metricValue(r, 'tollgate_cache_requests_total', { cache: 'decision', result: 'hit' })).toBe(2);
    expect(await metricValue(r, 'tollgate_cache_requests_total', { cache: 'decision', result: 'miss' })).toBe(1);
    expect(await metricValue(r, 'tollgate_cache_requests_total', { cache: 'token', result: 'hit' })).toBe(0);
    expect(await metricValue(r, 'tollgate_cache_requests_total', { cache: 'token', result: 'miss' })).toBe(1);
    expect(await metricValue(r, 'tollgate_jwks_refresh_total', { issuer: 'corp-idp', result: 'error' })).toBe(2);
    expect(await metricValue(r, 'tollgate_jwks_refresh_total', { issuer: 'corp-idp', result: 'ok' })).toBe(1);
    expect(await metricValue(r, 'tollgate_policy_reloads_total', { result: 'ok' })).toBe(1);
    expect(await metricValue(r, 'tollgate_policy_reloads_total', { result: 'error' })).toBe(1);
    expect(await metricValue(r, 'tollgate_policy_generation')).toBe(4);
    expect(await metricValue(r, 'tollgate_audit_dropped_total')).toBe(3);
    expect(await metricValue(r, 'tollgate_inventory_evicted_total')).toBe(5);
  });

  it('keeps the time of the last good load when a reload fails', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const m = createMetrics({ defaultMetrics: false });
    m.policyReload('ok', 1);
    vi.setSystemTime(new Date('2025-01-01T00:10:00Z'));
    m.policyReload('error');
    expect(await metricValue(m.registry, 'tollgate_policy_last_load_timestamp_seconds')).toBe(Date.parse('2025-01-01T00:00:00Z') / 1000);
    expect(await metricValue(m.registry, 'tollgate_policy_generation')).toBe(1);
  });

  it('reports the age of the key set in use as it grows, without further calls', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const m = createMetrics({ defaultMetrics: false });
    m.jwksAge('corp-idp', 0);
    m.jwksAge('mesh', 10);
    vi.setSystemTime(new Date('2025-01-01T00:01:30Z'));
    expect(await metricValue(m.registry, 'tollgate_jwks_age_seconds', { issuer: 'corp-idp' })).toBe(90);
    expect(await metricValue(m.registry, 'tollgate_jwks_age_seconds', { issuer: 'mesh' })).toBe(100);
    m.jwksAge('corp-idp', 0); // a fresh key set
    expect(await metricValue(m.registry, 'tollgate_jwks_age_seconds', { issuer: 'corp-idp' })).toBe(0);
  });

  it('bounds the service label even if unconfigured names were ever passed', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < MAX_SERVICE_LABELS + 50; i++) m.observeDecision(`svc-${i}`, 'deny', 'no_rule', 0.00001);
    const values = (await m.registry.getSingleMetric('tollgate_decisions_total')!.get()).values;
    expect(values.length).toBe(MAX_SERVICE_LABELS + 1);
    expect(values.find((v) => v.labels.service === '')?.value).toBe(50);
  });
});
