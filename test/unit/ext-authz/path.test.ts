import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizePath } from '../../../src/ext-authz/path.js';

describe('normalizePath (product.md §4)', () => {
  it.each([
    ['/v1/ledger', '/v1/ledger'],
    ['/v1/ledger?x=1', '/v1/ledger'],
    ['/', '/'],
    ['/v1/ledger/', '/v1/ledger'],
    ['/admin/', '/admin'],
    ['/v1/%6Cedger', '/v1/ledger'],
    ['/v1/%7e%2D%5f%2E1', '/v1/~-_.1'],
    ['/files/a%20b', '/files/a%20b'],
    ['/files/a%c3%a9', '/files/a%C3%A9'],
    ['/a/.well-known', '/a/.well-known'],
    ['/a/...', '/a/...'],
    ['/payments.v1.Ledger/GetEntry', '/payments.v1.Ledger/GetEntry'],
  ])('accepts %s as %s', (input, expected) => {
    const r = normalizePath(input);
    expect(r.ok && r.path).toBe(expected);
  });

  it.each([
    ['/a/../admin', 'dot_segment'],
    ['/a/./b', 'dot_segment'],
    ['/a/..', 'dot_segment'],
    ['/admin;x', 'path_parameter'],
    ['/admin;', 'path_parameter'],
    ['/a;b/c', 'path_parameter'],
    ['/admin%3Bx', 'path_parameter'],
    ['/admin%3bx', 'path_parameter'],
    ['/a/%252e%252e/admin', 'encoded_percent'],
    ['/a%25', 'encoded_percent'],
    ['/a/%2e%2e/admin', 'dot_segment'],
    ['/a/%2E/admin', 'dot_segment'],
    ['/a/.%2e/admin', 'dot_segment'],
    ['/public/..;/admin', 'path_parameter'],
    ['/public/..%3B/admin', 'path_parameter'],
    ['/public/%2e%2e%3b/admin', 'path_parameter'],
    ['/public/.%3bx/admin', 'path_parameter'],
    ['/a//b', 'empty_segment'],
    ['//admin', 'empty_segment'],
    ['/a%2fb', 'encoded_slash'],
    ['/a%2Fb', 'encoded_slash'],
    ['/a%5cb', 'encoded_backslash'],
    ['/a\\b', 'backslash'],
    ['/a%00b', 'nul'],
    ['/a\u0000b', 'nul'],
    ['/a%zz', 'bad_percent_escape'],
    ['/a%2', 'bad_percent_escape'],
    ['/a#frag', 'fragment'],
    ['/a\nb', 'control_character'],
  ])('refuses %j as ambiguous (%s)', (input, detail) => {
    const r = normalizePath(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.reason, r.detail]).toEqual(['ambiguous_path', detail]);
  });

  it.each([
    ['', 'empty_path'],
    ['?a=1', 'empty_path'],
    ['v1/ledger', 'path_not_origin_form'],
    ['*', 'path_not_origin_form'],
    ['http://evil/admin', 'path_not_origin_form'],
    [`/${'a'.repeat(9000)}`, 'path_too_long'],
  ])('refuses %j as malformed (%s)', (input, detail) => {
    const r = normalizePath(input.slice(0, 9001));
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.reason, r.detail]).toEqual(['malformed_request', detail]);
  });

  it('always reports an access_token parameter, even past the 64 names kept', () => {
    const r = normalizePath(`/x?${'a=1&'.repeat(70)}access_token=secret`);
    expect(r.queryKeys).toContain('access_token');
    expect(r.queryKeys.length).toBeLessThanOrEqual(65);
  });

  it('keeps query parameter names but never their values', () => {
    const r = normalizePath('/x?access_token=secret&b=2&=x');
    expect(r.queryKeys).toEqual(['access_token', 'b']);
    expect(JSON.stringify(r)).not.toContain('secret');
  });

  it('never returns a path containing a dot segment, an empty segment or a backslash (property)', () => {
    const segment = fc.oneof(fc.constantFrom('.', '..', '', '%2e', '%2E%2e', '%2f', 'a', 'b%20', '..;x', '\\', '%5c', '%00'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const r = normalizePath(`/${segments.join('/')}`);
        if (!r.ok) return;
        const inner = r.path.split('/').slice(1, -1);
        for (const s of inner) expect(s).not.toBe('');
        for (const s of r.path.split('/')) expect(['.', '..']).not.toContain(s.split(';')[0]);
        expect(r.path).not.toMatch(/\\|\u0000|%2f|%5c/i);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on what it accepts (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const r = normalizePath(`/${s}`);
        if (!r.ok || r.path.includes('?')) return;
        const again = normalizePath(r.path);
        expect(again.ok && again.path).toBe(r.path);
      }),
      { numRuns: 2000 },
    );
  });
});
