// T8: start-up to ready with the large policy (100 services × 100 rules): from spawning
// `tollgate serve` to its "tollgate serving" line (policies loaded and compiled, key sets read,
// listeners bound). Median of a few starts; each process is stopped right after.

import { startTollgate } from './servers.js';
import { median } from './stats.js';

export interface StartupResult {
  readonly runsMs: readonly number[];
  readonly medianMs: number;
}

export async function measureStartup(policies: string, runs: number): Promise<StartupResult> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await startTollgate(policies);
    runsMs.push(server.readyMs);
    await server.stop();
  }
  return { runsMs, medianMs: median(runsMs) };
}
