// SPIFFE ID parsing against the SPIFFE ID standard: a table of valid and invalid IDs with the
// error each one gets, and properties over generated IDs (round trip, forbidden characters, case).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SPIFFE_ID_LENGTH, parseSpiffeId } from '../../../src/identity/spiffe.js';

const VALID: readonly (readonly [string, string, string])[] = [
  // [id, trust domain, path]
  ['spiffe://example.org', 'example.org', ''],
  ['spiffe://example.org/a', 'example.org', '/a'],
  ['spiffe://example.org/ns/billing/sa/reporter', 'example.org', '/ns/billing/sa/reporter'],
  ['spiffe://a', 'a', ''],
  ['spiffe://1', '1', ''],
  ['spiffe://a-b_c.d', 'a-b_c.d', ''],
  ['spiffe://.', '.', ''],
  ['spiffe://..', '..', ''],
  ['spiffe://-leading.dash', '-leading.dash', ''],
  ['spiffe://trailing.dot.', 'trailing.dot.', ''],
  ['spiffe://under_score', 'under_score', ''],
  ['spiffe://example.org/UPPER/Case', 'example.org', '/UPPER/Case'],
  ['spiffe://example.org/a.b', 'example.org', '/a.b'],
  ['spiffe://example.org/...', 'example.org', '/...'],
  ['spiffe://example.org/.a', 'example.org', '/.a'],
  ['spiffe://example.org/a..', 'example.org', '/a..'],
  ['spiffe://example.org/-/_/.x', 'example.org', '/-/_/.x'],
  ['spiffe://example.org/0/1/2', 'example.org', '/0/1/2'],
  ['spiffe://k8s-west.example.com/ns/staging/sa/default', 'k8s-west.example.com', '/ns/staging/sa/default'],
  ['spiffe://example.org/9eebccd2-12bf-40a6-b262-65fe0487d453', 'example.org', '/9eebccd2-12bf-40a6-b262-65fe0487d453'],
  [`spiffe://${'a'.repeat(255)}`, 'a'.repeat(255), ''],
  [`spiffe://example.org/${'x'.repeat(MAX_SPIFFE_ID_LENGTH - 'spiffe://example.org/'.length)}`, 'example.org',
    `/${'x'.repeat(MAX_SPIFFE_ID_LENGTH - 'spiffe://example.org/'.length)}`],
  ['spiffe://192.168.1.1/a', '192.168.1.1', '/a'],
  ['spiffe://example.org/a/b/c/d/e/f/g/h', 'example.org', '/a/b/c/d/e/f/g/h'],
  ['spiffe://x/y', 'x', '/y'],
];

const INVALID: readonly (readonly [string, string])[] = [
  // [id, error]
  ['', 'empty'],
  ['example.org/a', 'scheme'],
  ['spiffe:/example.org/a', 'scheme'],
  ['spiffe:example.org', 'scheme'],
  ['SPIFFE://example.org/a', 'scheme'],
  ['Spiffe://example.org/a', 'scheme'],
  ['https://example.org/a', 'scheme'],
  [' spiffe://example.org/a', 'scheme'],
  ['spiffe://', 'empty_trust_domain'],
  ['spiffe:///a', 'empty_trust_domain'],
  ['spiffe://Example.org/a', 'bad_trust_domain_char'],
  ['spiffe://EXAMPLE.ORG', 'bad_trust_domain_char'],
  ['spiffe://example.org:8080/a', 'bad_trust_domain_char'],
  ['spiffe://user@example.org/a', 'bad_trust_domain_char'],
  ['spiffe://user:pw@example.org', 'bad_trust_domain_char'],
  ['spiffe://exa mple.org', 'bad_trust_domain_char'],
  ['spiffe://example.org?x=1', 'bad_trust_domain_char'],
  ['spiffe://example.org#frag', 'bad_trust_domain_char'],
  ['spiffe://exa%6dple.org', 'bad_trust_domain_char'],
  ['spiffe://exämple.org', 'bad_trust_domain_char'],
  ['spiffe://[::1]/a', 'bad_trust_domain_char'],
  ['spiffe://example.org\\a', 'bad_trust_domain_char'],
  [`spiffe://${'a'.repeat(256)}`, 'trust_domain_too_long'],
  ['spiffe://example.org/', 'trailing_slash'],
  ['spiffe://example.org/a/', 'trailing_slash'],
  ['spiffe://example.org//', 'trailing_slash'],
  ['spiffe://example.org//a', 'empty_segment'],
  ['spiffe://example.org/a//b', 'empty_segment'],
  ['spiffe://example.org/.', 'dot_segment'],
  ['spiffe://example.org/..', 'dot_segment'],
  ['spiffe://example.org/a/./b', 'dot_segment'],
  ['spiffe://example.org/a/../b', 'dot_segment'],
  ['spiffe://example.org/a/..', 'dot_segment'],
  ['spiffe://example.org/a%2Fb', 'bad_path_char'],
  ['spiffe://example.org/%61', 'bad_path_char'],
  ['spiffe://example.org/a?b=c', 'bad_path_char'],
  ['spiffe://example.org/a#b', 'bad_path_char'],
  ['spiffe://example.org/a b', 'bad_path_char'],
  ['spiffe://example.org/a:b', 'bad_path_char'],
  ['spiffe://example.org/a@b', 'bad_path_char'],
  ['spiffe://example.org/a*', 'bad_path_char'],
  ['spiffe://example.org/a~b', 'bad_path_char'],
  ['spiffe://example.org/ä', 'bad_path_char'],
  ['spiffe://example.org/a\u0000', 'bad_path_char'],
  ['spiffe://example.org/a\nb', 'bad_path_char'],
  ['spiffe://example.org/a\\b', 'bad_path_char'],
  ['spiffe://example.org/a+b', 'bad_path_char'],
  [`spiffe://example.org/${'x'.repeat(MAX_SPIFFE_ID_LENGTH)}`, 'too_long'],
];

describe('parseSpiffeId table', () => {
  it('has at least 60 cases', () => {
    expect(VALID.length + INVALID.length).toBeGreaterThanOrEqual(60);
  });

  it.each(VALID)('accepts %s', (id, trustDomain, path) => {
    expect(parseSpiffeId(id)).toEqual({ ok: true, id: { value: id, trustDomain, path } });
  });

  it.each(INVALID)('refuses %j (%s)', (id, error) => {
    expect(parseSpiffeId(id)).toEqual({ ok: false, error });
  });
});

const TD_CHAR = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.-_'.split(''));
const PATH_CHAR = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_'.split(''));
const trustDomain = fc.string({ unit: TD_CHAR, minLength: 1, maxLength: 40 });
const segment = fc.string({ unit: PATH_CHAR, minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
const validId = fc.tuple(trustDomain, fc.array(segment, { maxLength: 6 })).map(([td, segs]) => `spiffe://${td}${segs.map((s) => `/${s}`).join('')}`);

describe('parseSpiffeId properties', () => {
  it('accepts every generated valid ID and round-trips it', () => {
    fc.assert(fc.property(validId, (id) => {
      const parsed = parseSpiffeId(id);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(`spiffe://${parsed.id.trustDomain}${parsed.id.path}`).toBe(id);
    }));
  });

  it('refuses a forbidden character anywhere after the scheme', () => {
    const allowed = new Set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/');
    const forbidden = fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => !allowed.has(c));
    fc.assert(fc.property(validId, forbidden, fc.nat(), (id, bad, at) => {
      const body = id.slice('spiffe://'.length);
      const pos = at % (body.length + 1);
      expect(parseSpiffeId(`spiffe://${body.slice(0, pos)}${bad}${body.slice(pos)}`).ok).toBe(false);
    }));
  });

  it('refuses upper case in the scheme or the trust domain instead of folding it', () => {
    fc.assert(fc.property(validId, fc.nat(), (id, at) => {
      const slash = id.indexOf('/', 'spiffe://'.length);
      const authorityEnd = slash === -1 ? id.length : slash;
      const letters = [...id.slice(0, authorityEnd)].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0);
      const i = letters[at % letters.length] as number;
      const shouted = `${id.slice(0, i)}${(id[i] as string).toUpperCase()}${id.slice(i + 1)}`;
      expect(parseSpiffeId(shouted).ok).toBe(false);
    }));
  });
});
