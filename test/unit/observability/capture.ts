// A writable stream that keeps what pino writes to it, and a metric reader, for the tests.

import { Writable } from 'node:stream';
import type { Registry } from 'prom-client';

export class Capture extends Writable {
  readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }

  get text(): string {
    return this.chunks.join('');
  }

  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** The value of one series, or undefined when the series does not exist. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const found = values.find((v) => {
    const vl = v.labels as Record<string, string | number>;
    const keys = Object.keys(vl);
    return keys.length === Object.keys(labels).length && keys.every((k) => String(vl[k]) === labels[k]);
  });
  return found?.value;
}
