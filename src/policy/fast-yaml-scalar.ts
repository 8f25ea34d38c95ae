// Scalars for the fast YAML path (fast-yaml.ts): plain ones scanned (a loop for printable ASCII,
// a regex for the rest) and resolved as yaml 2's core schema does, single- and double-quoted ones
// on one line. It never reports
// errors: anything it is not certain `yaml` reads the same way throws UNSUPPORTED.

import { C, bail, isBlank } from './fast-yaml-cursor.js';
import type { Cursor } from './fast-yaml-cursor.js';

// yaml refuses implicit keys longer than 1024 characters; stay well below.
export const MAX_KEY_LENGTH = 1000;

function isFlowIndicator(c: number): boolean {
  return c === C.COMMA || c === C.LBRACK || c === C.RBRACK || c === C.LBRACE || c === C.RBRACE;
}

// Characters no plain scalar may start with (indicators, quotes, tab); `-` is allowed when it is
// not an indicator (e.g. `-1`); `?` and `:` are refused outright to stay on the safe side.
const NO_PLAIN_START = new Set([...'\t ,[]{}#&*!|>\'"%@`?:'].map((ch) => ch.charCodeAt(0)));

export function plainStartOk(cur: Cursor, flow: boolean): boolean {
  const c = cur.s.charCodeAt(cur.i);
  if (Number.isNaN(c) || c === C.NL || NO_PLAIN_START.has(c)) return false;
  if (c !== C.DASH) return true;
  const next = cur.s.charCodeAt(cur.i + 1);
  return !isBlank(next) && !(flow && isFlowIndicator(next));
}

// Characters yaml may treat specially or refuse (\r and other controls, C1, line separators,
// BOM, non-characters) and, with the `u` flag, unpaired surrogates. Every character the parser
// accepts passes through a regex that excludes them or through an explicit check.
const REFUSED = '\\0-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufeff\\ufffe\\uffff\\ud800-\\udfff';

// The body of a plain scalar, the definition plainEnd's loop follows for printable ASCII: any
// character but a blank or `:`, a `:` not followed by a blank, and spaces when more of the scalar
// (not a `#`) follows them. In flow context `,[]{}` end it too, as does a `:` before them.
function plainRegex(stop: string): RegExp {
  const char = `[^ \\t\\n:${stop}${REFUSED}]|:(?![ \\t\\n${stop}]|$)`;
  const first = `[^ \\t\\n:#${stop}${REFUSED}]|:(?![ \\t\\n${stop}]|$)`;
  return new RegExp(`(?:${char})+(?: +(?:${first})(?:${char})*)*`, 'uy');
}
const PLAIN_BLOCK = plainRegex('');
const PLAIN_FLOW = plainRegex(',\\[\\]{}');
/** The rest of a comment line (from its `#`); it must reach the line end. */
export const COMMENT = new RegExp(`[^\\n${REFUSED}]*`, 'uy');
const SINGLE_BODY = new RegExp(`(?:[^'\\n${REFUSED}]|'')*`, 'uy');
const DOUBLE_BODY = new RegExp(`(?:[^"\\\\\\n${REFUSED}]|\\\\[^\\n${REFUSED}])*`, 'uy');

/** Scan a plain scalar from cur.i (its first character already checked). Its end goes to
 *  cur.end; when a `:` value indicator follows, cur.i is left on it and the result is true,
 *  else cur.i is the end. A tab next to it is refused. */
export function scanPlain(cur: Cursor, flow: boolean): boolean {
  let end = plainEnd(cur.s, cur.i, flow);
  if (end === -1) end = plainEndByRegex(cur.s, cur.i, flow);
  if (end === -1) bail();
  cur.end = end;
  let j = end;
  while (cur.s.charCodeAt(j) === C.SP) j++;
  const c = cur.s.charCodeAt(j);
  if (c === C.TAB) bail();
  cur.i = c === C.COLON ? j : end;
  return c === C.COLON;
}

/** Where the plain scalar regex's match from `i` ends, or -1 when it does not match. */
export function plainEndByRegex(s: string, i: number, flow: boolean): number {
  const re = flow ? PLAIN_FLOW : PLAIN_BLOCK;
  re.lastIndex = i;
  return re.test(s) ? re.lastIndex : -1;
}

/** Ends a plain scalar wherever it stands: a blank, or in flow context `,[]{}`. */
function stops(c: number, flow: boolean): boolean {
  return c === C.SP || c === C.TAB || c === C.NL || Number.isNaN(c) || (flow && isFlowIndicator(c));
}

/**
 * Where PLAIN_FLOW / PLAIN_BLOCK's match from `i` ends, found by a loop over printable ASCII (the
 * regexes, with their `u` flag and look-aheads, were a fifth of the fast path's time on a large
 * set); -1 for "ask the regex": any other character, or no match at all. plainEnd's property
 * test holds the two equal.
 */
export function plainEnd(s: string, i: number, flow: boolean): number {
  const start = i;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === C.SP) {
      let j = i + 1;
      while (s.charCodeAt(j) === C.SP) j++;
      const d = s.charCodeAt(j);
      if (i === start || stops(d, flow) || d === C.HASH || (d === C.COLON && stops(s.charCodeAt(j + 1), flow))) return i === start ? -1 : i;
      if (d < 0x21 || d > 0x7e) return -1;
      i = j; // d goes on as the scalar's next character (`#` and `: ` already ruled out)
      continue;
    }
    if (stops(c, flow)) return i === start ? -1 : i;
    if (c < 0x21 || c > 0x7e) return -1;
    if (c === C.COLON && stops(s.charCodeAt(i + 1), flow)) return i === start ? -1 : i;
    i++;
  }
}

const INT_RE = /^[-+]?[0-9]+$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
// Octal, hex, .inf and .nan resolve to numbers too; they are left to `yaml`.
const OTHER_NUMBER_RE = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** The core schema's resolution of a plain scalar (null, bool, int, float, else string). Words
 *  are compared, not matched: this runs for every scalar and regexes make the JIT's work big. */
export function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  // Digits, `+`, `-`, `.`: maybe a number (numbers are rare in policies: kept out of line).
  if (c < 0x3a) return c >= 0x30 || c === 0x2b || c === 0x2d || c === 0x2e ? resolveNumber(text) : text;
  if (text.length > 5 || !WORD_FIRST.has(c)) return text;
  return WORDS.has(text) ? WORDS.get(text) : text;
}

// The words the core schema reads as null or a bool, and the characters they start with.
const WORDS = new Map<string, null | boolean>([
  ['~', null], ['null', null], ['Null', null], ['NULL', null],
  ['true', true], ['True', true], ['TRUE', true], ['false', false], ['False', false], ['FALSE', false],
]);
const WORD_FIRST = new Set([...WORDS.keys()].map((w) => w.charCodeAt(0)));

/** yaml tries int before float, and leaves octal, hex, .inf and .nan (refused here) aside. */
function resolveNumber(text: string): unknown {
  if (INT_RE.test(text)) return parseInt(text, 10);
  if (OTHER_NUMBER_RE.test(text)) bail();
  if (FLOAT_EXP_RE.test(text) || FLOAT_RE.test(text)) return parseFloat(text);
  return text;
}

/** A quoted scalar on one line, cur.i at the quote; position is the quote. */
export function quoted(cur: Cursor): string {
  cur.pos = cur.i;
  return cur.s.charCodeAt(cur.i) === C.SQ ? singleQuoted(cur) : doubleQuoted(cur);
}

/** The end of a quoted body matched by `re` from `start`; the closing quote must follow. */
function quotedEnd(cur: Cursor, re: RegExp, start: number, quote: number): number {
  re.lastIndex = start;
  re.test(cur.s);
  const end = re.lastIndex;
  if (cur.s.charCodeAt(end) !== quote) bail(); // a line end, a refused character, or the end
  cur.i = end + 1;
  return end;
}

function singleQuoted(cur: Cursor): string {
  const start = cur.i + 1;
  const body = cur.s.slice(start, quotedEnd(cur, SINGLE_BODY, start, C.SQ));
  return body.includes("''") ? body.replaceAll("''", "'") : body;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\', '\t': '\t',
};
const HEX_LENGTH: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };
const HEX_RE = /^[0-9a-fA-F]+$/;

function doubleQuoted(cur: Cursor): string {
  const start = cur.i + 1;
  const body = cur.s.slice(start, quotedEnd(cur, DOUBLE_BODY, start, C.DQ));
  let slash = body.indexOf('\\');
  if (slash === -1) return body;
  let out = body.slice(0, slash);
  while (slash !== -1) {
    const ch = body.charAt(slash + 1);
    out += escaped(body, slash + 1);
    const from = slash + 2 + (HEX_LENGTH[ch] ?? 0);
    slash = body.indexOf('\\', from);
    out += body.slice(from, slash === -1 ? body.length : slash);
  }
  return out;
}

/** The character an escape stands for; `at` is just past the backslash. */
function escaped(s: string, at: number): string {
  const ch = s.charAt(at);
  const simple = ESCAPES[ch];
  if (simple !== undefined) return simple;
  const len = HEX_LENGTH[ch];
  if (len === undefined) bail();
  const hex = s.slice(at + 1, at + 1 + len);
  if (hex.length !== len || !HEX_RE.test(hex)) bail();
  const code = parseInt(hex, 16);
  // Lone surrogates and out-of-range code points are yaml's business (it reports some of them).
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) bail();
  return String.fromCodePoint(code);
}
