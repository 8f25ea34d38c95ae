// Turns a character offset into the 1-based line/col that yaml's LineCounter.linePos gives, for
// sources parsed without `yaml`. It knows nothing about YAML; only '\n' starts a line.

import type { Position } from './problems.js';

/** A lookup function over `text`; the line-start table is built on the first call only,
 *  because most files load without a single problem and never ask for a position. */
export function lineIndex(text: string): (offset: number) => Position {
  let starts: number[] | undefined;
  return (offset) => {
    starts ??= lineStarts(text);
    return positionIn(starts, offset);
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
  return starts;
}

/** The same binary search as LineCounter.linePos: the last line start at or before `offset`. */
function positionIn(starts: readonly number[], offset: number): Position {
  let low = 0;
  let high = starts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((starts[mid] ?? 0) < offset) low = mid + 1;
    else high = mid;
  }
  if (starts[low] === offset) return { line: low + 1, col: 1 };
  const start = starts[low - 1] ?? 0;
  return { line: low, col: offset - start + 1 };
}
