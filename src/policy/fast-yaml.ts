// A single-pass parser for the YAML subset policy files are written in (block maps and sequences,
// one-line flow collections and scalars, comments), returning the plain data and the offsets
// `yaml` would report. It gives up (undefined) on anything else, and never reports errors:
// yaml-source.ts then falls back to the `yaml` package, which has the final word.

import { C, Cursor, bail, isBlank, skipSpaces } from './fast-yaml-cursor.js';
import type { Tape } from './fast-yaml-cursor.js';
import { addKey, flowMap, flowSeq, implicitKey } from './fast-yaml-flow.js';
import { COMMENT, plainStartOk, quoted, resolvePlain, scanPlain } from './fast-yaml-scalar.js';

export interface FastYaml {
  readonly text: string;
  readonly data: Record<string, unknown>;
  /** Offsets of every node (see Tape in fast-yaml-cursor.ts); `root` is the root map's ref. */
  readonly tape: Tape;
  readonly root: number;
}

/** The data and positions of `text`, or undefined when it is outside the subset. */
export function parseFastYaml(text: string): FastYaml | undefined {
  const cur = new Cursor(text);
  try {
    return document(cur);
  } catch {
    // UNSUPPORTED, or a bug surfacing as an exception: either way `yaml` decides.
    return undefined;
  }
}

function document(cur: Cursor): FastYaml {
  let indent = nextContent(cur, true);
  if (indent === 0 && cur.s.startsWith('---', cur.i)) {
    cur.i += 3;
    endOfLine(cur, false);
    indent = nextContent(cur);
  }
  if (indent !== 0) bail();
  const data = blockMap(cur, 0, cur.i, blockKey(cur));
  const root = cur.pos;
  if (nextContent(cur) !== -1) bail();
  return { text: cur.s, data, tape: cur.finish(), root };
}

/** Skip blank and comment lines; cur.i stays at the start of the next content line, whose
 *  indent is returned (-1 at the end). A document marker there means a second document (bail),
 *  except for a leading `---` when `start` is set. */
function nextContent(cur: Cursor, start = false): number {
  const s = cur.s;
  const n = s.length;
  let i = cur.i;
  while (i < n) {
    let j = i;
    while (s.charCodeAt(j) === C.SP) j++;
    const c = s.charCodeAt(j);
    if (j >= n) break;
    if (c === C.NL) i = j + 1;
    else if (c === C.HASH) i = commentEnd(cur, j) + 1;
    else {
      if (c === C.TAB || (j === i && isMarker(s, i) && !(start && c === C.DASH))) bail();
      cur.i = i;
      cur.lineStart = i;
      return j - i;
    }
  }
  cur.i = n;
  return -1;
}

function isMarker(s: string, i: number): boolean {
  return (s.startsWith('---', i) || s.startsWith('...', i)) && isBlank(s.charCodeAt(i + 3));
}

/** The line end after the comment at `hash`; refused characters in it send the file to yaml. */
function commentEnd(cur: Cursor, hash: number): number {
  COMMENT.lastIndex = hash;
  COMMENT.test(cur.s);
  const end = COMMENT.lastIndex;
  if (end < cur.s.length && cur.s.charCodeAt(end) !== C.NL) bail();
  return end;
}

/** After a value: spaces, then a comment (which needs a space before it) or the line end. */
function endOfLine(cur: Cursor, spaced: boolean): void {
  const before = cur.i;
  skipSpaces(cur);
  const c = cur.s.charCodeAt(cur.i);
  if (c === C.HASH && (spaced || cur.i > before)) cur.i = commentEnd(cur, cur.i);
  else if (c !== C.NL && !Number.isNaN(c)) bail();
  cur.i = Math.min(cur.i + 1, cur.s.length);
}

/** Whether the content line at `indent` (cur.i at its line start) starts a sequence entry. */
function seqEntryAt(cur: Cursor, indent: number): boolean {
  const at = cur.i + indent;
  return cur.s.charCodeAt(at) === C.DASH && isBlank(cur.s.charCodeAt(at + 1));
}

/** Entries at column `indent`, the first key (at `keyAt`) already read. Position: the first key. */
function blockMap(cur: Cursor, indent: number, keyAt: number, key: string): Record<string, unknown> {
  cur.enter();
  const record = cur.openRecord(keyAt);
  const keys = cur.keyBase();
  const out: Record<string, unknown> = {};
  for (;;) {
    addKey(cur, keys, key);
    out[key] = mapValue(cur, indent);
    cur.addSlot(keyAt);
    cur.addSlot(cur.pos);
    const next = nextContent(cur);
    if (next < indent) break;
    if (next > indent) bail(); // a continuation line or bad indentation: yaml decides
    cur.i += next;
    keyAt = cur.i;
    key = blockKey(cur);
  }
  cur.closeRecord(record, true, keys);
  return out;
}

function blockKey(cur: Cursor): string {
  return implicitKey(cur) ?? bail();
}

/** The value after `key:` in a block map whose keys sit at column `indent`. */
function mapValue(cur: Cursor, indent: number): unknown {
  skipSpaces(cur);
  if (!atLineEnd(cur)) return lineValue(cur);
  // yaml places an empty value right after the indicator and the spaces that follow it.
  const empty = cur.i;
  endOfLine(cur, true);
  const next = nextContent(cur);
  // A sequence may sit at the key's own column; anything else nested must be deeper.
  if (next > indent || (next === indent && seqEntryAt(cur, next))) return nested(cur, next);
  cur.pos = empty;
  return null;
}

function atLineEnd(cur: Cursor): boolean {
  const c = cur.s.charCodeAt(cur.i);
  return c === C.NL || c === C.HASH || Number.isNaN(c);
}

/** A block collection starting on the content line at `indent` (cur.i at its line start). */
function nested(cur: Cursor, indent: number): unknown {
  const entry = seqEntryAt(cur, indent);
  cur.i += indent;
  return entry ? blockSeq(cur, indent) : blockMap(cur, indent, cur.i, blockKey(cur));
}

/** A value that ends on its own line: flow collection, quoted or plain scalar. */
function lineValue(cur: Cursor): unknown {
  const c = cur.s.charCodeAt(cur.i);
  let value: unknown;
  if (c === C.LBRACK) value = flowSeq(cur);
  else if (c === C.LBRACE) value = flowMap(cur);
  else if (c === C.SQ || c === C.DQ) value = quoted(cur);
  else {
    if (!plainStartOk(cur, false)) bail();
    const start = cur.i;
    if (scanPlain(cur, false)) bail(); // `a: b: c`, or a compact map where none is allowed
    cur.pos = start;
    value = resolvePlain(cur.s.slice(start, cur.end));
  }
  endOfLine(cur, false);
  return value;
}

/** Entries `- ` at column `indent`; cur.i is at the first `-`. Position: the first `-`. */
function blockSeq(cur: Cursor, indent: number): unknown[] {
  cur.enter();
  const items = cur.itemBase();
  const record = cur.openRecord(cur.i);
  for (;;) {
    cur.i++;
    cur.addItem(seqItem(cur, indent));
    cur.addSlot(cur.pos);
    const next = nextContent(cur);
    if (next > indent) bail();
    if (next < indent || !seqEntryAt(cur, next)) break;
    cur.i += next;
  }
  cur.closeRecord(record, false);
  return cur.closeItems(items);
}

/** What follows a `-`: nothing (null or a nested block below), a compact map, or a line value. */
function seqItem(cur: Cursor, indent: number): unknown {
  skipSpaces(cur);
  if (atLineEnd(cur)) {
    const empty = cur.i;
    endOfLine(cur, true);
    const next = nextContent(cur);
    if (next > indent) return nested(cur, next);
    cur.pos = empty;
    return null;
  }
  if (cur.s.charCodeAt(cur.i) === C.DASH && isBlank(cur.s.charCodeAt(cur.i + 1))) bail(); // `- - x`
  // A compact map (`- key: value`) has its keys at the column of the first one.
  const start = cur.i;
  const key = implicitKey(cur);
  if (key !== undefined) return blockMap(cur, start - cur.lineStart, start, key);
  cur.i = start;
  return lineValue(cur);
}
