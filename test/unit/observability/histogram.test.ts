import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../../src/observability/histogram.js';

const BUCKETS = [0.00001, 0.0001, 0.001, 0.1];
const OBSERVED: readonly [string, string, number][] = [
  ['payments', 'allow', 0.000005], ['payments', 'allow', 0.00001], ['payments', 'allow', 0.00005], ['payments', 'deny', 0.002],
  ['orders', 'deny', 5], ['payments', 'allow', 0.09],
];

describe('BoundHistogram', () => {
  it('scrapes exactly like prom-client Histogram for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const h = new BoundHistogram({ name: 'x_seconds', help: 'x', labelNames: ['service', 'decision'], buckets: BUCKETS, registry: ours });
    const p = new Histogram({ name: 'x_seconds', help: 'x', labelNames: ['service', 'decision'], buckets: BUCKETS, registers: [theirs] });
    for (const [service, decision, v] of OBSERVED) {
      h.labels(service, decision).observe(v);
      p.labels(service, decision).observe(v);
    }
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    // prom-client adds `exemplar: null` members (exemplars are off); everything else is equal.
    const json = async (r: Registry): Promise<unknown> =>
      (await r.getMetricsAsJSON()).map((m) => ({ ...m, values: m.values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({ labels, value, metricName })) }));
    expect(await json(ours)).toEqual(await json(theirs));
  });

  it('hands out one series per label set, ignores non-finite values, and zeroes on reset', async () => {
    const registry = new Registry();
    const h = new BoundHistogram({ name: 'y_seconds', help: 'y', labelNames: ['service'], buckets: BUCKETS, registry });
    const a = h.labels('a');
    a.observe(0.00002);
    h.labels('a').observe(Number.NaN);
    h.labels('a').observe(Number.POSITIVE_INFINITY);
    expect(await registry.metrics()).toContain('y_seconds_count{service="a"} 1');
    registry.resetMetrics();
    a.observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_bucket{le="0.1",service="a"} 0');
    expect(text).toContain('y_seconds_bucket{le="+Inf",service="a"} 1');
    expect(text).toContain('y_seconds_sum{service="a"} 0.5');
  });
});
