// The x-forwarded-client-cert parser: Envoy's element list with quoted values, escaped quotes,
// delimiters inside quotes and several hops; plus a round-trip property over generated headers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXfcc, valuesOf, type XfccElement } from '../../../src/identity/xfcc.js';

describe('parseXfcc', () => {
  it('parses one element of key=value pairs', () => {
    const header = 'By=spiffe://example.org/ns/payments/sa/api;Hash=abc123;URI=spiffe://example.org/ns/billing/sa/reporter';
    expect(parseXfcc(header)).toEqual({
      ok: true,
      elements: [[
        ['By', 'spiffe://example.org/ns/payments/sa/api'], ['Hash', 'abc123'], ['URI', 'spiffe://example.org/ns/billing/sa/reporter'],
      ]],
    });
  });

  it('keeps commas, semicolons and equals signs inside quoted values, and unescapes quotes', () => {
    const header = 'Hash=1;Subject="CN=a, O=\\"Big; Corp\\", C=US";URI=spiffe://example.org/a,Hash=2;URI=spiffe://example.org/b';
    const parsed = parseXfcc(header);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.elements).toHaveLength(2);
    expect(valuesOf(parsed.elements[0] as XfccElement, 'subject')).toEqual(['CN=a, O="Big; Corp", C=US']);
    expect(valuesOf(parsed.elements[1] as XfccElement, 'URI')).toEqual(['spiffe://example.org/b']);
  });

  it('returns every URI of an element (a certificate may carry several)', () => {
    const parsed = parseXfcc('URI=spiffe://example.org/a;URI=spiffe://example.org/b;DNS=x.example.org');
    expect(parsed.ok && valuesOf(parsed.elements[0] as XfccElement, 'uri')).toEqual(['spiffe://example.org/a', 'spiffe://example.org/b']);
  });

  it('accepts empty values and optional whitespace around separators', () => {
    const parsed = parseXfcc('Hash=; Subject="" , URI=spiffe://example.org/a');
    expect(parsed).toEqual({ ok: true, elements: [[['Hash', ''], ['Subject', '']], [['URI', 'spiffe://example.org/a']]] });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['URI', 'missing_equals'],
    ['=x', 'missing_key'],
    ['URI=a,', 'trailing_separator'],
    ['URI=a;', 'trailing_separator'],
    ['URI="unterminated', 'unterminated_quote'],
    ['URI="bad\\', 'unterminated_quote'],
    ['URI=a b', 'unexpected_character'],
    ['URI="a"b', 'unexpected_character'],
    ['URI=a"b"', 'unexpected_character'],
    ['URI="a\u0001"', 'unterminated_quote'],
    ['Ke y=1', 'missing_equals'],
    [`URI=${'a'.repeat(70_000)}`, 'too_large'],
  ])('refuses %j (%s)', (header, error) => {
    expect(parseXfcc(header)).toEqual({ ok: false, error });
  });
});

const key = fc.constantFrom('By', 'Hash', 'Cert', 'Chain', 'Subject', 'URI', 'DNS');
const value = fc.string({ unit: fc.constantFrom(...'abcXYZ019:/.-_%=,;"\\ '.split('')), maxLength: 20 });
const element = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 });

function serialize(elements: readonly (readonly (readonly [string, string])[])[]): string {
  const quote = (v: string): string => (/^[^,;"\\\s]+$/.test(v) ? v : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return elements.map((pairs) => pairs.map(([k, v]) => `${k}=${quote(v)}`).join(';')).join(',');
}

describe('parseXfcc property', () => {
  it('parses back what Envoy-style serialization wrote, for any values', () => {
    fc.assert(fc.property(fc.array(element, { minLength: 1, maxLength: 4 }), (elements) => {
      expect(parseXfcc(serialize(elements))).toEqual({ ok: true, elements });
    }));
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(typeof parseXfcc(s).ok).toBe('boolean');
    }));
  });
});
