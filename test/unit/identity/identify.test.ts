// createIdentifier end to end on real keys and key files: synchronous answers from the cache,
// failures never cached, a bounded cache under a flood, key removal and config changes honoured,
// no token verification without a service, and no exception ever escaping.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdentifier, type Identifier } from '../../../src/identity/identify.js';
import type { Identity } from '../../../src/identity/types.js';
import type { TrustConfig } from '../../../src/policy/types.js';
import {
  bearer, claims, generateKey, identityRequest, jwks, recordingMetrics, signToken, testIssuer, testService, testTrust,
  type RecordingMetrics, type RequestSpec, type TestKey,
} from '../../helpers/tokens.js';

const ISS = 'https://idp.example.org';
const START = Math.floor(Date.now() / 1000) * 1000;

let key: TestKey;
let other: TestKey;
let dir: string;
let now: number;
let rec: RecordingMetrics;
let trust: TrustConfig;
let identifier: Identifier;

function writeKeys(keys: TestKey[]): void {
  writeFileSync(join(dir, 'tmp.json'), JSON.stringify(jwks(keys)));
  renameSync(join(dir, 'tmp.json'), join(dir, 'corp.json'));
}

function corpTrust(over: Parameters<typeof testIssuer>[0] | object = {}, trustDomains?: string[]): TrustConfig {
  return testTrust({ issuers: [testIssuer({ name: 'corp', issuer: ISS, file: join(dir, 'corp.json'), ...over })], trustDomains });
}

const token = (over: Record<string, unknown> = {}, k: TestKey = key): Promise<string> =>
  signToken({ key: k, claims: { ...claims({ iss: ISS, now: now / 1000 }), ...over } });

beforeAll(async () => {
  key = await generateKey('ES256', { kid: 'k1' });
  other = await generateKey('ES256', { kid: 'k2' });
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-identify-'));
  writeKeys([key, other]);
  now = START;
  rec = recordingMetrics();
  trust = corpTrust();
  identifier = createIdentifier({ now: () => now, metrics: rec.metrics, tokenCacheSize: 20, keyWaitMs: 1000 });
  await identifier.configure(trust);
});

afterEach(() => {
  identifier.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (spec: RequestSpec, t: TrustConfig = trust, service = testService('payments')): Identity | Promise<Identity> =>
  identifier.identify(identityRequest(spec), service, t);

describe('identify', () => {
  it('answers synchronously from the token cache after the first verification', async () => {
    const jwt = await token();
    const first = run(bearer(jwt));
    expect(first).toBeInstanceOf(Promise);
    expect((await first).token?.sub).toBe('svc-reporting');
    const second = run(bearer(jwt));
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as Identity).token?.fingerprint).toBe((await first).token?.fingerprint);
    expect(rec.cache).toEqual(['miss', 'hit']);
  });

  it('marks every verified token apart for the decision cache, even with the same claims', async () => {
    const [a, b] = [await token({ jti: 'same-jti' }), await token({ jti: 'same-jti' })];
    expect(a).not.toBe(b); // ECDSA signatures differ
    const first = await run(bearer(a));
    const second = await run(bearer(b));
    expect(first.token?.sub).toBe(second.token?.sub);
    expect(first.token?.fingerprint).toBeTruthy();
    expect(second.token?.fingerprint).not.toBe(first.token?.fingerprint);
  });

  it('answers synchronously when no token is presented', () => {
    const id = run({ principal: 'spiffe://example.org/ns/a/sa/b' });
    expect(id).toEqual({ peer: { spiffeId: 'spiffe://example.org/ns/a/sa/b', trustDomain: 'example.org', path: '/ns/a/sa/b', source: 'principal' },
      token: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: false });
  });

  it('never lets a failed token into the cache', async () => {
    const forged = await token({}, { ...key, privateKey: (await generateKey('ES256')).privateKey });
    for (let i = 0; i < 3; i++) expect((await run(bearer(forged))).tokenFailure?.detail).toBe('bad_signature');
    expect(rec.cache).toEqual(['miss', 'miss', 'miss']);
  });

  it('keeps the cache bounded under a flood of distinct valid tokens', async () => {
    const first = await token({ jti: 'first' });
    await run(bearer(first));
    for (let i = 0; i < 60; i++) await run(bearer(await token({ jti: `flood-${i}` })));
    rec.cache.length = 0;
    expect(run(bearer(first))).toBeInstanceOf(Promise);
    expect(rec.cache).toEqual(['miss']);
  });

  it('stops accepting a cached token at its exp (injected clock)', async () => {
    const jwt = await token({ exp: now / 1000 + 60 });
    expect((await run(bearer(jwt))).token).toBeDefined();
    now += 61_000 + 30_000;
    expect((await run(bearer(jwt))).tokenFailure?.detail).toBe('token_expired');
  });

  it('denies a cached token at once when a reload removes its key', async () => {
    const jwt = await token();
    expect((await run(bearer(jwt))).token).toBeDefined();
    const reloaded = rec.refreshed('corp');
    writeKeys([other]);
    expect(await reloaded).toBe('ok');
    expect((await run(bearer(jwt))).tokenFailure?.detail).toBe('unknown_kid');
  });

  it('re-verifies a cached token when the issuer config changes', async () => {
    const jwt = await token();
    await run(bearer(jwt));
    const stricter = corpTrust({ algorithms: ['RS256'] });
    expect((await run(bearer(jwt), stricter)).tokenFailure?.detail).toBe('alg_not_allowed');
  });

  it('checks the audience of each service even for a cached token', async () => {
    const jwt = await token({ aud: 'payments' });
    await run(bearer(jwt));
    expect((await run(bearer(jwt), trust, testService('billing'))).tokenFailure?.detail).toBe('wrong_aud');
    expect(run(bearer(jwt))).not.toBeInstanceOf(Promise);
  });

  it('skips token verification without a service but still reads the peer', async () => {
    const id = identifier.identify(identityRequest({ ...bearer('garbage.garbage.garbage'), principal: 'spiffe://example.org/a' }), undefined, trust);
    expect(id).toMatchObject({ token: undefined, tokenFailure: undefined, tokenPresented: true, peer: { spiffeId: 'spiffe://example.org/a' } });
  });

  it('reports peer and token separately', async () => {
    const id = await run({ ...bearer(await token({ aud: 'nope' })), principal: 'spiffe://other.org/a' });
    expect(id.peerFailure).toEqual({ reason: 'untrusted_domain', detail: 'not_in_trust_domains' });
    expect(id.tokenFailure).toEqual({ reason: 'invalid_token', detail: 'wrong_aud' });
  });

  it('turns an exception into a failure instead of throwing', () => {
    const request = { ...identityRequest(), headers: { get: () => { throw new Error('boom'); } } } as never;
    const id = identifier.identify(request, testService(), trust) as Identity;
    expect(id.tokenFailure).toEqual({ reason: 'invalid_token', detail: 'verification_error' });
  });

  it('denies with no_keys when the key file cannot be read, and recovers when it appears', async () => {
    rmSync(join(dir, 'corp.json'));
    const fresh = createIdentifier({ now: () => now, keyWaitMs: 1000 });
    try {
      const t = corpTrust({ cooldownMs: 0 });
      await fresh.configure(t);
      const jwt = await token();
      expect((await fresh.identify(identityRequest(bearer(jwt)), testService(), t)).tokenFailure?.detail).toBe('no_keys');
      writeKeys([key]);
      expect((await fresh.identify(identityRequest(bearer(jwt)), testService(), t)).token).toBeDefined();
    } finally {
      fresh.close();
    }
  });
});
