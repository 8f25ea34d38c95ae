// Peer identity from the principal, the real (openssl-made) peer certificate and, only when
// trusted, x-forwarded-client-cert; each failure with its reason and detail, time from a clock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateCache } from '../../../src/identity/certificate.js';
import { identifyPeer } from '../../../src/identity/peer.js';
import { createStandardCerts, SPIFFE_REPORTER, type StandardCerts } from '../../helpers/certs.js';
import { identityRequest, testTrust, type RequestSpec } from '../../helpers/tokens.js';

let certs: StandardCerts;
beforeAll(() => {
  certs = createStandardCerts();
});
afterAll(() => certs.cleanup());

const trust = testTrust();
const xfccTrust = testTrust({ trustXfcc: true });
const NOW = Date.now();

function peerOf(spec: RequestSpec, t = trust, now = NOW) {
  return identifyPeer(identityRequest(spec), t, createCertificateCache(), now);
}

describe('principal', () => {
  it('answers for the trust configuration in force, also for an ID it has seen under another one', () => {
    const other = testTrust({ trustDomains: ['other.example'] });
    expect(peerOf({ principal: SPIFFE_REPORTER }).peer?.spiffeId).toBe(SPIFFE_REPORTER);
    expect(peerOf({ principal: SPIFFE_REPORTER }, other)).toEqual({ peer: undefined, failure: { reason: 'untrusted_domain', detail: 'not_in_trust_domains' } });
    expect(peerOf({ certificate: certs.leaf.urlEncoded }, other).failure?.reason).toBe('untrusted_domain');
    expect(peerOf({ certificate: certs.leaf.urlEncoded }).peer?.source).toBe('certificate');
    expect(peerOf({ principal: SPIFFE_REPORTER }).peer?.source).toBe('principal');
  });

  it('establishes a workload identity in a trusted domain', () => {
    expect(peerOf({ principal: SPIFFE_REPORTER })).toEqual({
      peer: { spiffeId: SPIFFE_REPORTER, trustDomain: 'example.org', path: '/ns/billing/sa/reporter', source: 'principal' },
      failure: undefined,
    });
  });

  it.each([
    ['spiffe://example.org', 'invalid_spiffe_id', 'no_path'],
    ['spiffe://Example.org/a', 'invalid_spiffe_id', 'bad_trust_domain_char'],
    ['SPIFFE://example.org/a', 'invalid_spiffe_id', 'scheme'],
    ['spiffe://example.org/a/../b', 'invalid_spiffe_id', 'dot_segment'],
    ['reporter.example.org', 'invalid_spiffe_id', 'scheme'],
    ['spiffe://evil.example/ns/a', 'untrusted_domain', 'not_in_trust_domains'],
  ])('refuses %s: %s/%s', (principal, reason, detail) => {
    expect(peerOf({ principal })).toEqual({ peer: undefined, failure: { reason, detail } });
  });

  it('yields no peer and no failure when nothing is presented', () => {
    expect(peerOf({})).toEqual({ peer: undefined, failure: undefined });
  });
});

describe('peer certificate', () => {
  it('establishes the identity on its own, without a principal', () => {
    expect(peerOf({ certificate: certs.leaf.urlEncoded }).peer).toMatchObject({ spiffeId: SPIFFE_REPORTER, source: 'certificate' });
  });

  it('accepts a principal that agrees with it', () => {
    expect(peerOf({ certificate: certs.leaf.urlEncoded, principal: SPIFFE_REPORTER }).peer?.spiffeId).toBe(SPIFFE_REPORTER);
  });

  it('denies a principal that disagrees with it', () => {
    const result = peerOf({ certificate: certs.leaf.urlEncoded, principal: 'spiffe://example.org/ns/ops/sa/admin' });
    expect(result).toEqual({ peer: undefined, failure: { reason: 'invalid_peer_identity', detail: 'principal_mismatch' } });
  });

  it.each([
    // [certificate, the principal Envoy derives from it (its first URI SAN, else ''), reason, detail]
    ['twoUris', SPIFFE_REPORTER, 'invalid_peer_identity', 'multiple_uri_sans'],
    ['nonSpiffe', 'https://example.org/reporter', 'invalid_peer_identity', 'uri_san_not_spiffe'],
    ['dnsOnly', '', 'invalid_peer_identity', 'no_uri_san'],
    ['expired', SPIFFE_REPORTER, 'invalid_peer_identity', 'cert_expired'],
    ['notYetValid', SPIFFE_REPORTER, 'invalid_peer_identity', 'cert_not_yet_valid'],
    ['otherDomain', 'spiffe://evil.example/ns/billing/sa/reporter', 'untrusted_domain', 'not_in_trust_domains'],
    ['noPath', 'spiffe://example.org', 'invalid_spiffe_id', 'no_path'],
  ] as const)('refuses the %s certificate (principal %j): %s/%s', (name, principal, reason, detail) => {
    expect(peerOf({ certificate: certs[name].urlEncoded, principal }).failure).toEqual({ reason, detail });
    expect(peerOf({ certificate: certs[name].urlEncoded }).failure).toEqual({ reason, detail });
  });

  it('judges validity by the injected clock', () => {
    const day = 24 * 3600_000;
    expect(peerOf({ certificate: certs.leaf.urlEncoded }, trust, NOW + 2 * day).failure?.detail).toBe('cert_expired');
    expect(peerOf({ certificate: certs.expired.urlEncoded }, trust, NOW - 5 * day).peer?.spiffeId).toBe(SPIFFE_REPORTER);
  });

  it('refuses a garbled certificate even beside a good principal', () => {
    expect(peerOf({ certificate: 'not-a-cert', principal: SPIFFE_REPORTER }).failure).toEqual({ reason: 'invalid_peer_identity', detail: 'cert_encoding' });
  });
});

describe('x-forwarded-client-cert', () => {
  const xfcc = (value: string): RequestSpec => ({ headers: { 'x-forwarded-client-cert': value } });

  it('is ignored unless trustXfcc is set', () => {
    expect(peerOf(xfcc(`URI=${SPIFFE_REPORTER}`))).toEqual({ peer: undefined, failure: undefined });
  });

  it("uses the last element's URI when trusted", () => {
    const header = `By=spiffe://example.org/gw;URI=spiffe://example.org/ns/forged/sa/x,By=spiffe://example.org/me;Subject="CN=a,O=b";URI=${SPIFFE_REPORTER}`;
    expect(peerOf(xfcc(header), xfccTrust).peer).toMatchObject({ spiffeId: SPIFFE_REPORTER, source: 'xfcc' });
  });

  it('never overrides the principal or certificate', () => {
    const result = peerOf({ principal: SPIFFE_REPORTER, headers: { 'x-forwarded-client-cert': 'URI=spiffe://example.org/ns/ops/sa/admin' } }, xfccTrust);
    expect(result.peer?.spiffeId).toBe(SPIFFE_REPORTER);
  });

  it.each([
    ['URI="unterminated', 'invalid_peer_identity', 'xfcc_malformed'],
    ['Hash=abc', 'invalid_peer_identity', 'xfcc_no_uri'],
    [`URI=${SPIFFE_REPORTER},Hash=abc`, 'invalid_peer_identity', 'xfcc_no_uri'],
    [`URI=${SPIFFE_REPORTER};URI=spiffe://example.org/b`, 'invalid_peer_identity', 'xfcc_multiple_uris'],
    ['URI=https://example.org/a', 'invalid_peer_identity', 'uri_san_not_spiffe'],
    ['URI=spiffe://example.org/a/', 'invalid_spiffe_id', 'trailing_slash'],
    ['URI=spiffe://evil.example/a', 'untrusted_domain', 'not_in_trust_domains'],
  ])('refuses %j: %s/%s', (header, reason, detail) => {
    expect(peerOf(xfcc(header), xfccTrust).failure).toEqual({ reason, detail });
  });
});
