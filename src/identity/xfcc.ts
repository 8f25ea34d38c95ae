// Parser of the x-forwarded-client-cert header as Envoy writes it: comma-separated elements (one
// per proxy hop), each a `;`-separated list of key=value pairs whose values may be double-quoted
// with backslash escapes (so `,` and `;` inside quotes are data). It decides nothing about trust.

/** Longest header accepted: several hops with Cert and Chain fit easily; more is an attack. */
export const MAX_XFCC_CHARS = 64 * 1024;

export type XfccPair = readonly [key: string, value: string];
export type XfccElement = readonly XfccPair[];

export type XfccParse =
  | { readonly ok: true; readonly elements: readonly XfccElement[] }
  | { readonly ok: false; readonly error: string };

const COMMA = 44;
const SEMICOLON = 59;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

function isKeyChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

/** Unquoted values are runs of visible ASCII other than the three delimiters. */
function isBareChar(c: number): boolean {
  return c > 32 && c < 127 && c !== COMMA && c !== SEMICOLON && c !== QUOTE;
}

function skipOws(s: string, i: number): number {
  while (i < s.length && isOws(s.charCodeAt(i))) i++;
  return i;
}

/** A quoted value starting at the opening quote: [value, index after the closing quote] or -1. */
function readQuoted(s: string, open: number): [string, number] | undefined {
  let out = '';
  let runStart = open + 1;
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      if (i + 1 >= s.length) return undefined;
      out += s.slice(runStart, i) + s.charAt(i + 1);
      i++;
      runStart = i + 1;
    } else if (c === QUOTE) {
      return [out + s.slice(runStart, i), i + 1];
    } else if (c < 32 || c === 127) {
      return undefined;
    }
  }
  return undefined;
}

/** One key=value pair at i: [pair, index after it] or an error string. */
function readPair(s: string, i: number): [XfccPair, number] | string {
  const keyStart = i;
  while (i < s.length && isKeyChar(s.charCodeAt(i))) i++;
  if (i === keyStart) return 'missing_key';
  if (s.charCodeAt(i) !== EQUALS) return 'missing_equals';
  const key = s.slice(keyStart, i);
  i++;
  if (s.charCodeAt(i) === QUOTE) {
    const quoted = readQuoted(s, i);
    if (quoted === undefined) return 'unterminated_quote';
    return [[key, quoted[0]], quoted[1]];
  }
  const valueStart = i;
  while (i < s.length && isBareChar(s.charCodeAt(i))) i++;
  return [[key, s.slice(valueStart, i)], i];
}

export function parseXfcc(header: string): XfccParse {
  if (header.length > MAX_XFCC_CHARS) return { ok: false, error: 'too_large' };
  const elements: XfccElement[] = [];
  let pairs: XfccPair[] = [];
  let i = skipOws(header, 0);
  if (i >= header.length) return { ok: false, error: 'empty' };
  for (;;) {
    const read = readPair(header, i);
    if (typeof read === 'string') return { ok: false, error: read };
    pairs.push(read[0]);
    i = skipOws(header, read[1]);
    if (i >= header.length) break;
    const c = header.charCodeAt(i);
    if (c === COMMA) {
      elements.push(pairs);
      pairs = [];
    } else if (c !== SEMICOLON) {
      return { ok: false, error: 'unexpected_character' };
    }
    i = skipOws(header, i + 1);
    if (i >= header.length) return { ok: false, error: 'trailing_separator' };
  }
  elements.push(pairs);
  return { ok: true, elements };
}

/** Values of `key` (compared case-insensitively, as Envoy's keys are fixed words) in one element. */
export function valuesOf(element: XfccElement, key: string): string[] {
  const wanted = key.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of element) if (k.length === wanted.length && k.toLowerCase() === wanted) out.push(v);
  return out;
}
