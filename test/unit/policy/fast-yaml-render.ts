// Renders the trees of fast-yaml-arb.ts as YAML text. In `safe` mode every choice that would leave
// the fast parser's subset is replaced by one inside it (a scalar that cannot be plain is
// double-quoted, an empty value where none may be is quoted), so the fast path must be taken.

import { parse } from 'yaml';
import type { Doc, MapNode, Note, SeqNode, Style, Tree } from './fast-yaml-arb.js';

type Context = 'block' | 'key' | 'flow' | 'flowKey';

export function render(doc: Doc, safe: boolean): string {
  const out: string[] = [];
  if (doc.header !== undefined) out.push(doc.header);
  if (doc.marker) out.push('---');
  blockMap(out, doc.root, 0, undefined, safe);
  return out.join('\n') + (doc.finalNewline ? '\n' : '');
}

const CONTROL = /[\0-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;
const BAD_START = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?:[ \t\n]|$)|---|\.\.\.)/;
// Numbers the fast parser deliberately leaves to `yaml`.
const LEFT_TO_YAML = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** Whether `text` may be written as a plain scalar in `ctx` and still be read back inside the subset. */
function plainSafe(text: string, ctx: Context): boolean {
  if (text === '' || text !== text.trim() || CONTROL.test(text) || BAD_START.test(text)) return false;
  if (/: |:$/.test(text) || text.includes(' #') || LEFT_TO_YAML.test(text)) return false;
  const flow = ctx === 'flow' || ctx === 'flowKey';
  if (flow && (/[,[\]{}]/.test(text) || /^-[,[\]{}]/.test(text))) return false;
  if (ctx === 'key' || ctx === 'flowKey') return typeof parse(text) === 'string';
  return true;
}

function doubleQuoted(text: string): string {
  return JSON.stringify(text).replace(/[\x7f-\x9f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The scalar as written; '' means nothing at all (an empty value). */
function scalarText(text: string, style: Style, ctx: Context, safe: boolean): string {
  let s = style;
  if (safe && s === 'empty' && ctx !== 'block') s = 'double';
  if (safe && s === 'plain' && !plainSafe(text, ctx)) s = 'double';
  if (safe && s === 'single' && CONTROL.test(text)) s = 'double';
  switch (s) {
    case 'empty':
      return '';
    case 'plain':
      return text;
    case 'single':
      return `'${text.replaceAll("'", "''")}'`;
    case 'double':
      return doubleQuoted(text);
  }
}

function keyText(key: string, style: Style, ctx: Context, safe: boolean): string {
  // yaml gives `__proto__` its own treatment, so the fast parser refuses it.
  return scalarText(safe && key === '__proto__' ? '__proto__x' : key, style, ctx, safe);
}

function isEmpty(t: Tree): boolean {
  return (t.k === 'map' && t.entries.length === 0) || (t.k === 'seq' && t.items.length === 0);
}

function flowText(t: Tree, safe: boolean): string {
  if (t.k === 'scalar') return scalarText(t.text, t.style, 'flow', safe);
  const parts =
    t.k === 'map'
      ? t.entries.map((e) => `${keyText(e.key, e.keyStyle, 'flowKey', safe)}: ${flowText(e.value, safe)}`)
      : t.items.map((i) => flowText(i.value, safe));
  const [open, close] = t.k === 'map' ? ['{', '}'] : ['[', ']'];
  const pad = t.layout.pad ? ' ' : '';
  const comma = t.layout.trailingComma && parts.length > 0 ? ',' : '';
  return `${open}${pad}${parts.join(', ')}${comma}${pad}${close}`;
}

function noteBefore(out: string[], note: Note): void {
  if (note.lineBefore !== undefined) out.push(' '.repeat(note.lineIndent) + note.lineBefore);
}

function trailing(note: Note): string {
  return note.trailing === undefined ? '' : ` # ${note.trailing}`;
}

/** `head` (e.g. `  key:` or `  -`) followed by the value, on this line or nested below it. */
function value(out: string[], head: string, v: Tree, col: number, parent: 'map' | 'seq', note: Note, safe: boolean): void {
  const tc = trailing(note);
  if (v.k === 'scalar') {
    const text = scalarText(v.text, v.style, 'block', safe);
    out.push(text === '' ? head + tc : `${head} ${text}${tc}`);
  } else if (v.layout.flow || isEmpty(v)) out.push(`${head} ${flowText(v, safe)}${tc}`);
  else if (v.k === 'map') {
    out.push(head + tc);
    blockMap(out, v, col + v.layout.width, undefined, safe);
  } else {
    out.push(head + tc);
    blockSeq(out, v, parent === 'map' && v.layout.sameIndent ? col : col + v.layout.width, safe);
  }
}

/** Entries at column `col`; `first` replaces the first line's indent (a compact map after `- `). */
function blockMap(out: string[], m: MapNode, col: number, first: string | undefined, safe: boolean): void {
  m.entries.forEach((e, idx) => {
    if (idx > 0 || first === undefined) noteBefore(out, e.note);
    const prefix = idx === 0 && first !== undefined ? first : ' '.repeat(col);
    value(out, `${prefix}${keyText(e.key, e.keyStyle, 'key', safe)}:`, e.value, col, 'map', e.note, safe);
  });
}

function blockSeq(out: string[], s: SeqNode, col: number, safe: boolean): void {
  const dash = `${' '.repeat(col)}-`;
  for (const item of s.items) {
    noteBefore(out, item.note);
    const v = item.value;
    const spaces = ' '.repeat(s.layout.dashSpaces);
    if (v.k === 'map' && !v.layout.flow && !isEmpty(v) && v.layout.compact) blockMap(out, v, col + 1 + s.layout.dashSpaces, dash + spaces, safe);
    else if (v.k === 'scalar') {
      const text = scalarText(v.text, v.style, 'block', safe);
      out.push(text === '' ? dash + trailing(item.note) : `${dash}${spaces}${text}${trailing(item.note)}`);
    } else value(out, dash, v, col, 'seq', item.note, safe);
  }
}
