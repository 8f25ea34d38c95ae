// Flow collections on one line (`[a, b]`, `{ k: v }`) and implicit keys for the fast YAML path
// (fast-yaml.ts). Like the rest of it, it throws UNSUPPORTED for anything outside the subset.

import { C, bail, skipSpaces } from './fast-yaml-cursor.js';
import type { Cursor } from './fast-yaml-cursor.js';
import { MAX_KEY_LENGTH, plainStartOk, quoted, resolvePlain, scanPlain } from './fast-yaml-scalar.js';

/** A value in flow context: nested collection, quoted or plain scalar. */
function flowNode(cur: Cursor): unknown {
  const c = cur.s.charCodeAt(cur.i);
  if (c === C.LBRACK) return flowSeq(cur);
  if (c === C.LBRACE) return flowMap(cur);
  if (c === C.SQ || c === C.DQ) return quoted(cur);
  if (!plainStartOk(cur, true)) bail();
  const start = cur.i;
  scanPlain(cur, true);
  cur.pos = start;
  return resolvePlain(cur.s.slice(start, cur.end));
}

/** After an item or entry: `,` (a trailing one allowed) or the closing bracket. True when closed. */
function flowSeparator(cur: Cursor, close: number): boolean {
  skipSpaces(cur);
  const c = cur.s.charCodeAt(cur.i);
  if (c === close) {
    cur.i++;
    return true;
  }
  if (c !== C.COMMA) bail();
  cur.i++;
  skipSpaces(cur);
  if (cur.s.charCodeAt(cur.i) !== close) return false;
  cur.i++;
  return true;
}

export function flowSeq(cur: Cursor): unknown[] {
  cur.enter();
  const items = cur.itemBase();
  const record = cur.openRecord(cur.i);
  cur.i++;
  skipSpaces(cur);
  let closed = cur.s.charCodeAt(cur.i) === C.RBRACK;
  if (closed) cur.i++;
  while (!closed) {
    cur.addItem(flowNode(cur));
    cur.addSlot(cur.pos);
    closed = flowSeparator(cur, C.RBRACK);
  }
  cur.closeRecord(record, false);
  return cur.closeItems(items);
}

export function flowMap(cur: Cursor): Record<string, unknown> {
  cur.enter();
  const record = cur.openRecord(cur.i);
  const keys = cur.keyBase();
  const out: Record<string, unknown> = {};
  cur.i++;
  skipSpaces(cur);
  let closed = cur.s.charCodeAt(cur.i) === C.RBRACE;
  if (closed) cur.i++;
  while (!closed) {
    const keyAt = cur.i;
    const key = flowKey(cur);
    addKey(cur, keys, key);
    out[key] = flowNode(cur);
    cur.addSlot(keyAt);
    cur.addSlot(cur.pos);
    closed = flowSeparator(cur, C.RBRACE);
  }
  cur.closeRecord(record, true, keys);
  return out;
}

/** `key: ` in flow context; an entry without a value, or `:` glued to its value, is refused. */
function flowKey(cur: Cursor): string {
  let key: string;
  const start = cur.i;
  const c = cur.s.charCodeAt(start);
  if (c === C.SQ || c === C.DQ) key = quoted(cur);
  else {
    if (!plainStartOk(cur, true)) bail();
    scanPlain(cur, true);
    key = cur.keyText(start, cur.end);
    if (typeof resolvePlain(key) !== 'string') bail();
  }
  skipSpaces(cur);
  if (cur.s.charCodeAt(cur.i) !== C.COLON || cur.s.charCodeAt(cur.i + 1) !== C.SP || cur.i - start > MAX_KEY_LENGTH) bail();
  cur.i += 2;
  skipSpaces(cur);
  return key;
}

/** yaml reports duplicate keys, and gives `__proto__` its own treatment: both go to `yaml`. */
export function addKey(cur: Cursor, keys: number, key: string): void {
  if (key === '__proto__') bail();
  cur.addKey(keys, key);
}

/** A plain or quoted implicit key, read up to and past its `:`; undefined (cur.i then anywhere
 *  on the line) when the text is not a key. A key yaml would not read as a string is refused. */
export function implicitKey(cur: Cursor): string | undefined {
  const start = cur.i;
  let key: string;
  const c = cur.s.charCodeAt(start);
  if (c === C.SQ || c === C.DQ) {
    key = quoted(cur);
    skipSpaces(cur);
  } else {
    if (!plainStartOk(cur, false) || !scanPlain(cur, false)) return undefined;
    key = cur.keyText(start, cur.end);
    if (typeof resolvePlain(key) !== 'string') bail();
  }
  const next = cur.s.charCodeAt(cur.i + 1);
  if (cur.s.charCodeAt(cur.i) !== C.COLON || !(next === C.SP || next === C.NL || Number.isNaN(next))) return undefined;
  if (cur.i - start > MAX_KEY_LENGTH) bail();
  cur.i++;
  return key;
}
