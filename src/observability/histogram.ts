// A Prometheus histogram made for the request path: each label set is bound once (`labels()`, at
// start-up or first use), and an observation is then a bucket search and three additions, with
// no label hashing or validation per call (prom-client's own bound children do both every time).
// It registers in a prom-client Registry and scrapes exactly like prom-client's Histogram.

import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

export interface HistogramSeries {
  observe(value: number): void;
}

class Series implements HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    // prom-client throws on such values; a metric must never fail a request.
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export interface BoundHistogramOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Upper bounds, ascending (the +Inf bucket is implied). */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

export class BoundHistogram {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(options: BoundHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = Object.freeze([...options.labelNames]);
    this.#bounds = Object.freeze([...options.buckets].sort((a, b) => a - b));
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values (in labelNames order); keep it, do not call per request. */
  labels(...values: string[]): HistogramSeries {
    const key = JSON.stringify(values);
    let series = this.#series.get(key);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      series = new Series(Object.freeze(labels), this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /** prom-client's metric interface: the same values, names and label order as its Histogram. */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const s of this.#series.values()) {
      let acc = 0;
      this.#bounds.forEach((le, i) => {
        acc += s.counts[i] as number;
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    const metric = { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    // prom-client types `type` as a declaration-only enum; the runtime value is this string.
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<string>>;
  }

  /** Zero every series (bound series stay valid). */
  reset(): void {
    for (const s of this.#series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
