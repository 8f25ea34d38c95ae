// How much the fuzzers run: FUZZ_RUNS (the `npm run fuzz` script sets 100,000) or a small default
// so that `npm test` runs a quick sample; FUZZ_SEED replays a reported failure.

export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** fast-check parameters: the run count, and the seed when one is given to replay a failure. */
export function fuzzParams(numRuns: number): { numRuns: number; seed?: number } {
  const seed = Number(process.env.FUZZ_SEED);
  return process.env.FUZZ_SEED !== undefined && Number.isSafeInteger(seed) ? { numRuns, seed } : { numRuns };
}

/** A test timeout that grows with the run count (the default sample stays well inside 30 s). */
export function fuzzTimeout(numRuns: number, perRunMs: number): number {
  return Math.max(60_000, Math.ceil(numRuns * perRunMs));
}
