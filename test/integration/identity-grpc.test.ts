// Caller identity end to end: real X.509 SVIDs (openssl, made at test time) sent as Envoy sends
// them (URL-encoded PEM in attributes.source.certificate), to the real server over real gRPC.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.js';
import { createStandardCerts, SPIFFE_REPORTER, type StandardCerts } from '../helpers/certs.js';

const TRUST = 'kind: Trust\ntrustDomains: [example.org]\nrevoked:\n  spiffeIds: [spiffe://example.org/ns/legacy/sa/shared]\n';
const POLICY = `kind: ServicePolicy
service: payments
rules:
  - name: ledger-read
    methods: [{ http: GET /v1/ledger/** }]
    allow:
      - spiffe: ${SPIFFE_REPORTER}
      - spiffe: spiffe://example.org/ns/legacy/sa/shared
`;

describe('peer identity from real certificates over gRPC', () => {
  let certs: StandardCerts;
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    certs = createStandardCerts();
    dir = await mkdtemp(join(tmpdir(), 'tollgate-idgrpc-'));
    await writeFile(join(dir, 'trust.yaml'), TRUST);
    await writeFile(join(dir, 'payments.yaml'), POLICY);
    server = await startServer(dir);
  });
  afterAll(async () => {
    await server.close();
    certs.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const reason = async (spec: { certificate?: string; principal?: string }): Promise<string> => {
    const res = await server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', ...spec });
    return res.status.code === 0 ? 'allow' : (JSON.parse(res.denied_response?.body ?? '{}') as { reason: string }).reason;
  };

  it('a certificate alone establishes the caller', async () => {
    expect(await reason({ certificate: certs.leaf.urlEncoded })).toBe('allow');
  });

  it('a certificate and a principal that agree are accepted', async () => {
    expect(await reason({ certificate: certs.leaf.urlEncoded, principal: SPIFFE_REPORTER })).toBe('allow');
  });

  it.each([
    ['principal disagrees with the certificate', () => ({ certificate: certs.leaf.urlEncoded, principal: 'spiffe://example.org/ns/ops/sa/x' }), 'invalid_peer_identity'],
    ['two URI SANs', () => ({ certificate: certs.twoUris.urlEncoded }), 'invalid_peer_identity'],
    ['a non-SPIFFE URI SAN', () => ({ certificate: certs.nonSpiffe.urlEncoded }), 'invalid_peer_identity'],
    ['a DNS SAN only', () => ({ certificate: certs.dnsOnly.urlEncoded }), 'invalid_peer_identity'],
    ['an expired certificate', () => ({ certificate: certs.expired.urlEncoded }), 'invalid_peer_identity'],
    ['a certificate not yet valid', () => ({ certificate: certs.notYetValid.urlEncoded }), 'invalid_peer_identity'],
    ['another trust domain', () => ({ certificate: certs.otherDomain.urlEncoded }), 'untrusted_domain'],
    ['a trust-domain ID with no workload path', () => ({ certificate: certs.noPath.urlEncoded }), 'invalid_spiffe_id'],
    ['a certificate that does not parse', () => ({ certificate: encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }), 'invalid_peer_identity'],
    ['a revoked SPIFFE ID, even though a rule lists it', () => ({ principal: 'spiffe://example.org/ns/legacy/sa/shared' }), 'revoked'],
  ])('denies %s', async (_name, spec, expected) => {
    expect(await reason(spec())).toBe(expected);
  });

  it('ignores x-forwarded-client-cert unless the operator trusts it', async () => {
    const res = await server.client.check({
      service: 'payments', http: 'GET /v1/ledger/x', headers: { 'x-forwarded-client-cert': `By=spiffe://example.org/ns/payments/sa/api;URI=${SPIFFE_REPORTER}` },
    });
    expect(JSON.parse(res.denied_response?.body ?? '{}').reason).toBe('no_credentials');
  });
});
