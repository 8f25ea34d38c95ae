// Segment patterns for HTTP paths, gRPC methods and SPIFFE IDs: `*` within a segment, `**` for
// zero or more whole segments, everything else literal and case-sensitive. Patterns are parsed
// and compiled once at load time; matching walks the subject string by offsets and never builds
// a regex or splits the subject. Indexing many patterns at once is method-index.ts's job.

import { memoize } from './memo.js';
import { packedMap } from './packed.js';

/**
 * `literal`; `star` is exactly `*` (any one segment, possibly empty); `glob` has `*` inside a
 * segment (`Get*`), `parts` being the literal pieces between the stars; `globstar` is exactly
 * `**` (zero or more whole segments).
 */
export type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star'; readonly text: string }
  | { readonly kind: 'glob'; readonly text: string; readonly parts: readonly string[] }
  | { readonly kind: 'globstar'; readonly text: string };

const STAR: Segment = Object.freeze({ kind: 'star', text: '*' });
const GLOBSTAR: Segment = Object.freeze({ kind: 'globstar', text: '**' });

/** One frozen Segment per distinct text (memo.ts): `v1`, `*`, `**` recur in nearly every pattern
 *  (the last two without a look-up: they are a third of all segments). */
export function compileSegment(text: string): Segment {
  return text === '*' ? STAR : text === '**' ? GLOBSTAR : compileOther(text);
}

const compileOther: (text: string) => Segment = memoize((text) =>
  text.includes('*') ? { kind: 'glob', text, parts: Object.freeze(text.split('*')) } : { kind: 'literal', text },
);

/** Packed (packed.ts): a holey list, from `new Array(n)` or an optimized `map`, makes every match
 *  on it slower (T5 read 1.57 with one). */
export function compileSegments(texts: readonly string[]): readonly Segment[] {
  return Object.freeze(packedMap(texts, compileSegment));
}

/** Whether s[start, end) matches a glob whose literal pieces are `parts` (split on `*`). */
export function globMatches(parts: readonly string[], s: string, start: number, end: number): boolean {
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (end - start < first.length + last.length) return false;
  if (!s.startsWith(first, start) || !s.endsWith(last, end)) return false;
  let at = start + first.length;
  const stop = end - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    if (part.length === 0) continue;
    const found = s.indexOf(part, at);
    if (found === -1 || found + part.length > stop) return false;
    at = found + part.length;
  }
  return true;
}

/** Whether segment s[start, end) matches one non-`**` segment pattern. */
export function segmentMatches(seg: Segment, s: string, start: number, end: number): boolean {
  switch (seg.kind) {
    case 'literal':
      return end - start === seg.text.length && s.startsWith(seg.text, start);
    case 'star':
      return true;
    case 'glob':
      return globMatches(seg.parts, s, start, end);
    case 'globstar':
      return false;
  }
}

/** End of the segment that starts at `pos` in `s` (the next `/`, or the end of the string). */
export function segmentEnd(s: string, pos: number): number {
  const e = s.indexOf('/', pos);
  return e === -1 ? s.length : e;
}

/**
 * Whether the segments of `s` starting at offset `pos` match `segs` from index `si`.
 * `pos === s.length + 1` means every segment of `s` has been consumed.
 */
export function matchSegments(segs: readonly Segment[], si: number, s: string, pos: number): boolean {
  for (;;) {
    const seg = segs[si];
    if (seg === undefined) return pos > s.length;
    if (seg.kind === 'globstar') return matchGlobStar(segs, si + 1, s, pos);
    if (pos > s.length) return false;
    const end = segmentEnd(s, pos);
    if (!segmentMatches(seg, s, pos, end)) return false;
    si++;
    pos = end + 1;
  }
}

function matchGlobStar(segs: readonly Segment[], next: number, s: string, pos: number): boolean {
  if (next === segs.length) return true;
  for (;;) {
    if (matchSegments(segs, next, s, pos)) return true;
    if (pos > s.length) return false;
    pos = segmentEnd(s, pos) + 1;
  }
}

/** A `*` glob over a whole string (no segments), for token subjects like `svc-*`. */
export interface Glob {
  readonly text: string;
  /** undefined when the text has no `*` (compare exactly). */
  readonly parts: readonly string[] | undefined;
}

/** One Glob per distinct text (memo.ts): a large set names the same subject (`svc-*`) in
 *  thousands of entries. */
export const compileGlob: (text: string) => Glob = memoize((text) => ({
  text,
  parts: text.includes('*') ? Object.freeze(text.split('*')) : undefined,
}));

export function globHolds(glob: Glob, s: string): boolean {
  return glob.parts === undefined ? s === glob.text : globMatches(glob.parts, s, 0, s.length);
}
