// Segment patterns (`*`, `**`), method specs, SPIFFE patterns and the per-service method index,
// including a property test that the index finds exactly the rules a linear scan finds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMethodIndex } from '../../../src/policy/method-index.js';
import { isGrpcSpec, isHttpSpec, parseGrpcSpec, parseHttpSpec, specMatches } from '../../../src/policy/method-spec.js';
import type { MethodSpec } from '../../../src/policy/method-spec.js';
import { compileGlob, compileSegments, globHolds, matchSegments } from '../../../src/policy/patterns.js';
import { isDomainWide, isSpiffePattern, parseSpiffePattern, spiffeMatches } from '../../../src/policy/spiffe-pattern.js';
import { fuzzParams, fuzzRuns } from '../../fuzz/runs.js';

function http(text: string): MethodSpec {
  const parsed = parseHttpSpec(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function grpc(text: string): MethodSpec {
  const parsed = parseGrpcSpec(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const pathMatches = (pattern: string, path: string) => matchSegments(compileSegments(pattern.slice(1).split('/')), 0, path, 1);

describe('path patterns', () => {
  it.each([
    ['/v1/ledger', '/v1/ledger', true],
    ['/v1/ledger', '/v1/Ledger', false],
    ['/v1/ledger', '/v1/ledger/', false],
    ['/v1/*', '/v1/x', true],
    ['/v1/*', '/v1/', true],
    ['/v1/*', '/v1', false],
    ['/v1/*', '/v1/x/y', false],
    ['/v1/**', '/v1', true],
    ['/v1/**', '/v1/x/y/z', true],
    ['/v1/**', '/v2/x', false],
    ['/**/export', '/export', true],
    ['/**/export', '/a/b/export', true],
    ['/**/export', '/a/b/export/x', false],
    ['/a/**/b/*', '/a/x/y/b/c', true],
    ['/a/**/b/*', '/a/b/c', true],
    ['/a/**/b/*', '/a/b', false],
    ['/v1/items-*', '/v1/items-1', true],
    ['/v1/*-x-*.csv', '/v1/a-x-b.csv', true],
    ['/v1/*-x-*.csv', '/v1/a-x.csv', false],
    ['/v1/a*a', '/v1/a', false],
    ['/v1/a*a', '/v1/aa', true],
    ['/', '/', true],
    ['/', '/a', false],
    ['/**', '/', true],
    ['/**', '/anything/at/all', true],
  ])('%s against %s → %s', (pattern, path, expected) => {
    expect(pathMatches(pattern, path)).toBe(expected);
  });
});

describe('method specs', () => {
  it('compares HTTP methods exactly and supports GET|HEAD and *', () => {
    expect(specMatches(http('GET|HEAD /a'), 'HEAD', '/a', undefined)).toBe(true);
    expect(specMatches(http('GET|HEAD /a'), 'get', '/a', undefined)).toBe(false);
    expect(specMatches(http('* /a'), 'PURGE', '/a', undefined)).toBe(true);
  });

  it('matches gRPC methods by segments', () => {
    expect(specMatches(grpc('pkg.v1.Svc/Get*'), 'POST', '/pkg.v1.Svc/GetX', 'pkg.v1.Svc/GetX')).toBe(true);
    expect(specMatches(grpc('pkg.v1.Svc/Get*'), 'POST', '/pkg.v1.Svc/GetX', undefined)).toBe(false);
    expect(specMatches(grpc('pkg.v1.*/*'), 'POST', '', 'pkg.v1.Other/Do')).toBe(true);
    expect(specMatches(grpc('pkg.v1.Svc/Get*'), 'POST', '', 'pkg.v1.Svc2/GetX')).toBe(false);
  });

  it.each([
    ['GET', 'http method must be "METHOD /path"'],
    ['GET v1/x', 'must start with /'],
    ['GET /a//b', 'empty segment'],
    ['GET /a/../b', 'dot segment'],
    ['GET /a?x=1', '?'],
    ['G ET|* /a', 'http method must be'],
    ['GET|* /a', 'invalid HTTP method "*"'],
    ['GET /a b', 'http method must be'],
  ])('refuses http spec %j', (text, message) => {
    const parsed = parseHttpSpec(text);
    expect(parsed.ok ? '' : parsed.error).toContain(message);
  });

  it('reads any whitespace around and between method and path as one space', () => {
    const ws = fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '\u2003', '\ufeff', '\r\n');
    const word = fc.stringMatching(/^[A-Za-z0-9|*\/.-]{0,8}$/);
    fc.assert(
      fc.property(fc.array(ws, { maxLength: 2 }), word, fc.array(ws, { minLength: 1, maxLength: 2 }), word, fc.array(ws, { maxLength: 2 }), (lead, a, mid, b, tail) => {
        const spaced = parseHttpSpec(`${lead.join('')}${a}${mid.join('')}${b}${tail.join('')}`);
        const plain = parseHttpSpec(`${a} ${b}`);
        expect(spaced.ok).toBe(plain.ok);
        if (spaced.ok && plain.ok) expect({ ...spaced.value, text: '' }).toEqual({ ...plain.value, text: '' });
      }),
      fuzzParams(fuzzRuns(500)),
    );
  });

  it.each(['/pkg.Svc/Get', 'pkg.Svc', 'pkg.Svc/Get/X', 'pkg Svc/Get', 'pkg.Svc/'])('refuses gRPC spec %j', (text) => {
    expect(parseGrpcSpec(text).ok).toBe(false);
  });

  it('accepts ** in gRPC specs', () => {
    expect(specMatches(grpc('pkg.Svc/**'), 'POST', '', 'pkg.Svc/Any')).toBe(true);
  });

  // Validation only checks method items (isHttpSpec, isGrpcSpec) and compiling parses them later:
  // a text the check accepts and the parser refuses would reach the compiler unvalidated.
  it('checks a method item exactly as the parser judges it', () => {
    const char = fc.constantFrom(...'GETPOST|*/ .-?#\\\tv1aA_~`^é\u00a0\u0000:;"'.split(''), 'HEAD', '/v1/', '..', '.', '//', '**', 'pkg.S/');
    const text = fc.array(char, { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, (t) => {
        expect(isHttpSpec(t), `http ${JSON.stringify(t)}`).toBe(parseHttpSpec(t).ok);
        expect(isGrpcSpec(t), `grpc ${JSON.stringify(t)}`).toBe(parseGrpcSpec(t).ok);
      }),
      fuzzParams(fuzzRuns(5000)),
    );
    // Every ASCII character in every part of a method item, and a few beyond.
    const chars = [...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)), '\u00e9', '\u00a0', '\u2028', '\ud83d\ude00'];
    const httpAt = (ch: string) => [`${ch}`, `GE${ch}T /a`, `${ch}GET /a`, `GET${ch} /a`, `GET|${ch} /a`, `GET /a${ch}b`, `GET /${ch}`, `GET /a/${ch}`, `GET ${ch}/a`, `* /${ch}${ch}`];
    const grpcAt = (ch: string) => [`p${ch}.S/Get`, `p.S/G${ch}t`, `${ch}p.S/Get`, `p.S/Get${ch}`, `p.S/${ch}`, `${ch}/${ch}`, `p.S${ch}Get`];
    for (const ch of chars) {
      for (const t of httpAt(ch)) expect(isHttpSpec(t), `http ${JSON.stringify(t)}`).toBe(parseHttpSpec(t).ok);
      for (const t of grpcAt(ch)) expect(isGrpcSpec(t), `grpc ${JSON.stringify(t)}`).toBe(parseGrpcSpec(t).ok);
    }
    const cases = ['GET /v1/x', '* /', 'GET|HEAD /a/', 'GET /a/./b', 'GET /a/..', 'GET //a', 'GET /a?b', '|GET /a', 'GET| /a', 'GET /a#', 'pkg.S/Get*', 'pkg.S/**', '/pkg.S/Get', 'pkg.S/', 'p/q/r', '**'];
    for (const t of cases) {
      expect(isHttpSpec(t), t).toBe(parseHttpSpec(t).ok);
      expect(isGrpcSpec(t), t).toBe(parseGrpcSpec(t).ok);
    }
  });
});

describe('SPIFFE patterns', () => {
  it('checks a pattern exactly as the parser judges it (validation checks, compiling parses)', () => {
    const piece = fc.constantFrom('spiffe://', 'SPIFFE://', 'example.org', 'Ex', '*', '**', '/', '/ns', '/a*', '.', '..', '//', '-', '_', '%', 'é', ' ', ':', '@');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const t = pieces.join('');
        expect(isSpiffePattern(t), JSON.stringify(t)).toBe(parseSpiffePattern(t).ok);
      }),
      fuzzParams(fuzzRuns(5000)),
    );
    for (const t of ['spiffe://example.org/ns/*', 'spiffe://example.org', 'spiffe://*.org/a', 'spiffe://example.org/', 'spiffe://example.org/a/../b', 'spiffe://Example.org/a']) {
      expect(isSpiffePattern(t), t).toBe(parseSpiffePattern(t).ok);
    }
  });

  const match = (pattern: string, id: string) => {
    const p = parseSpiffePattern(pattern);
    if (!p.ok) throw new Error(p.error);
    const rest = id.slice('spiffe://'.length);
    const slash = rest.indexOf('/');
    return spiffeMatches(p.value, rest.slice(0, slash), rest.slice(slash));
  };

  it('matches literally and with wildcards, never across trust domains', () => {
    expect(match('spiffe://example.org/ns/ops/sa/*', 'spiffe://example.org/ns/ops/sa/x')).toBe(true);
    expect(match('spiffe://example.org/ns/ops/*', 'spiffe://example.org/ns/ops/sa/x')).toBe(false);
    expect(match('spiffe://example.org/ns/ops/**', 'spiffe://example.org/ns/ops/sa/x')).toBe(true);
    expect(match('spiffe://example.org/ns/ops/**', 'spiffe://example.org.evil/ns/ops/sa/x')).toBe(false);
    expect(match('spiffe://example.org/ns/a', 'spiffe://example.org/ns/A')).toBe(false);
  });

  it.each([
    ['spiffe://*.example.org/a', 'never a wildcard'],
    ['spiffe://example.org', 'names a trust domain'],
    ['SPIFFE://example.org/a', 'must start with spiffe://'],
    ['spiffe://Example.org/a', 'invalid trust domain'],
    ['spiffe://example.org/a/', 'invalid path'],
    ['spiffe://example.org/a/../b', 'invalid path'],
    ['spiffe://example.org/a%2Fb', 'invalid path'],
  ])('refuses %j', (text, message) => {
    const parsed = parseSpiffePattern(text);
    expect(parsed.ok ? '' : parsed.error).toContain(message);
  });

  it('knows a domain-wide pattern', () => {
    const p = parseSpiffePattern('spiffe://example.org/**');
    expect(p.ok && isDomainWide(p.value)).toBe(true);
  });
});

describe('token subject globs', () => {
  it('match the whole subject; * spans any characters', () => {
    expect(globHolds(compileGlob('svc-*'), 'svc-reporting')).toBe(true);
    expect(globHolds(compileGlob('svc-*'), 'xsvc-reporting')).toBe(false);
    expect(globHolds(compileGlob('svc-*'), 'svc-a/b')).toBe(true);
    expect(globHolds(compileGlob('exact'), 'exact')).toBe(true);
    expect(globHolds(compileGlob('exact'), 'exactly')).toBe(false);
  });
});

describe('method index', () => {
  // Empty request segments (`//`, a trailing `/`), three and more literal children per node (a
  // node keeps one inline and moves to a Map at the second), and literals that prefix each other.
  const seg = fc.constantFrom('a', 'b', 'ab', 'abc', 'c', '', 'Get', 'GetX');
  const patSeg = fc.constantFrom('a', 'b', 'ab', 'abc', 'c', '*', '**', 'a*', '*b', 'G*t*');
  const httpSpec = fc
    .tuple(fc.constantFrom('GET', 'POST', '*', 'GET|HEAD'), fc.array(patSeg, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([m, s, slash]) => http(`${m} /${s.join('/')}${slash ? '/' : ''}`));
  const grpcSpec = fc
    .tuple(fc.constantFrom('p.S', 'p.*', '*', 'q.S', 'p.T'), fc.constantFrom('Get*', '*', 'GetX', 'a', 'ab'))
    .map(([s, m]) => grpc(`${s}/${m}`));
  const rules = fc.array(fc.array(fc.oneof(httpSpec, grpcSpec), { minLength: 1, maxLength: 3 }), { maxLength: 12 });
  const request = fc.tuple(
    fc.constantFrom('GET', 'POST', 'HEAD', 'get'),
    fc.array(seg, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
    fc.option(fc.tuple(fc.constantFrom('p.S', 'p.T', 'q.S'), seg).map(([s, m]) => `${s}/${m}`), { nil: undefined }),
  );

  it('finds exactly the rules a linear scan finds, in file order', () => {
    fc.assert(
      fc.property(rules, request, (specs, [method, path, grpcMethod]) => {
        const index = buildMethodIndex(specs);
        const linear = specs.flatMap((list, i) => (list.some((s) => specMatches(s, method, path, grpcMethod)) ? [i] : []));
        expect(index.lookup(method, path, grpcMethod)).toEqual(linear);
      }),
      fuzzParams(fuzzRuns(500)),
    );
  });

  it('answers a hostile path against several ** patterns (each (node, offset) walked once)', () => {
    // Without memoizing globstar visits this look-up costs n^3 for 2,000 segments: it would not finish.
    const index = buildMethodIndex([[http('* /**/a/**/a/**/b')], [http('* /**/a/**/a/**')]]);
    const path = `/${Array.from({ length: 2000 }, () => 'a').join('/')}`;
    expect(index.lookup('GET', path, undefined)).toEqual([1]);
    expect(index.lookup('GET', `${path}/b`, undefined)).toEqual([0, 1]);
  });

  it('does not match http rules against a path that is not absolute', () => {
    const index = buildMethodIndex([[http('* /**')]]);
    expect(index.lookup('OPTIONS', '*', undefined)).toEqual([]);
    expect(index.lookup('OPTIONS', '/', undefined)).toEqual([0]);
  });
});
