// fast-check arbitraries for the hostile parts of a CheckRequest: methods, paths (encoded
// traversal, `;`, backslashes, huge), principals that are almost SPIFFE IDs, certificates that do
// not parse, authorization headers, XFCC with many elements and stray quotes. Near-valid values
// are frequent on purpose: allows must happen often enough for the oracle to have work.

import fc from 'fast-check';
import { ID, type World } from './world.js';

/** Any string, including lone surrogates and control characters. */
export const anyString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme-ascii', maxLength }));

/** Insert, delete or replace a character, or cut the string. */
export function mutate(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'cut', 'double'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
    .map(([s, n, op, x]) => {
      const i = s.length === 0 ? 0 : n % s.length;
      if (op === 'insert') return s.slice(0, i) + x + s.slice(i);
      if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
      if (op === 'replace') return s.slice(0, i) + x + s.slice(i + 1);
      if (op === 'cut') return s.slice(0, i);
      return s + s;
    });
}

export const methodArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') },
  { weight: 2, arbitrary: fc.constantFrom('get', 'Get', 'gET', 'post', 'Put', 'GET ', ' GET', 'G\u0000ET', 'GET\r\n', '', '*') },
  { weight: 1, arbitrary: anyString(10) },
);

const SEGMENTS = [
  'v1', 'items', 'x', 'admin', 'old', 'a', 'GetThing', '..', '.', '', '%2e%2e', '%2E', '.%2e', '%2e.', '%2f', '%2F', '%5c', '\\',
  ';', '..;', '..;x', '..%3B', '%2e%2e%3b', '%3B', 'a;b', 'items;x', '%00', '%69tems', '%252e%252e', '%u002e', 'x%20y', 'é',
  '%C3%A9', '\uFFFD', '*', '%', '%zz', '%2', 'a#b', '%23', 'a?b', '\u0000', '\t', ' ', '~', 'A',
];

const segmentArb: fc.Arbitrary<string> = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: anyString(6) });
const queryArb = fc.constantFrom('', '', '', '?a=1', '?access_token=s3cr3t-q', '?x=s3cr3t-q', '?%61ccess_token=s3cr3t-q', '?a=%2F..%2F', '?');
const prefixArb = fc.constantFrom('/v1/items/', '/v1/items/', '/admin/', '/old/', '/', '/shop.v1.Items/', '/v1/');

export const pathArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(prefixArb, fc.array(segmentArb, { maxLength: 5 }), queryArb).map(([p, s, q]) => p + s.join('/') + q) },
  { weight: 3, arbitrary: fc.constantFrom('/v1/items/1', '/v1/items', '/v1/items/', '/admin/x', '/admin', '/old/a', '/shop.v1.Items/GetThing', '/shop.v1.Items/Delete') },
  { weight: 1, arbitrary: fc.constantFrom('', '*', 'v1/items/1', 'http://evil/admin', '//admin', '/v1//items/1', `/v1/items/${'a'.repeat(9000)}`, `/v1/items/${'a/'.repeat(3000)}`) },
  { weight: 1, arbitrary: mutate(fc.constantFrom('/v1/items/1', '/admin/x', '/old/a')) },
  { weight: 1, arbitrary: anyString(30) },
);

const LISTED = [ID.reader, ID.writer, ID.opsAlice, ID.intern, ID.revoked, ID.stranger, ID.foreign];

const idMutations = fc.constantFrom(
  (s: string) => s.toUpperCase(), (s: string) => s.replace('spiffe', 'SPIFFE'), (s: string) => s.replace('example.org', 'Example.org'),
  (s: string) => `${s}/`, (s: string) => `${s}/..`, (s: string) => `${s}/../../ops/sa/alice`, (s: string) => s.replace(/\/sa\//, '/sa//'),
  (s: string) => s.replace(/\/sa\//, '%2Fsa%2F'), (s: string) => s.replace('example.org', 'example.org:443'),
  (s: string) => s.replace('//', '//user@'), (s: string) => `${s}?x=1`, (s: string) => `${s}#f`, (s: string) => ` ${s}`, (s: string) => `${s}\u0000`,
  (s: string) => s.replace('o', '\u043e'), (s: string) => s.replace('spiffe://example.org', 'spiffe://example.org.'), (s: string) => `${s},${ID.reader}`,
  (s: string) => s.replace('spiffe://', 'spiffe:/'), (s: string) => `${s}/${'a'.repeat(2100)}`, (s: string) => s.replace('/ns/', '/ns/./'),
);

export const principalArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', '') },
  { weight: 6, arbitrary: fc.constantFrom(...LISTED) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...LISTED), idMutations).map(([id, m]) => m(id)) },
  { weight: 1, arbitrary: mutate(fc.constantFrom(...LISTED)) },
  { weight: 1, arbitrary: fc.constantFrom('https://example.org/reader', 'CN=reader', 'reader.example.org', 'spiffe://example.org', 'spiffe://') },
  { weight: 1, arbitrary: anyString(40) },
);

export function certificateArb(world: World): fc.Arbitrary<string> {
  const certs = fc.constantFrom(...world.certs);
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: certs },
    { weight: 1, arbitrary: certs.map((c) => decodeURIComponent(c)) },
    { weight: 1, arbitrary: certs.map((c) => encodeURIComponent(c)) },
    { weight: 1, arbitrary: fc.tuple(certs, certs).map(([a, b]) => a + b) },
    { weight: 2, arbitrary: mutate(certs) },
    { weight: 1, arbitrary: fc.constantFrom('-----BEGIN CERTIFICATE-----%0Agarbage%0A-----END CERTIFICATE-----%0A', '%E0%A4%A', 'x'.repeat(70_000)) },
  );
}

export function tokenArb(world: World): fc.Arbitrary<string> {
  const good = fc.constantFrom(...world.goodTokens.map((t) => t.jwt));
  return fc.oneof(
    { weight: 6, arbitrary: good },
    { weight: 3, arbitrary: fc.constantFrom(...world.badTokens) },
    { weight: 2, arbitrary: mutate(good) },
    { weight: 1, arbitrary: good.map((t) => t.split('.').slice(0, 2).join('.') + '.') },
    { weight: 1, arbitrary: fc.constantFrom('a.b.c', 'e30.e30.', 'a.b.c.d.e', 'x'.repeat(9000), '') },
  );
}

export function authorizationArb(world: World): fc.Arbitrary<string> {
  const tok = tokenArb(world);
  return fc.oneof(
    { weight: 6, arbitrary: tok.map((t) => `Bearer ${t}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('bearer', 'BEARER', 'Bearer  ', ' Bearer', 'Bearer\t', 'Basic', 'Bearerx', 'Token'), tok).map(([s, t]) => `${s} ${t}`) },
    { weight: 1, arbitrary: fc.tuple(tok, tok).map(([a, b]) => `Bearer ${a},Bearer ${b}`) },
    { weight: 1, arbitrary: fc.tuple(tok, tok).map(([a, b]) => `Bearer ${a} ${b}`) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', '', 'Basic dXNlcjpwYXNz') },
    { weight: 1, arbitrary: anyString(30) },
  );
}

const xfccValue = fc.oneof(
  fc.constantFrom(...LISTED),
  fc.constantFrom(...LISTED).map((id) => `"${id}"`),
  fc.tuple(fc.constantFrom(...LISTED), idMutations).map(([id, m]) => m(id)),
);
const xfccPair = fc.oneof(
  { weight: 4, arbitrary: xfccValue.map((v) => `URI=${v}`) },
  { weight: 1, arbitrary: xfccValue.map((v) => `uri=${v}`) },
  { weight: 2, arbitrary: fc.constantFrom('By=spiffe://example.org/ns/shop/sa/api', 'Hash=abc123', 'DNS=x.example.org', 'Cert="-----BEGIN%20CERT"') },
  { weight: 2, arbitrary: fc.constantFrom(...LISTED).map((id) => `Subject="CN=x,URI=${id};O=\\"q\\""`) },
);
const xfccElement = fc.array(xfccPair, { minLength: 1, maxLength: 4 }).map((pairs) => pairs.join(';'));

export const xfccArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(xfccElement, { minLength: 1, maxLength: 4 }).map((els) => els.join(',')) },
  { weight: 1, arbitrary: fc.array(xfccElement, { minLength: 50, maxLength: 300 }).map((els) => els.join(',')) },
  { weight: 2, arbitrary: mutate(fc.array(xfccElement, { minLength: 1, maxLength: 3 }).map((els) => els.join(','))) },
  { weight: 1, arbitrary: fc.tuple(xfccElement, fc.constantFrom('"', '\\"', '",', ';"', '\\', ',', ';')).map(([e, junk]) => e + junk) },
);
