// Before anything is timed: every request of a workload gets the decision it must get from the
// server under test (each response decoded and compared), so a figure never measures a
// misconfigured bench. Throws with the first difference.

import { runPool } from './client/pool.js';
import type { Expectation } from './client/protocol.js';
import type { Workload } from './fixtures/index.js';

export async function preflight(target: string, workloads: readonly Workload[]): Promise<void> {
  const frames = workloads.flatMap((w) => w.frames);
  const expect = workloads.flatMap((w) => w.requests.map((r): Expectation => r.expect));
  const report = await runPool([{
    target, source: { kind: 'fixed', frames, expect }, connections: 1, streams: 1, warmupSeconds: 0, seconds: 10,
    maxRequests: frames.length, verify: true,
  }]);
  if (report.failed > 0 || report.wrong > 0 || report.completed !== frames.length) {
    throw new Error(`pre-flight: ${report.failed} failed, ${report.wrong} wrong of ${frames.length} (${report.firstWrong ?? 'no detail'})`);
  }
}
