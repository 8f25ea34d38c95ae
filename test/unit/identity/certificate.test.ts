// The peer certificate parser on real openssl-made certificates: exactly one SPIFFE URI SAN read
// structurally from the DER, validity period, caching by the certificate string.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateCache, parsePeerCertificate } from '../../../src/identity/certificate.js';
import { createStandardCerts, SPIFFE_REPORTER, type StandardCerts } from '../../helpers/certs.js';

let certs: StandardCerts;
beforeAll(() => {
  certs = createStandardCerts();
});
afterAll(() => certs.cleanup());

describe('parsePeerCertificate', () => {
  it('reads the single SPIFFE URI SAN and the validity period', () => {
    const parsed = parsePeerCertificate(certs.leaf.urlEncoded);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.uri).toBe(SPIFFE_REPORTER);
    expect(parsed.notBefore).toBeLessThan(Date.now());
    expect(parsed.notAfter).toBeGreaterThan(Date.now());
  });

  it.each([
    ['twoUris', 'multiple_uri_sans'],
    ['nonSpiffe', 'uri_san_not_spiffe'],
    ['dnsOnly', 'no_uri_san'],
  ] as const)('refuses %s with %s', (name, detail) => {
    expect(parsePeerCertificate(certs[name].urlEncoded)).toEqual({ ok: false, detail });
  });

  it('refuses a CA certificate presented as a peer', () => {
    expect(parsePeerCertificate(certs.testCa.ca.urlEncoded)).toEqual({ ok: false, detail: 'ca_certificate' });
  });

  it('reports the validity of expired and not-yet-valid certificates for the caller to judge', () => {
    const expired = parsePeerCertificate(certs.expired.urlEncoded);
    const future = parsePeerCertificate(certs.notYetValid.urlEncoded);
    expect(expired.ok && expired.notAfter < Date.now()).toBe(true);
    expect(future.ok && future.notBefore > Date.now()).toBe(true);
  });

  it('refuses text that is not a URL-encoded PEM certificate', () => {
    expect(parsePeerCertificate('%E0%A4%A')).toEqual({ ok: false, detail: 'cert_encoding' });
    expect(parsePeerCertificate('hello')).toEqual({ ok: false, detail: 'cert_encoding' });
    const garbled = certs.leaf.pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(parsePeerCertificate(encodeURIComponent(garbled))).toMatchObject({ ok: false });
    expect(parsePeerCertificate('x'.repeat(70_000))).toEqual({ ok: false, detail: 'cert_too_large' });
  });

  it('accepts the PEM with its newlines percent-encoded or not', () => {
    expect(parsePeerCertificate(certs.leaf.pem)).toMatchObject({ ok: true, uri: SPIFFE_REPORTER });
  });
});

describe('createCertificateCache', () => {
  it('parses each certificate string once and stays within its bound', () => {
    const cache = createCertificateCache(2);
    const first = cache.get(certs.leaf.urlEncoded);
    expect(cache.get(certs.leaf.urlEncoded)).toBe(first);
    cache.get(certs.twoUris.urlEncoded);
    cache.get(certs.nonSpiffe.urlEncoded);
    expect(cache.size).toBe(2);
  });

  it('never answers for another certificate string that ends the same way', () => {
    const cache = createCertificateCache(10);
    const leaf = certs.leaf.urlEncoded;
    const sameTail = `${certs.otherDomain.urlEncoded.slice(0, 200)}${leaf.slice(200)}`;
    expect(cache.get(leaf)).toMatchObject({ ok: true, uri: SPIFFE_REPORTER });
    expect(cache.get(sameTail)).toEqual(parsePeerCertificate(sameTail));
    expect(cache.get(sameTail)).not.toMatchObject({ ok: true, uri: SPIFFE_REPORTER });
    expect(cache.get(leaf)).toMatchObject({ ok: true, uri: SPIFFE_REPORTER });
  });
});
