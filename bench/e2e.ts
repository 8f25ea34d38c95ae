// End-to-end figures over real gRPC (T1, T1b, T2): the null server and tollgate measured in
// alternating rounds (A B A B …) with the same client, concurrency and requests; each ratio
// tollgate ÷ null is the median of the rounds' own ratios. The client runs outside the
// servers' processes: h2load, or the Node worker-thread client where every request must differ.

import type { ClientJob, Expectation } from './client/protocol.js';
import { runPool } from './client/pool.js';
import { runH2load, type LoadResult } from './h2load.js';
import type { Workload } from './fixtures/index.js';
import { cpuMs } from './cpu.js';
import type { ServerProcess } from './servers.js';
import { median, percentile, sorted } from './stats.js';

export interface Scale {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Streams in flight per connection; connections: one per request body (h2load) or 4 (Node client). */
  readonly streams: number;
}

export interface RoundFigure {
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly failed: number;
  /** Server process CPU time per completed request over the measured window (NaN if unknown). */
  readonly cpuUs: number;
}

export interface AbResult {
  readonly nullRounds: readonly RoundFigure[];
  readonly tollgateRounds: readonly RoundFigure[];
  readonly nullRps: number;
  readonly tollgateRps: number;
  readonly nullP99Us: number;
  readonly tollgateP99Us: number;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  /** Median server CPU per request. */
  readonly nullCpuUs: number;
  readonly tollgateCpuUs: number;
}

function figure(latencies: Float64Array, rps: number, failed: number, cpuUs: number): RoundFigure {
  const s = sorted(latencies);
  return { rps, p50Us: percentile(s, 50), p99Us: percentile(s, 99), failed, cpuUs };
}

/** Run `load` and measure the server's CPU from the end of the warm-up to the end of the load. */
async function withCpu<T extends { rps: number }>(server: ServerProcess, scale: Scale, load: () => Promise<T>): Promise<{ result: T; cpuUs: number }> {
  let from: number | undefined;
  const timer = setTimeout(() => (from = cpuMs(server.child.pid)), scale.warmupSeconds * 1000);
  const result = await load();
  clearTimeout(timer);
  const to = cpuMs(server.child.pid);
  const requests = result.rps * scale.seconds;
  const cpuUs = from === undefined || to === undefined || requests === 0 ? Number.NaN : ((to - from) * 1000) / requests;
  return { result, cpuUs };
}

/** A B A B …: `rounds` of each, alternating, so drift on a shared machine hits both alike. */
export async function alternate(rounds: number, runNull: () => Promise<RoundFigure>, runTollgate: (round: number) => Promise<RoundFigure>): Promise<AbResult> {
  const nullRounds: RoundFigure[] = [];
  const tollgateRounds: RoundFigure[] = [];
  for (let r = 0; r < rounds; r++) {
    nullRounds.push(await runNull());
    tollgateRounds.push(await runTollgate(r));
  }
  const nullRps = median(nullRounds.map((f) => f.rps));
  const tollgateRps = median(tollgateRounds.map((f) => f.rps));
  const nullP99Us = median(nullRounds.map((f) => f.p99Us));
  const tollgateP99Us = median(tollgateRounds.map((f) => f.p99Us));
  // The ratios are medians of each round's own ratio: a round pair shares the machine's state of
  // the moment, which a ratio of medians taken from different rounds does not (one fast null
  // round and one slow tollgate round made T1 0.92 in a run whose pairs gave 0.67, 0.94, 0.71).
  const paired = (pick: (f: RoundFigure) => number): number => median(tollgateRounds.map((t, i) => pick(t) / pick(nullRounds[i] as RoundFigure)));
  return {
    nullRounds, tollgateRounds, nullRps, tollgateRps, nullP99Us, tollgateP99Us, throughputRatio: paired((f) => f.rps),
    p99Ratio: paired((f) => f.p99Us), nullCpuUs: median(nullRounds.map((f) => f.cpuUs)), tollgateCpuUs: median(tollgateRounds.map((f) => f.cpuUs)),
  };
}

/** One closed-loop h2load round: one connection per request body, `streams` in flight on each. */
export async function h2loadRound(server: ServerProcess, workload: Workload, scale: Scale, rpsPerClient?: number): Promise<RoundFigure> {
  const { result: r, cpuUs } = await withCpu(server, scale, (): Promise<LoadResult> => runH2load({
    target: server.grpc, bodies: workload.frames, clients: 1, streams: scale.streams, seconds: scale.seconds, warmupSeconds: scale.warmupSeconds,
    ...(rpsPerClient === undefined ? {} : { rpsPerClient }),
  }));
  return figure(r.latenciesUs, r.rps, r.failed, cpuUs);
}

export const NODE_CLIENT_CONNECTIONS = 4;

/** Upper bound on requests of one Node-client round (cold tokens are signed before it starts). */
export function coldBudget(scale: Scale): number {
  return Math.ceil((scale.seconds + scale.warmupSeconds) * 12_000);
}

export function nodeJob(server: ServerProcess, source: ClientJob['source'], scale: Scale, verify: boolean, maxRequests: number): ClientJob {
  return {
    target: server.grpc, source, connections: NODE_CLIENT_CONNECTIONS, streams: scale.streams, warmupSeconds: scale.warmupSeconds,
    seconds: scale.seconds, maxRequests, verify,
  };
}

export async function nodeRound(server: ServerProcess, job: ClientJob): Promise<RoundFigure & { clientElu: number; wrong: number }> {
  const scale = { rounds: 1, seconds: job.seconds, warmupSeconds: job.warmupSeconds, streams: job.streams };
  const { result: report, cpuUs } = await withCpu(server, scale, () => runPool([job]));
  return { ...figure(report.latenciesUs, report.rps, report.failed, cpuUs), clientElu: report.clientElu, wrong: report.wrong };
}

export function fixedSource(w: Workload): ClientJob['source'] {
  return { kind: 'fixed', frames: w.frames, expect: w.requests.map((r): Expectation => r.expect) };
}
