// Request-target normalization of product.md §4: strip the query, decode percent-escaped
// unreserved characters, and refuse every spelling that could be read two ways. Pure.

export type PathResult =
  | { readonly ok: true; readonly path: string; readonly rawPath: string; readonly hasQuery: boolean; readonly queryKeys: readonly string[] }
  | { readonly ok: false; readonly reason: 'ambiguous_path' | 'malformed_request'; readonly detail: string; readonly rawPath: string; readonly hasQuery: boolean; readonly queryKeys: readonly string[] };

/** Paths longer than this are refused outright (Envoy's own default limit is far below). */
export const MAX_PATH_LENGTH = 8192;

const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const NO_KEYS: readonly string[] = Object.freeze([]);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Names of the query parameters (never their values: they may hold secrets). */
function queryKeysOf(query: string): readonly string[] {
  if (query.length === 0) return NO_KEYS;
  const keys: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key.length === 0) continue;
    // Only 64 names are kept for the audit trail, but a token carrier is never dropped from view.
    const name = safeDecode(key);
    if (keys.length < 64 || name === 'access_token') keys.push(name);
  }
  return keys;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function normalizePath(target: string): PathResult {
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const hasQuery = q !== -1;
  const queryKeys = hasQuery ? queryKeysOf(target.slice(q + 1)) : NO_KEYS;
  const bad = (reason: 'ambiguous_path' | 'malformed_request', detail: string): PathResult =>
    ({ ok: false, reason, detail, rawPath, hasQuery, queryKeys });
  if (rawPath.length === 0) return bad('malformed_request', 'empty_path');
  if (rawPath.length > MAX_PATH_LENGTH) return bad('malformed_request', 'path_too_long');
  if (rawPath.charCodeAt(0) !== 47) return bad('malformed_request', 'path_not_origin_form');
  const decoded = decodeUnreserved(rawPath);
  if (typeof decoded !== 'string') return bad('ambiguous_path', decoded.detail);
  const segmentProblem = checkSegments(decoded);
  if (segmentProblem !== undefined) return bad('ambiguous_path', segmentProblem);
  // Routers commonly serve `/x/` as `/x`: match it as `/x`, so a deny of `/x` also covers it.
  const path = decoded.length > 1 && decoded.charCodeAt(decoded.length - 1) === 47 ? decoded.slice(0, -1) : decoded;
  return { ok: true, path, rawPath, hasQuery, queryKeys };
}

/** Decode %XX of unreserved characters, upper-case the hex of the others; refuse %2F, %5C, %00, bad escapes. */
function decodeUnreserved(raw: string): string | { detail: string } {
  if (raw.indexOf('%') === -1) return raw;
  let out = '';
  let from = 0;
  for (let i = raw.indexOf('%'); i !== -1; i = raw.indexOf('%', from)) {
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return { detail: 'bad_percent_escape' };
    const byte = hi * 16 + lo;
    if (byte === 0x2f) return { detail: 'encoded_slash' };
    if (byte === 0x5c) return { detail: 'encoded_backslash' };
    if (byte === 0) return { detail: 'nul' };
    // An encoded '%' means a second decoding (by a proxy or framework) reads something else.
    if (byte === 0x25) return { detail: 'encoded_percent' };
    // Path parameters: Tomcat/Spring and others drop `;…` (decoded or not) before routing, so
    // `/admin;x` would match no deny here yet reach /admin there.
    if (byte === 0x3b) return { detail: 'path_parameter' };
    out += raw.slice(from, i);
    out += byte < 128 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : `%${raw.slice(i + 1, i + 3).toUpperCase()}`;
    from = i + 3;
  }
  return out + raw.slice(from);
}

/**
 * `.` or `..`, also with a path parameter (`..;x`, which some servers read as `..`) or an encoded
 * one (`..%3B`: servers that decode before stripping parameters read that as `..` too).
 */
function isDotSegment(path: string, start: number, end: number): boolean {
  if (path.charCodeAt(start) !== 46) return false;
  const after = path.charCodeAt(start + 1) === 46 ? start + 2 : start + 1;
  return after === end || path.charCodeAt(after) === 59 || path.startsWith('%3B', after);
}

/** Dot segments (see isDotSegment), empty segments, backslash, NUL, '#'. */
function checkSegments(path: string): string | undefined {
  let segStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i === path.length ? 47 : path.charCodeAt(i);
    if (c === 0) return 'nul';
    if (c === 92) return 'backslash';
    if (c === 35) return 'fragment';
    if (c < 32 || c === 127) return 'control_character';
    if (c === 59) return 'path_parameter';
    if (c !== 47) continue;
    const end = i;
    if (end === segStart && end !== path.length) return 'empty_segment';
    if (isDotSegment(path, segStart, end)) return 'dot_segment';
    segStart = i + 1;
  }
  return undefined;
}
