// Policy durations (`500ms`, `30s`, `5m`, `1h`, `1h30m`) → milliseconds. Validation of the text
// happens in the schema with DURATION_PATTERN; this module only converts.

export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h))+$/;

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/** Milliseconds of a duration that matches DURATION_PATTERN (NaN otherwise). */
export function durationMs(text: string): number {
  if (!DURATION_PATTERN.test(text)) return Number.NaN;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  return total;
}
