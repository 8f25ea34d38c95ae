// Whether two segment patterns (`*` within a segment, `**` for whole segments) can match one and
// the same path: what `tollgate coverage` needs to tell a rule that selects some calls of an
// OpenAPI operation from a rule that selects none. Exact for these patterns; load-time only.

import type { MethodSpec } from '../policy/method-spec.js';
import type { Segment } from '../policy/patterns.js';

/** Whether some string matches both `*`-glob texts `p` and `q` (no `/` inside either). */
export function textsOverlap(p: string, q: string): boolean {
  const P = p.length;
  const Q = q.length;
  // ok[i][j]: p[i..] and q[j..] have a common match. Filled from the ends.
  const ok: boolean[][] = Array.from({ length: P + 1 }, () => new Array<boolean>(Q + 1).fill(false));
  for (let i = P; i >= 0; i--) {
    for (let j = Q; j >= 0; j--) {
      const row = ok[i] as boolean[];
      const next = ok[i + 1];
      if (i === P && j === Q) row[j] = true;
      else if (i < P && p[i] === '*') row[j] = (next?.[j] ?? false) || (j < Q && (row[j + 1] ?? false));
      else if (j < Q && q[j] === '*') row[j] = (row[j + 1] ?? false) || (i < P && (next?.[j] ?? false));
      else row[j] = i < P && j < Q && p[i] === q[j] && (next?.[j + 1] ?? false);
    }
  }
  return ok[0]?.[0] ?? false;
}

/** Whether some path matches both segment sequences. */
export function segmentsOverlap(a: readonly Segment[], b: readonly Segment[], i = 0, j = 0): boolean {
  const x = a[i];
  const y = b[j];
  if (x === undefined && y === undefined) return true;
  if (x?.kind === 'globstar') return segmentsOverlap(a, b, i + 1, j) || (y !== undefined && segmentsOverlap(a, b, i, j + 1));
  if (y?.kind === 'globstar') return segmentsOverlap(a, b, i, j + 1) || (x !== undefined && segmentsOverlap(a, b, i + 1, j));
  if (x === undefined || y === undefined) return false;
  return textsOverlap(x.text, y.text) && segmentsOverlap(a, b, i + 1, j + 1);
}

/** Whether an HTTP method spec can select some request of `method` on a path matching `template`. */
export function httpSpecOverlaps(spec: MethodSpec, method: string, template: readonly Segment[]): boolean {
  if (spec.kind !== 'http') return false;
  if (spec.methods !== undefined && !spec.methods.includes(method)) return false;
  return segmentsOverlap(spec.segments, template);
}
