// SPIFFE ID patterns (`spiffe://example.org/ns/ops/*`): a literal trust domain (never a
// wildcard) and a path with the segment wildcards of patterns.ts. Parsed once at load; matched
// against already-parsed identities. Parsing SPIFFE IDs themselves is src/identity/spiffe.ts's.

import { checkPath, checkTrustDomain } from '../identity/spiffe.js';
import { memoize } from './memo.js';
import { compileSegments, matchSegments } from './patterns.js';
import type { Segment } from './patterns.js';
import type { Parsed } from './method-spec.js';

export interface SpiffePattern {
  readonly text: string;
  readonly trustDomain: string;
  /** '/seg/seg' with wildcards as written. */
  readonly path: string;
  /** No wildcard at all: compare the path exactly. */
  readonly exact: boolean;
  readonly segments: readonly Segment[];
}

const SCHEME = 'spiffe://';

/** Parse a SPIFFE ID pattern (memoized: see memo.ts). */
export const parseSpiffePattern: (text: string) => Parsed<SpiffePattern> = memoize(parseSpiffePatternText);

function parseSpiffePatternText(text: string): Parsed<SpiffePattern> {
  if (!text.startsWith(SCHEME)) return { ok: false, error: `SPIFFE pattern "${text}" must start with spiffe:// (lower case)` };
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain.includes('*')) return { ok: false, error: `SPIFFE pattern "${text}": the trust domain is never a wildcard` };
  const tdError = checkTrustDomain(trustDomain);
  if (tdError !== undefined) return { ok: false, error: `SPIFFE pattern "${text}": invalid trust domain (${tdError})` };
  if (path === '') {
    return { ok: false, error: `SPIFFE pattern "${text}" names a trust domain, not a workload (every workload: spiffe://${trustDomain}/**)` };
  }
  // Stars stand in for path characters; what remains must be a valid SPIFFE ID path.
  const pathError = checkPath(path.replaceAll('*', 'x'));
  if (pathError !== undefined) return { ok: false, error: `SPIFFE pattern "${text}": invalid path (${pathError})` };
  const exact = !path.includes('*');
  return {
    ok: true,
    value: Object.freeze({ text, trustDomain, path, exact, segments: compileSegments(path.slice(1).split('/')) }),
  };
}

/**
 * Whether parseSpiffePattern would accept `text`, without building the pattern: validation only
 * needs the answer, and compiling builds it later (see method-spec.ts's isHttpSpec).
 */
export function isSpiffePattern(text: string): boolean {
  if (!text.startsWith(SCHEME)) return false;
  const slash = text.indexOf('/', SCHEME.length);
  if (slash === -1) return false;
  const trustDomain = text.slice(SCHEME.length, slash);
  if (trustDomain.includes('*') || checkTrustDomain(trustDomain) !== undefined) return false;
  const path = text.slice(slash);
  return checkPath(path.includes('*') ? path.replaceAll('*', 'x') : path) === undefined;
}

/** Whether an identity (trust domain + '/path', both already valid) matches the pattern. */
export function spiffeMatches(p: SpiffePattern, trustDomain: string, path: string): boolean {
  if (trustDomain !== p.trustDomain) return false;
  return p.exact ? path === p.path : matchSegments(p.segments, 0, path, 1);
}

/** `spiffe://td/**`: every workload of a domain (allowed, but lint warns). */
export function isDomainWide(p: SpiffePattern): boolean {
  return p.path === '/**';
}
