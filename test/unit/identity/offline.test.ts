// verifyTokenOffline (for `tollgate explain --token`): the same verdicts as a live check, against
// the configured key file, with or without the `Bearer ` prefix.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTokenOffline } from '../../../src/identity/offline.js';
import type { TrustConfig } from '../../../src/policy/types.js';
import { claims, generateKey, jwks, signToken, testIssuer, testTrust, type TestKey } from '../../helpers/tokens.js';

const ISS = 'https://idp.example.org';
let dir: string;
let key: TestKey;
let trust: TrustConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-offline-'));
  key = await generateKey('ES256', { kid: 'k1' });
  writeFileSync(join(dir, 'corp.json'), JSON.stringify(jwks([key])));
  trust = testTrust({ issuers: [testIssuer({ name: 'corp', issuer: ISS, file: join(dir, 'corp.json') })] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verifyTokenOffline', () => {
  it('verifies a good token, bare or with its scheme', async () => {
    const jwt = await signToken({ key, claims: { ...claims({ iss: ISS }), scope: 'a b' } });
    expect((await verifyTokenOffline(jwt, trust, 'payments')).token).toMatchObject({ issuer: 'corp', scopes: ['a', 'b'] });
    expect((await verifyTokenOffline(`Bearer ${jwt}`, trust, 'payments')).failure).toBeUndefined();
  });

  it('gives the same failure details as a live check', async () => {
    const jwt = await signToken({ key, claims: claims({ iss: ISS }) });
    expect((await verifyTokenOffline(jwt, trust, 'billing')).failure).toEqual({ reason: 'invalid_token', detail: 'wrong_aud' });
    const later = Date.now() + 3600_000;
    expect((await verifyTokenOffline(jwt, trust, 'payments', { now: () => later })).failure?.detail).toBe('token_expired');
    const stranger = await generateKey('ES256', { kid: 'k9' });
    const forged = await signToken({ key: stranger, claims: claims({ iss: ISS }) });
    expect((await verifyTokenOffline(forged, trust, 'payments')).failure?.detail).toBe('unknown_kid');
  });
});
