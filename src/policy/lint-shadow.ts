// Pattern containment for the lint warning about shadowed method patterns: whether every request
// one spec selects is also selected by another. Conservative (may miss a containment, never
// claims a false one). Load-time only.

import type { MethodSpec } from './method-spec.js';
import { globMatches } from './patterns.js';
import type { Segment } from './patterns.js';

/** Whether segment pattern `a` matches every segment that `b` matches (neither is `**`). */
function segmentCovers(a: Segment, b: Segment): boolean {
  if (a.kind === 'star') return true;
  if (b.kind !== 'literal') return a.text === b.text;
  if (a.kind === 'literal') return a.text === b.text;
  return a.kind === 'glob' && globMatches(a.parts, b.text, 0, b.text.length);
}

/** Whether the segment sequence `a` matches every path that `b` matches. */
export function covers(a: readonly Segment[], b: readonly Segment[], i = 0, j = 0): boolean {
  const x = a[i];
  const y = b[j];
  if (x === undefined) return y === undefined;
  if (x.kind === 'globstar') return covers(a, b, i + 1, j) || (y !== undefined && covers(a, b, i, j + 1));
  if (y === undefined || y.kind === 'globstar') return false;
  return segmentCovers(x, y) && covers(a, b, i + 1, j + 1);
}

export function specCovers(a: MethodSpec, b: MethodSpec): boolean {
  if (a.kind === 'grpc' || b.kind === 'grpc') return a.kind === b.kind && covers(a.segments, b.segments);
  if (a.methods !== undefined && (b.methods === undefined || !b.methods.every((m) => a.methods?.includes(m)))) return false;
  return covers(a.segments, b.segments);
}

const READ_PREFIXES = ['Get', 'List', 'Watch'] as const;

/** Whether a spec can select a write: POST/PUT/PATCH/DELETE (or `*`), or a gRPC method not named Get/List/Watch*. */
export function canWrite(spec: MethodSpec): boolean {
  if (spec.kind === 'http') return spec.methods === undefined || spec.methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m));
  const last = spec.segments[spec.segments.length - 1];
  if (last === undefined || last.kind === 'globstar' || last.kind === 'star') return true;
  const fixed = last.kind === 'glob' ? (last.parts[0] ?? '') : last.text;
  return !READ_PREFIXES.some((p) => fixed.startsWith(p));
}
