// The DER walker: the SAN URIs and validity it reads agree with what openssl wrote, and no
// truncation or corruption of a real certificate makes it throw or read out of bounds.

import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFacts } from '../../../src/identity/der.js';
import { createTestCa, type TestCa } from '../../helpers/certs.js';

let ca: TestCa;
let der: Buffer;
beforeAll(() => {
  ca = createTestCa();
  const cert = ca.issue({
    sans: ['DNS:a.example.org', 'URI:spiffe://example.org/one', 'email:x@example.org', 'URI:https://example.org/two', 'IP:10.0.0.1'],
    start: new Date('2030-01-02T03:04:05Z'),
    end: new Date('2051-06-07T08:09:10Z'),
  });
  der = new X509Certificate(cert.pem).raw;
});
afterAll(() => ca.cleanup());

describe('readCertificateFacts', () => {
  it('reads the URI SANs in order among other name types', () => {
    expect(readCertificateFacts(der)?.uris).toEqual(['spiffe://example.org/one', 'https://example.org/two']);
  });

  it('reads UTCTime and GeneralizedTime validity', () => {
    const facts = readCertificateFacts(der);
    expect(facts?.notBefore).toBe(Date.parse('2030-01-02T03:04:05Z'));
    expect(facts?.notAfter).toBe(Date.parse('2051-06-07T08:09:10Z'));
  });

  it('finds no URIs in a certificate without a SAN extension', () => {
    expect(readCertificateFacts(new X509Certificate(ca.issue({ sans: [] }).pem).raw)?.uris).toEqual([]);
  });

  it('never throws on a truncated or corrupted certificate', () => {
    fc.assert(fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (cut, flips) => {
      const bytes = Buffer.from(der.subarray(0, cut % (der.length + 1)));
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      const facts = readCertificateFacts(bytes);
      if (facts !== undefined) for (const uri of facts.uris) expect(uri).toMatch(/^[\x21-\x7e]*$/);
    }), { numRuns: 2000 });
  });
});
