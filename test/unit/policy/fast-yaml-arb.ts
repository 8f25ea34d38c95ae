// Policy-like YAML documents for the fast-yaml differential test: random trees of maps, sequences
// and tricky scalars, rendered with random layout (block or flow, quoting, comments, indent widths,
// blank lines). `safe` rendering stays inside the fast parser's subset; `wild` rendering writes
// every scalar as asked even where that is not valid YAML, and mutations break the text further.

import fc from 'fast-check';

export type Style = 'plain' | 'single' | 'double' | 'empty';
export interface Scalar { readonly k: 'scalar'; readonly text: string; readonly style: Style }
export interface Entry { readonly key: string; readonly keyStyle: Style; readonly value: Tree; readonly note: Note }
export interface MapNode { readonly k: 'map'; readonly entries: readonly Entry[]; readonly layout: Layout }
export interface SeqNode { readonly k: 'seq'; readonly items: readonly { readonly value: Tree; readonly note: Note }[]; readonly layout: Layout }
export type Tree = Scalar | MapNode | SeqNode;
/** Whether a collection is written in flow style, its indent step, `- ` spacing and seq placement. */
export interface Layout { readonly flow: boolean; readonly width: number; readonly dashSpaces: number; readonly sameIndent: boolean; readonly compact: boolean; readonly trailingComma: boolean; readonly pad: boolean }
/** What goes after a line or before it: a trailing comment, a comment line, a blank line. */
export interface Note { readonly trailing: string | undefined; readonly lineBefore: string | undefined; readonly lineIndent: number }
export interface Doc { readonly root: MapNode; readonly marker: boolean; readonly header: string | undefined; readonly finalNewline: boolean }

const TRICKY = [
  'spiffe://example.org/ns/a/sa/*', 'spiffe://bench.local/ns/team-0/sa/**', '/v1/orders/*/items/**', '* /admin/**',
  'GET|HEAD /v1/ledger/**', 'payments.v1.Ledger/Get*', 'a: b', 'a:b', 'b:c', 'a #b', 'a#b', "it's", 'say "hi"', '123',
  '-7', '+3', '007', '1.5', '1.', '.5', '1e3', '-2.5E-3', '0x10', '0o7', '.inf', '-.Inf', '.nan', 'true', 'False',
  'TRUE', 'yes', 'null', 'Null', '~', '', ' lead', 'trail ', 'é ü 中 😀', '*star', '&amp', '!bang', '%pct', '@at',
  '`tick', '|pipe', '>gt', '[br', 'x]', '{br', 'x}', ',comma', 'x,y', '? q', '- dash', '-dash', '-', ':colon', 'a[0]',
  'k: {v}', 'back\\slash', 'tab\there', 'new\nline', '\u00e9', 'x\u0001y', '---', '...', '--- x', '#hash', 'a: ',
  '__proto__', 'constructor', '0', '10', '2', 'a b  c', "''", '""', '<<', '=', 'a\u2028b',
];
const CHARS = [...'ab z09:#-*&!|>\'"[]{},?%@`~./\\ \t', 'é', '😀', '\n'];

const stringArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...CHARS), { maxLength: 8 }).map((cs) => cs.join('')) },
  // Numbers and near-numbers: the core schema decides which are numbers.
  { weight: 1, arbitrary: fc.stringMatching(/^[-+]?[0-9]{0,3}(\.[0-9]{0,3})?([eE][-+]?[0-9]{0,2})?[x_]?$/) },
  { weight: 1, arbitrary: fc.constantFrom('12345678901234567890', '-0', '0.0', '+.5e3', '1_000', '0b1', '0O7', '0X1F', '1e', 'e3', '.', '+', '1.2.3') },
);
const styleArb = fc.constantFrom<Style>('plain', 'plain', 'plain', 'single', 'double', 'empty');
const commentArb = fc.constantFrom('c', 'a: b', '- x', '#', "it's", '{[', '', 'key: [a, b]');
const noteArb: fc.Arbitrary<Note> = fc.record({
  trailing: fc.option(commentArb, { freq: 4, nil: undefined }),
  lineBefore: fc.option(fc.oneof(commentArb.map((c) => `# ${c}`), fc.constantFrom('', '   ')), { freq: 5, nil: undefined }),
  lineIndent: fc.integer({ min: 0, max: 6 }),
});
const layoutArb: fc.Arbitrary<Layout> = fc.record({
  flow: fc.boolean(),
  width: fc.integer({ min: 1, max: 4 }),
  dashSpaces: fc.constantFrom(1, 1, 1, 2, 3),
  sameIndent: fc.boolean(),
  compact: fc.boolean(),
  trailingComma: fc.boolean(),
  pad: fc.boolean(),
});

const treeArb = fc.letrec<{ tree: Tree; map: MapNode; seq: SeqNode; scalar: Scalar }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('map'), tie('seq')),
  scalar: fc.record({ k: fc.constant('scalar' as const), text: stringArb, style: styleArb }),
  map: fc.record({
    k: fc.constant('map' as const),
    entries: fc.uniqueArray(fc.record({ key: stringArb, keyStyle: styleArb, value: tie('tree'), note: noteArb }), { maxLength: 4, selector: (e) => e.key }),
    layout: layoutArb,
  }),
  seq: fc.record({ k: fc.constant('seq' as const), items: fc.array(fc.record({ value: tie('tree'), note: noteArb }), { maxLength: 4 }), layout: layoutArb }),
}));

export const docArb: fc.Arbitrary<Doc> = fc.record({
  root: treeArb.map.filter((m) => m.entries.length > 0),
  marker: fc.boolean(),
  header: fc.option(commentArb.map((c) => `# ${c}`), { freq: 3, nil: undefined }),
  finalNewline: fc.boolean(),
});

/** Random single-character edits, in the spirit of a typo or a bad merge. */
export const mutationsArb = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom('insert', 'delete', 'replace'),
    // Indicators and layout, plus characters yaml refuses or treats specially (CR, NUL, NEL,
    // BOM, a line separator, a lone surrogate, an astral character).
    ch: fc.constantFrom(...': #-\'"[]{},*&!|>\n\t?%@\\'.split(''), '  ', '\n  ', '\r', '\0', '\u0085', '\ufeff', '\u2028', '\ud800', '😀'),
  }),
  { minLength: 1, maxLength: 3 },
);

export function mutate(text: string, edits: readonly { at: number; op: string; ch: string }[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    if (e.op === 'insert') out = out.slice(0, at) + e.ch + out.slice(at);
    else if (e.op === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + e.ch + out.slice(at + 1);
  }
  return out;
}
