// Hostile bearer tokens against a real identifier (real keys, JWKS files in a temp dir, injected
// clock): every one is refused with the right reason and detail, and the good ones still pass.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentifier, type Identifier } from '../../../src/identity/identify.js';
import type { Identity } from '../../../src/identity/types.js';
import type { TrustConfig } from '../../../src/policy/types.js';
import {
  bearer, claims, generateKey, identityRequest, jwks, signToken, spiffeBundle, testIssuer, testService, testTrust,
  type RequestSpec, type TestKey,
} from '../../helpers/tokens.js';

const NOW_MS = Math.floor(Date.now() / 1000) * 1000;
const NOW = NOW_MS / 1000;
const CORP = 'https://idp.example.org';
const PARTNER = 'https://partner.example.net';
const MESH = 'https://spire.example.org';
const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';

let dir: string;
let trust: TrustConfig;
let identifier: Identifier;
const k: Record<string, TestKey> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-jwt-'));
  k.es = await generateKey('ES256', { kid: 'corp-1' });
  k.rsa = await generateKey('RS256', { kid: 'corp-rsa' });
  k.rogue = await generateKey('ES256', { kid: 'corp-1' });
  k.rogueRsa = await generateKey('RS256', { kid: 'corp-1' });
  k.ps = await generateKey('PS256', { kid: 'corp-ps' });
  k.partner = await generateKey('ES256', { kid: 'partner-1' });
  k.mesh = await generateKey('ES256', { kid: 'mesh-1' });
  k.meshEd = await generateKey('EdDSA', { kid: 'mesh-ed' });
  writeFileSync(join(dir, 'corp.json'), JSON.stringify(jwks([k.es, k.rsa, k.ps])));
  writeFileSync(join(dir, 'partner.json'), JSON.stringify(jwks([k.partner])));
  writeFileSync(join(dir, 'mesh.json'), JSON.stringify(spiffeBundle([k.mesh, k.meshEd])));
  trust = testTrust({
    issuers: [
      testIssuer({ name: 'corp', issuer: CORP, file: join(dir, 'corp.json'), algorithms: ['ES256', 'RS256'], maxLifetimeSec: 3600, clockSkewSec: 30 }),
      testIssuer({ name: 'partner', issuer: PARTNER, file: join(dir, 'partner.json'), algorithms: ['ES256'] }),
      testIssuer({ name: 'mesh', issuer: MESH, svid: true, file: join(dir, 'mesh.json'), algorithms: ['ES256', 'EdDSA'], maxLifetimeSec: 900 }),
    ],
  });
  identifier = createIdentifier({ now: () => NOW_MS, keyWaitMs: 1000 });
  await identifier.configure(trust);
});

afterAll(() => {
  identifier.close();
  rmSync(dir, { recursive: true, force: true });
});

async function identify(spec: RequestSpec): Promise<Identity> {
  return identifier.identify(identityRequest(spec), testService('payments'), trust);
}

const corpClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...claims({ iss: CORP, now: NOW }), ...over });
const meshClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...claims({ iss: MESH, sub: REPORTER, now: NOW, lifetime: 300 }), ...over });
const corp = (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> =>
  signToken({ key: k.es as TestKey, claims: corpClaims(over), header });
const b64 = (s: string): string => Buffer.from(s).toString('base64url');

describe('tokens that verify', () => {
  it.each([
    ['ES256 with kid', () => corp()],
    ['RS256', () => signToken({ key: k.rsa as TestKey, claims: corpClaims() })],
    ['no kid (tried against the matching keys)', () => corp({}, { kid: undefined })],
    ['typ JOSE, no typ', () => corp({}, { typ: 'JOSE' })],
    ['aud array containing the service', () => corp({ aud: ['other', 'payments'] })],
    ['expired within the clock skew', () => corp({ exp: NOW - 10, iat: NOW - 600 })],
    ['nbf within the clock skew', () => corp({ nbf: NOW + 20 })],
    ['lifetime exactly maxLifetime', () => corp({ iat: NOW - 100, exp: NOW - 100 + 3600 })],
  ])('%s', async (_name, make) => {
    const id = await identify(bearer(await make()));
    expect(id.tokenFailure).toBeUndefined();
    expect(id.token).toMatchObject({ issuer: 'corp', iss: CORP, sub: 'svc-reporting' });
    expect(id.tokenPresented).toBe(true);
  });

  it('a JWT-SVID from a SPIFFE bundle becomes the svid identity', async () => {
    const id = await identify({ headers: { authorization: `bearer ${await signToken({ key: k.mesh as TestKey, claims: meshClaims() })}` } });
    expect(id.token?.svid).toEqual({ spiffeId: REPORTER, trustDomain: 'example.org', path: '/ns/billing/sa/reporter', source: 'jwt-svid' });
    expect(id.token?.kid).toBe('mesh-1');
  });

  it('exposes scopes from scope and scp, and jti', async () => {
    const id = await identify(bearer(await corp({ scope: 'ledger.read ledger.write', scp: ['admin'], jti: 'j-1' })));
    expect(id.token?.scopes).toEqual(['ledger.read', 'ledger.write', 'admin']);
    expect(id.token?.jti).toBe('j-1');
  });
});

type Make = () => Promise<RequestSpec>;
const token = (make: () => Promise<string>): Make => async () => bearer(await make());

const HOSTILE: readonly (readonly [string, string, string, Make])[] = [
  ['alg none', 'invalid_token', 'alg_not_allowed', token(() => corp({}, { alg: 'none' }))],
  ['HS256 signed with the public key', 'invalid_token', 'alg_not_allowed',
    token(() => signToken({ key: k.es as TestKey, claims: corpClaims(), header: { alg: 'HS256' }, secret: new TextEncoder().encode((k.es as TestKey).spkiPem) }))],
  ['algorithm outside the issuer allowlist (PS256)', 'invalid_token', 'alg_not_allowed', token(() => signToken({ key: k.ps as TestKey, claims: corpClaims() }))],
  ['unknown kid', 'invalid_token', 'unknown_kid', token(() => corp({}, { kid: 'nobody' }))],
  ['right kid, wrong key', 'invalid_token', 'bad_signature', token(() => signToken({ key: k.rogue as TestKey, claims: corpClaims() }))],
  ['alg/key-type confusion (RS256 under an EC kid)', 'invalid_token', 'no_matching_key', token(() => signToken({ key: k.rogueRsa as TestKey, claims: corpClaims() }))],
  ['unknown issuer', 'invalid_token', 'unknown_issuer', token(() => corp({ iss: 'https://evil.example' }))],
  ['no iss', 'invalid_token', 'missing_iss', token(() => corp({ iss: undefined }))],
  ['cross-issuer: corp iss, partner key and kid', 'invalid_token', 'unknown_kid',
    token(() => signToken({ key: k.partner as TestKey, claims: corpClaims() }))],
  ['cross-issuer: partner iss and key, corp kid', 'invalid_token', 'unknown_kid',
    token(() => signToken({ key: k.es as TestKey, claims: { ...corpClaims(), iss: PARTNER } }))],
  ['expired', 'invalid_token', 'token_expired', token(() => corp({ iat: NOW - 600, exp: NOW - 31 }))],
  ['not yet valid (nbf)', 'invalid_token', 'token_not_yet_valid', token(() => corp({ nbf: NOW + 120 }))],
  ['issued in the future', 'invalid_token', 'iat_in_future', token(() => corp({ iat: NOW + 120, exp: NOW + 600 }))],
  ['lifetime above maxLifetime', 'invalid_token', 'lifetime_too_long', token(() => corp({ iat: NOW, exp: NOW + 3601 }))],
  ['no aud', 'invalid_token', 'missing_aud', token(() => corp({ aud: undefined }))],
  ['wrong aud', 'invalid_token', 'wrong_aud', token(() => corp({ aud: 'billing' }))],
  ['aud of the wrong type', 'invalid_token', 'invalid_aud', token(() => corp({ aud: 42 }))],
  ['no exp', 'invalid_token', 'missing_exp', token(() => corp({ exp: undefined }))],
  ['no iat', 'invalid_token', 'missing_iat', token(() => corp({ iat: undefined }))],
  ['exp as a string', 'invalid_token', 'invalid_numeric_date', token(() => corp({ exp: String(NOW + 600) }))],
  ['exp that parses to Infinity', 'invalid_token', 'invalid_numeric_date',
    token(() => signToken({ key: k.es as TestKey, payload: `{"iss":"${CORP}","sub":"x","aud":"payments","iat":${NOW},"exp":1e400}` }))],
  ['nbf that parses to -Infinity', 'invalid_token', 'invalid_numeric_date', token(() => signToken({ key: k.es as TestKey, payload: JSON.stringify(corpClaims()).replace('{', '{"nbf":-1e999,') }))],
  ['crit header', 'invalid_token', 'crit_header', token(() => corp({}, { crit: ['exp'], exp: 1 }))],
  ['jku header', 'invalid_token', 'jku_header', token(() => corp({}, { jku: 'https://evil.example/jwks.json' }))],
  ['x5u header', 'invalid_token', 'x5u_header', token(() => corp({}, { x5u: 'https://evil.example/cert.pem' }))],
  ['embedded jwk', 'invalid_token', 'jwk_header', token(() => corp({}, { jwk: (k.rogue as TestKey).jwk }))],
  ['embedded x5c', 'invalid_token', 'x5c_header', token(() => corp({}, { x5c: ['MIIB'] }))],
  ['typ at+jwt', 'invalid_token', 'bad_typ', token(() => corp({}, { typ: 'at+jwt' }))],
  ['kid that is not a string', 'invalid_token', 'malformed_header', token(() => corp({}, { kid: 7 }))],
  ['truncated: no signature segment', 'invalid_token', 'malformed_token', token(async () => (await corp()).split('.').slice(0, 2).join('.'))],
  ['truncated signature', 'invalid_token', 'bad_signature', token(async () => (await corp()).slice(0, -10))],
  ['extra segment', 'invalid_token', 'malformed_token', token(async () => `${await corp()}.AAAA`)],
  ['JWE (five segments)', 'invalid_token', 'jwe_not_supported', token(async () => `${b64('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.AAAA.AAAA.AAAA.AAAA`)],
  ['standard base64 instead of base64url', 'invalid_token', 'malformed_token', token(async () => `${(await corp()).slice(0, -2)}+/`)],
  ['characters outside base64url', 'invalid_token', 'malformed_token', token(async () => `${await corp()}"ö`)],
  ['payload not JSON', 'invalid_token', 'malformed_payload', token(() => signToken({ key: k.es as TestKey, payload: 'hello' }))],
  ['payload a JSON array', 'invalid_token', 'malformed_payload', token(() => signToken({ key: k.es as TestKey, payload: '[1,2]' }))],
  ['header not JSON', 'invalid_token', 'malformed_header', token(async () => `${b64('{alg:ES256')}.${b64('{}')}.AAAA`)],
  ['no sub', 'invalid_token', 'missing_sub', token(() => corp({ sub: undefined }))],
  ['jti not a string', 'invalid_token', 'invalid_claim', token(() => corp({ jti: 12 }))],
  ['huge token', 'invalid_token', 'token_too_large', token(() => corp({ pad: 'x'.repeat(9000) }))],
  ['two bearer tokens (merged headers)', 'invalid_token', 'multiple_authorization',
    async () => ({ headers: { authorization: `Bearer ${await corp()},Bearer ${await corp()}` } })],
  ['two tokens in one header', 'invalid_token', 'multiple_tokens', async () => ({ headers: { authorization: `Bearer ${await corp()} ${await corp()}` } })],
  ['token in the query string', 'invalid_token', 'token_in_query', async () => ({ queryKeys: ['access_token'] })],
  ['svid: sub not a SPIFFE ID', 'invalid_token', 'svid_invalid_sub', token(() => signToken({ key: k.mesh as TestKey, claims: meshClaims({ sub: 'reporter' }) }))],
  ['svid: sub a trust-domain ID', 'invalid_token', 'svid_invalid_sub', token(() => signToken({ key: k.mesh as TestKey, claims: meshClaims({ sub: 'spiffe://example.org' }) }))],
  ['svid: sub in another trust domain', 'untrusted_domain', 'svid_untrusted_domain',
    token(() => signToken({ key: k.mesh as TestKey, claims: meshClaims({ sub: 'spiffe://evil.example/ns/a' }) }))],
  ['svid: no kid', 'invalid_token', 'missing_kid', token(() => signToken({ key: k.mesh as TestKey, claims: meshClaims(), header: { kid: undefined } }))],
  ['svid: EdDSA (not RS/ES/PS)', 'invalid_token', 'alg_not_allowed', token(() => signToken({ key: k.meshEd as TestKey, claims: meshClaims() }))],
  ['svid: lifetime above the issuer maxLifetime', 'invalid_token', 'lifetime_too_long',
    token(() => signToken({ key: k.mesh as TestKey, claims: meshClaims({ exp: NOW + 901 }) }))],
  ['svid issuer key used for a corp token', 'invalid_token', 'unknown_kid', token(() => signToken({ key: k.mesh as TestKey, claims: corpClaims() }))],
];

describe('hostile tokens', () => {
  it('has at least 25 of them', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(25);
  });

  it.each(HOSTILE)('%s → %s/%s', async (_name, reason, detail, make) => {
    const id = await identify(await make());
    expect(id.tokenFailure).toEqual({ reason, detail });
    expect(id.token).toBeUndefined();
    expect(id.tokenPresented).toBe(true);
  });
});
