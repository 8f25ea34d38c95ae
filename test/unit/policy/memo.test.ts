// The load-time memo: one parse per distinct text while a load runs, a bound on its size, and
// nothing kept once the load is over (an old policy set's patterns must not outlive it).

import { describe, expect, it } from 'vitest';
import { forgetMemos, memoize } from '../../../src/policy/memo.js';
import { parseHttpSpec } from '../../../src/policy/method-spec.js';

describe('memoize', () => {
  it('parses each distinct text once and hands out one frozen result', () => {
    const seen: string[] = [];
    const parse = memoize((text: string) => (seen.push(text), { text }));
    const first = parse('GET /a');
    expect(parse('GET /a')).toBe(first);
    expect(parse('GET /b')).not.toBe(first);
    expect(seen).toEqual(['GET /a', 'GET /b']);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('starts over when full, and forgets everything after a load', () => {
    const seen: string[] = [];
    const parse = memoize((text: string) => (seen.push(text), { text }), 2);
    parse('a');
    parse('b');
    parse('c'); // full: cleared, then c
    parse('a');
    expect(seen).toEqual(['a', 'b', 'c', 'a']);
    const spec = parseHttpSpec('GET /v1/x');
    forgetMemos();
    parse('a');
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'a']);
    expect(parseHttpSpec('GET /v1/x')).not.toBe(spec);
    expect(parseHttpSpec('GET /v1/x')).toEqual(spec);
  });
});
