// T8: start-up to ready with the large policy (100 services × 100 rules): from spawning
// `tollgate serve` to its "tollgate serving" line (policies loaded and compiled, key sets read,
// listeners bound). Median of a few starts. Beside it, what the time is made of: the same
// start with the 10-rule policy (Node, modules, listeners) and the large policy set's load alone.

import { loadPolicyDir } from '../src/policy/load.js';
import { startTollgate } from './servers.js';
import { median } from './stats.js';

export interface StartupResult {
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  /** Start-up to ready with the 10-rule policy: the fixed cost. */
  readonly smallMedianMs: number;
  /** loadPolicyDir of the large set in this process (read, parse, validate, compile, lint). */
  readonly loadMs: number;
}

async function starts(policies: string, runs: number): Promise<number[]> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await startTollgate(policies);
    runsMs.push(server.readyMs);
    await server.stop();
  }
  return runsMs;
}

export async function measureStartup(large: string, small: string, runs: number): Promise<StartupResult> {
  const runsMs = await starts(large, runs);
  const smallMedianMs = median(await starts(small, runs));
  const t0 = process.hrtime.bigint();
  const loaded = await loadPolicyDir(large);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!loaded.ok) throw new Error('bench: the large policy set does not load');
  return { runsMs, medianMs: median(runsMs), smallMedianMs, loadMs };
}
