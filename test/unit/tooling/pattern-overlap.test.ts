// Whether two segment patterns can match a common path: exact cases and, as a property, agreement
// with the real matcher on paths built to match one pattern.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSegments, matchSegments } from '../../../src/policy/patterns.js';
import { parseHttpSpec } from '../../../src/policy/method-spec.js';
import { httpSpecOverlaps, segmentsOverlap, textsOverlap } from '../../../src/tooling/pattern-overlap.js';

const segs = (p: string) => compileSegments(p.slice(1).split('/'));
const overlap = (a: string, b: string) => segmentsOverlap(segs(a), segs(b));

describe('textsOverlap', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['Get*', '*Entry', true],
    ['Get*', 'List*', false],
    ['*.csv', '*.json', false],
    ['a*c', '*b*', true],
    ['*', '', true],
    ['x', '', false],
    ['a*', 'b*', false],
    ['*a*', '*b*', true],
  ])('%s ∩ %s → %s', (p, q, want) => {
    expect(textsOverlap(p, q)).toBe(want);
    expect(textsOverlap(q, p)).toBe(want);
  });
});

describe('segmentsOverlap', () => {
  it.each([
    ['/v1/items/*', '/v1/items/*', true],
    ['/v1/items/special', '/v1/items/*', true],
    ['/v1/itmes', '/v1/items', false],
    ['/v1/**', '/v1/items/*/parts', true],
    ['/v1/**', '/v1', true],
    ['/v2/**', '/v1/items', false],
    ['/**/export', '/v1/*/export', true],
    ['/**/export', '/v1/*/import', false],
    ['/a/*', '/a/b/c', false],
    ['/exports/*.csv', '/exports/*.json', false],
  ])('%s ∩ %s → %s', (a, b, want) => {
    expect(overlap(a, b)).toBe(want);
    expect(overlap(b, a)).toBe(want);
  });

  it('never misses an overlap the matcher proves (a path matching both)', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', '*', 'a*', '*b', '**');
    const pattern = fc.array(seg, { minLength: 1, maxLength: 4 }).map((xs) => `/${xs.join('/')}`);
    const path = fc.array(fc.constantFrom('a', 'b', 'ab', 'ba', ''), { minLength: 1, maxLength: 4 }).map((xs) => `/${xs.join('/')}`);
    fc.assert(
      fc.property(pattern, pattern, path, (p, q, s) => {
        const both = matchSegments(segs(p), 0, s, 1) && matchSegments(segs(q), 0, s, 1);
        if (both) expect(overlap(p, q)).toBe(true);
      }),
    );
  });
});

describe('httpSpecOverlaps', () => {
  it('needs the method too', () => {
    const spec = parseHttpSpec('GET|HEAD /v1/**');
    if (!spec.ok) throw new Error(spec.error);
    expect(httpSpecOverlaps(spec.value, 'GET', segs('/v1/x'))).toBe(true);
    expect(httpSpecOverlaps(spec.value, 'POST', segs('/v1/x'))).toBe(false);
  });
});
