// Claims taken as verified: the peer still comes from the real identifier, a malformed bearer
// header still fails, and the claims become the token the decision core reads.

import { describe, expect, it } from 'vitest';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';
import { createIdentifier } from '../../../src/identity/identify.js';
import type { CompiledService, TrustConfig } from '../../../src/policy/types.js';
import { assumingClaims, claimsFromJwt } from '../../../src/tooling/assumed-identity.js';

const issuer = { name: 'corp', issuer: 'https://corp.example.org', svid: false, jwks: { file: undefined, url: undefined, refreshMs: 1, cooldownMs: 1, timeoutMs: 1 }, algorithms: ['ES256'], maxLifetimeSec: 3600, clockSkewSec: 30 };
const trust: TrustConfig = {
  trustDomains: new Set(['example.org']), trustXfcc: false, issuers: new Map([['corp', issuer]]),
  issuersByIss: new Map([[issuer.issuer, issuer]]), revoked: { spiffeIds: new Set(), tokenIds: new Set(), keyIds: new Set() },
};
const service = { audience: 'api' } as CompiledService;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: object) => `${b64({ alg: 'ES256', kid: 'k9' })}.${b64(payload)}.c2ln`;

describe('assumingClaims', () => {
  const identifier = createIdentifier();

  it('keeps the real peer and stands the claims in for the token', async () => {
    const request = decodeCheckRequest(buildCheckRequest({ http: 'GET /', principal: 'spiffe://other.org/ns/a/sa/b' }));
    const id = await assumingClaims(identifier, { issuer: 'corp', sub: 'u', scope: 'a b' }).identify(request, service, trust);
    expect(id.peerFailure).toEqual({ reason: 'untrusted_domain', detail: 'not_in_trust_domains' });
    expect(id.token).toMatchObject({ issuer: 'corp', iss: 'https://corp.example.org', sub: 'u', scopes: ['a', 'b'], aud: ['api'] });
    expect(id.tokenPresented).toBe(true);
  });

  it('still refuses a malformed authorization header', async () => {
    const request = decodeCheckRequest(buildCheckRequest({ http: 'GET /', headers: { authorization: 'Bearer a, Bearer b' } }));
    const id = await assumingClaims(identifier, { issuer: 'corp', sub: 'u' }).identify(request, service, trust);
    expect(id.token).toBeUndefined();
    expect(id.tokenFailure).toEqual({ reason: 'invalid_token', detail: 'multiple_authorization' });
  });

  it('an unknown issuer is an invalid token', async () => {
    const request = decodeCheckRequest(buildCheckRequest({ http: 'GET /' }));
    const id = await assumingClaims(identifier, { issuer: 'https://evil.example', sub: 'u' }).identify(request, service, trust);
    expect(id.tokenFailure?.reason).toBe('invalid_token');
  });
});

describe('claimsFromJwt', () => {
  it('reads the payload without verifying, names the issuer by iss, keeps the kid', () => {
    const claims = claimsFromJwt(`Bearer ${jwt({ iss: 'https://corp.example.org', sub: 'u', aud: 'api' })}`, trust);
    expect(claims).toMatchObject({ issuer: 'corp', sub: 'u', aud: 'api', kid: 'k9' });
    expect(claimsFromJwt(jwt({ iss: 'https://elsewhere' }), trust)['issuer']).toBe('https://elsewhere');
    expect(() => claimsFromJwt('nope', trust)).toThrow();
  });
});
