// SPIFFE ID parsing by the rules of the SPIFFE ID standard: strict, never folding case, never
// decoding. It does not match patterns (src/policy/patterns.ts does) and does no I/O.

export const MAX_SPIFFE_ID_LENGTH = 2048;
export const MAX_TRUST_DOMAIN_LENGTH = 255;

export interface SpiffeId {
  /** The ID exactly as given (it is already canonical when it parses). */
  readonly value: string;
  readonly trustDomain: string;
  /** '' for a trust-domain ID, else '/seg/seg'. */
  readonly path: string;
}

export type SpiffeParse =
  | { readonly ok: true; readonly id: SpiffeId }
  | { readonly ok: false; readonly error: string };

const SCHEME = 'spiffe://';

// Lookup tables instead of regexes: one pass over the string, no allocation per character.
const TD_CHARS = charTable('abcdefghijklmnopqrstuvwxyz0123456789.-_');
const PATH_CHARS = charTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_');

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

function fail(error: string): SpiffeParse {
  return { ok: false, error };
}

/** Parse a SPIFFE ID; a trust-domain ID (no path) parses, callers that need a workload check `path`. */
export function parseSpiffeId(input: string): SpiffeParse {
  if (typeof input !== 'string' || input.length === 0) return fail('empty');
  if (input.length > MAX_SPIFFE_ID_LENGTH) return fail('too_long');
  if (!input.startsWith(SCHEME)) return fail('scheme');
  const rest = input.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const tdError = checkTrustDomain(trustDomain);
  if (tdError !== undefined) return fail(tdError);
  const path = slash === -1 ? '' : rest.slice(slash);
  const pathError = checkPath(path);
  if (pathError !== undefined) return fail(pathError);
  return { ok: true, id: { value: input, trustDomain, path } };
}

/** An error code for a bad trust domain name, or undefined when it is valid. */
export function checkTrustDomain(td: string): string | undefined {
  if (td.length === 0) return 'empty_trust_domain';
  if (td.length > MAX_TRUST_DOMAIN_LENGTH) return 'trust_domain_too_long';
  for (let i = 0; i < td.length; i++) {
    const c = td.charCodeAt(i);
    if (c >= 128 || TD_CHARS[c] !== 1) return 'bad_trust_domain_char';
  }
  return undefined;
}

/** An error code for a bad path ('' is valid: a trust-domain ID), or undefined when it is valid. */
export function checkPath(path: string): string | undefined {
  if (path.length === 0) return undefined;
  if (path.charCodeAt(0) !== 47) return 'path_not_absolute';
  if (path.charCodeAt(path.length - 1) === 47) return 'trailing_slash';
  let segStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i === path.length ? 47 : path.charCodeAt(i);
    if (c === 47) {
      const len = i - segStart;
      if (len === 0) return 'empty_segment';
      if (len === 1 && path.charCodeAt(segStart) === 46) return 'dot_segment';
      if (len === 2 && path.charCodeAt(segStart) === 46 && path.charCodeAt(segStart + 1) === 46) return 'dot_segment';
      segStart = i + 1;
    } else if (c >= 128 || PATH_CHARS[c] !== 1) {
      return 'bad_path_char';
    }
  }
  return undefined;
}
