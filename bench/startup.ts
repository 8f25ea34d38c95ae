// T8: start-up to ready with the large policy (100 services × 100 rules): from spawning
// `tollgate serve` to its "tollgate serving" line (policies read, parsed and validated, key sets
// read, listeners bound; a service is compiled when a check first needs it, and the rest in the
// background after this line). Median of a few starts. Beside it: when the background compile is
// done ("policy set compiled"), the same start with the 10-rule policy (Node, modules, listeners)
// and the large set's load alone, compile included.

import { loadPolicyDir } from '../src/policy/load.js';
import { startTollgate } from './servers.js';
import { median } from './stats.js';

export interface StartupResult {
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  /** Spawn to "policy set compiled" (every service compiled, after ready), median. */
  readonly compiledMedianMs: number;
  /** Start-up to ready with the 10-rule policy: the fixed cost. */
  readonly smallMedianMs: number;
  /** loadPolicyDir of the large set in this process (read, parse, validate, compile all, lint). */
  readonly loadMs: number;
}

async function starts(policies: string, runs: number): Promise<{ ready: number[]; compiled: number[] }> {
  const ready: number[] = [];
  const compiled: number[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await startTollgate(policies);
    ready.push(server.readyMs);
    compiled.push(await server.seenAt('policy set compiled', 30_000));
    await server.stop();
  }
  return { ready, compiled };
}

export async function measureStartup(large: string, small: string, runs: number): Promise<StartupResult> {
  const { ready: runsMs, compiled } = await starts(large, runs);
  const smallMedianMs = median((await starts(small, runs)).ready);
  const t0 = process.hrtime.bigint();
  const loaded = await loadPolicyDir(large);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!loaded.ok) throw new Error('bench: the large policy set does not load');
  return { runsMs, medianMs: median(runsMs), compiledMedianMs: median(compiled), smallMedianMs, loadMs };
}
