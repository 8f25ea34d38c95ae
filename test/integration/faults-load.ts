// Helpers of the fault tests: a bounded loop of checks over real gRPC that records what each
// probe got and in which phases of the test it ran, so that every answer can be compared with the
// states that were in force meanwhile; waiting on those answers or on a metric, never on time.

export interface Observation {
  readonly probe: number;
  readonly outcome: string;
  /** Phase index when the check was sent, and when its answer came. */
  readonly from: number;
  readonly to: number;
}

const MAX_RESULTS = 200_000;

export class Load {
  readonly results: Observation[] = [];
  /** phases[i]: the states that may be in force during phase i. */
  readonly phases: string[][];
  #stop = false;
  #workers: Promise<void>[] = [];
  #waiters: { test: (o: Observation) => boolean; resolve: () => void }[] = [];

  constructor(first: string[], private readonly probe: (i: number) => Promise<string>, private readonly probes: number) {
    this.phases = [first];
  }

  get phase(): number {
    return this.phases.length - 1;
  }

  /** From now on, any of these states may answer. */
  enter(...states: string[]): void {
    this.phases.push(states);
  }

  start(workers = 4): this {
    let sent = 0;
    const run = async (): Promise<void> => {
      // Bounded whatever happens: a failing test must not leave a loop spinning behind it.
      while (!this.#stop && this.results.length < MAX_RESULTS) {
        const probe = sent++ % this.probes; // round robin over all workers' sends
        const from = this.phase;
        const outcome = await this.probe(probe).catch((e: Error) => `error:${e.message}`);
        const o = { probe, outcome, from, to: this.phase };
        this.results.push(o);
        if (outcome.startsWith('error:')) this.#stop = true;
        this.#waiters = this.#waiters.filter((w) => !(w.test(o) && (w.resolve(), true)));
      }
    };
    this.#workers = Array.from({ length: workers }, () => run());
    return this;
  }

  /** Resolves at the first answer that passes `test`; fails after `bound` further answers without one. */
  waitFor(test: (o: Observation) => boolean, bound = 20_000): Promise<void> {
    const start = this.results.length;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ test, resolve });
      this.#waiters.push({
        test: (o) => this.results.length - start > bound || o.outcome.startsWith('error:'),
        resolve: () => reject(new Error(`no such answer in ${this.results.length - start} checks (last: ${this.#tail()})`)),
      });
    });
  }

  #tail(): string {
    return JSON.stringify(this.results.slice(-6));
  }

  /** At least n more answers. */
  more(n: number): Promise<void> {
    const target = this.results.length + n;
    return this.waitFor(() => this.results.length >= target, n + 1);
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#workers);
  }

  /** Answers that no state in force while they ran would give. */
  wrong(expected: (state: string, probe: number) => string): Observation[] {
    return this.results.filter((r) => !this.phases.slice(r.from, r.to + 1).flat().some((s) => expected(s, r.probe) === r.outcome));
  }
}

/** The value of one series on /metrics (0 when absent). */
export async function metric(adminUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Poll /metrics until `test` holds for the series (bounded by a number of scrapes, not by time). */
export async function metricReaches(adminUrl: string, series: string, test: (v: number) => boolean, bound = 20_000): Promise<number> {
  for (let i = 0; i < bound; i++) {
    const v = await metric(adminUrl, series);
    if (test(v)) return v;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${series} never reached the expected value`);
}
