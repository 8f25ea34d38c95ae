// The fast YAML path against the `yaml` package: whenever parseFastYaml returns a result, the
// yaml path must report no error, give deep-equal data (key order included) and the same
// at/keyAt/has answers for every path, existing or not. Random documents and mutations
// (fast-yaml-arb.ts, FUZZ_RUNS for more), every YAML file in the repository, the bench policy
// set, and named tricky cases. Documents inside the subset must take the fast path.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBenchKey } from '../../../bench/fixtures/keys.js';
import { writePolicyDirs } from '../../../bench/fixtures/policies.js';
import { parseFastYaml } from '../../../src/policy/fast-yaml.js';
import { plainEnd, plainEndByRegex } from '../../../src/policy/fast-yaml-scalar.js';
import { parseSource, parseWithYaml } from '../../../src/policy/yaml-source.js';
import type { DataPath, SourceFile } from '../../../src/policy/yaml-source.js';
import { fuzzParams, fuzzRuns, fuzzTimeout } from '../../fuzz/runs.js';
import { yamlFiles } from '../../helpers/yaml-files.js';
import { docArb, mutate, mutationsArb } from './fast-yaml-arb.js';
import { render } from './fast-yaml-render.js';

const RUNS = fuzzRuns(2000);

/** Every path in `data`, plus the near misses: a missing key, an index past the end or before
 *  the start, a string step into a sequence, a number step into a map, a step into a scalar. */
function probes(data: unknown, at: DataPath = [], out: DataPath[] = []): DataPath[] {
  out.push(at);
  if (Array.isArray(data)) {
    data.forEach((item, i) => probes(item, [...at, i], out));
    out.push([...at, data.length], [...at, -1], [...at, 0.5], [...at, 'x'], [...at, '0']);
  } else if (data !== null && typeof data === 'object') {
    for (const [key, value] of Object.entries(data)) {
      probes(value, [...at, key], out);
      if (/^(0|[1-9][0-9]*)$/.test(key)) out.push([...at, Number(key)]);
    }
    out.push([...at, 'no such key'], [...at, 0], [...at, 'constructor']);
  } else out.push([...at, 'x'], [...at, 0]);
  return out;
}

function answers(source: SourceFile, paths: readonly DataPath[]): string[] {
  return paths.map((p) => {
    const at = source.at(p);
    const key = source.keyAt(p);
    return `${JSON.stringify(p)} at ${at.line}:${at.col} key ${key.line}:${key.col} has ${source.has(p)}`;
  });
}

/** Checks the invariant for `text`; returns which path parseSource took. */
function agree(text: string): 'fast' | 'bail' {
  if (parseFastYaml(text) === undefined) return 'bail';
  const fast = parseSource('f.yaml', text);
  const slow = parseWithYaml('f.yaml', text);
  expect(slow.problems, `yaml reports errors for:\n${text}`).toEqual([]);
  expect(fast.problems).toEqual([]);
  // isDeepStrictEqual, not toStrictEqual: a `constructor` key would fail the latter's type check.
  expect(isDeepStrictEqual(fast.source.data, slow.source.data), `data differ: ${JSON.stringify([fast.source.data, slow.source.data])}\n${text}`).toBe(true);
  expect(JSON.stringify(fast.source.data), 'key order').toBe(JSON.stringify(slow.source.data));
  const paths = probes(slow.source.data);
  expect(answers(fast.source, paths), text).toEqual(answers(slow.source, paths));
  return 'fast';
}

describe('fast YAML path: differential against the yaml package', () => {
  it('takes the fast path for generated documents inside the subset, with the same answers', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        const text = render(doc, true);
        expect(agree(text), text).toBe('fast');
      }),
      fuzzParams(RUNS),
    );
  }, fuzzTimeout(RUNS, 5));

  it('agrees or bails on documents written carelessly and then mutated', () => {
    fc.assert(
      fc.property(docArb, fc.boolean(), mutationsArb, fc.boolean(), (doc, safe, edits, edit) => {
        const text = render(doc, safe);
        agree(edit ? mutate(text, edits) : text);
      }),
      fuzzParams(RUNS),
    );
  }, fuzzTimeout(RUNS, 5));
});


describe('fast YAML path: plain scalars', () => {
  // Characters that end, continue or complicate a plain scalar, plus some the loop hands back.
  const chars = fc.constantFrom(...'ab09-_./*|#:, []{}\t\n\r', 'é', '\u2028', '\u0085', '😀'.charAt(0), '😀');
  const texts = fc.array(chars, { maxLength: 14 }).map((cs) => cs.join(''));

  it('the scanning loop ends a plain scalar where the regex does, or hands it to the regex', () => {
    fc.assert(
      fc.property(texts, fc.nat(14), fc.boolean(), (s, from, flow) => {
        const i = Math.min(from, s.length);
        const byLoop = plainEnd(s, i, flow);
        if (byLoop !== -1) expect(byLoop).toBe(plainEndByRegex(s, i, flow));
      }),
      fuzzParams(fuzzRuns(20_000)),
    );
  });

  it('the loop answers by itself for printable ASCII that the regex matches', () => {
    const ascii = fc.array(fc.constantFrom(...'ab9-/*#:, []{}'), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(ascii, fc.boolean(), (s, flow) => {
        const expected = plainEndByRegex(s, 0, flow);
        if (expected !== -1) expect(plainEnd(s, 0, flow)).toBe(expected);
      }),
      fuzzParams(fuzzRuns(5_000)),
    );
  });
});

describe('fast YAML path: real files', () => {
  const files = yamlFiles('.');

  it('finds the example policies among the repository files', () => {
    expect(files.filter((f) => f.startsWith('policies/')).length).toBeGreaterThan(3);
  });

  it.each(files)('%s gives the same answers on both paths', (file) => {
    const took = agree(readFileSync(file, 'utf8'));
    if (file.startsWith('policies/')) expect(took).toBe('fast');
  });

  const root = mkdtempSync(path.join(os.tmpdir(), 'tollgate-fast-yaml-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the fast path for the whole bench policy set, with the same answers', () => {
    const { small, large } = writePolicyDirs(root, generateBenchKey());
    const bench = [...yamlFiles(small), ...yamlFiles(large)].sort();
    expect(bench.length).toBeGreaterThan(100);
    for (const file of bench) expect(parseFastYaml(readFileSync(file, 'utf8')), file).toBeDefined();
    // The large files differ only in their service name: a full comparison of a few is enough
    // (all 100 would take ~40 s of probing).
    const sample = bench.filter((f) => !f.includes('/mesh-') || /mesh-0(00|42|99)\.yaml$/.test(f));
    for (const file of sample) expect(agree(readFileSync(file, 'utf8')), file).toBe('fast');
  }, 120_000);
});

describe('fast YAML path: named cases', () => {
  it.each([
    ['an empty value', 'a:\nb: 1\n', { a: null, b: 1 }],
    ['an empty value with a comment', 'a:   # nothing\nb: 1', { a: null, b: 1 }],
    ['`- ` with a nested map', 'a:\n  -\n    b: 1\n    c: 2\n', { a: [{ b: 1, c: 2 }] }],
    ['a compact map in an item', 'a:\n  - b: 1\n    c: [x]\n  - d\n', { a: [{ b: 1, c: ['x'] }, 'd'] }],
    ['a sequence at its key’s indent', 'rules:\n- name: x\n  allow: []\nafter: 1\n', { rules: [{ name: 'x', allow: [] }], after: 1 }],
    ['a doubled single quote', "a: 'it''s'", { a: "it's" }],
    ['a \\u escape', 'a: "\\u00e9 \\" \\\\ \\/ \\n \\t"', { a: 'é " \\ / \n \t' }],
    ['a colon inside a plain scalar', 'a: b:c', { a: 'b:c' }],
    ['a trailing comment', 'a: b # c', { a: 'b' }],
    ['a hash inside a plain scalar', 'a: b#c', { a: 'b#c' }],
    ['a trailing comma', 'a: [a, b,]', { a: ['a', 'b'] }],
    ['a flow map', 'a: {a: 1}', { a: { a: 1 } }],
    ['a star inside quotes', 'http: "* /admin/**"', { http: '* /admin/**' }],
    ['a SPIFFE ID in flow', 'a: [{ spiffe: spiffe://x.org/ns/*, n: [1, -2.5] }]', { a: [{ spiffe: 'spiffe://x.org/ns/*', n: [1, -2.5] }] }],
    ['an integer', 'a: 123', { a: 123 }],
    ['a float', 'a: 1.5', { a: 1.5 }],
    ['an exponent', 'a: 1e3', { a: 1000 }],
    ['a bool', 'a: true', { a: true }],
    ['a tilde', 'a: ~', { a: null }],
    ['a key with no value at the end of the file', 'a: 1\nb:', { a: 1, b: null }],
    ['a leading document marker', '# c\n---\na: 1\n', { a: 1 }],
    ['the other escapes', 'a: "\\x41\\U0001F600\\e\\N\\_\\ \\0\\b"', { a: 'A😀\x1b\u0085\u00a0 \0\b' }],
    ['quoted keys that look like numbers', '"10": a\n\'2\': b\n', { 10: 'a', 2: 'b' }],
    ['spaces before the colon', 'a : b\n"c"  : d\n', { a: 'b', c: 'd' }],
    ['a comment line less indented than the entries', 'a:\n    b: 1\n# c\n    c: 2\n', { a: { b: 1, c: 2 } }],
    ['a key of 900 characters', `${'k'.repeat(900)}: 1`, { ['k'.repeat(900)]: 1 }],
    ['astral characters and a tab in quotes', "a: 😀 b\nc: '\tx😀'\n# 😀\n", { a: '😀 b', c: '\tx😀' }],
  ])('%s takes the fast path', (_name, text, data) => {
    expect(agree(text)).toBe('fast');
    expect(parseSource('f.yaml', text).source.data).toStrictEqual(data);
  });

  it.each([
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['an alias', 'a: &x 1\nb: *x\n'],
    ['a bare alias', 'a: *x\n'],
    ['a hex number', 'a: 0x10\n'],
    ['a file with only comments', '# one\n# two\n'],
    ['a tag', 'a: !str 1\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a tab', 'a:\t1\n'],
    ['a CRLF line end', 'a: 1\r\n'],
    ['a `__proto__` key', '__proto__: 1\n'],
    ['a number as a key', '1: a\n'],
    ['a flow collection over two lines', 'a: [1,\n  2]\n'],
    ['an unknown escape', 'a: "\\q"\n'],
    ['a nested compact sequence', 'a:\n  - - x\n'],
    ['a map value on the line of its key', 'a: b: c\n'],
    ['a key of 1010 characters (yaml stops at 1024)', `${'k'.repeat(1010)}: 1`],
    ['nesting 70 deep', `a: ${'['.repeat(70)}${']'.repeat(70)}\n`],
    ['a byte order mark', '\ufeffa: 1\n'],
    ['a NUL in a comment', 'a: 1 # x\0y\n'],
    ['a control character in single quotes', "a: 'x\u0001y'\n"],
    ['a control character in double quotes', 'a: "x\u0007y"\n'],
    ['a line separator in a plain scalar', 'a: x\u2028y\n'],
    ['an unpaired surrogate in a plain scalar', 'a: x\ud800y\n'],
    ['an unpaired surrogate in a key', '\udc00: 1\n'],
  ])('%s goes to the yaml package', (_name, text) => {
    expect(agree(text)).toBe('bail');
  });
});
