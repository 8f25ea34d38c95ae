// Signatures checked with node:crypto on the key jose resolves: every supported algorithm with
// real keys, tampering, wrong keys, short RSA keys, and jose's resolver errors passed through.

import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, importSPKI } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseKeySet, type KeySet } from '../../../src/identity/jwks-document.js';
import { signsHere, verifySignature } from '../../../src/identity/signature.js';
import { generateKey, jwks, signToken, type TestKey } from '../../helpers/tokens.js';

function keySetOf(doc: { keys: readonly object[] }): KeySet {
  const parsed = parseKeySet(JSON.stringify(doc), false);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.keySet;
}

const claims = { iss: 'https://idp.example.org', sub: 's', aud: 'a', iat: 1, exp: 2 };

describe('verifySignature', () => {
  it.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])(
    '%s: accepts a good signature, refuses a changed payload or another key',
    async (alg) => {
      const key = await generateKey(alg);
      const other = await generateKey(alg, { kid: key.kid });
      const token = await signToken({ key, claims });
      const [h, , sig] = token.split('.');
      const changed = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${sig}`;
      expect(signsHere(alg)).toBe(true);
      expect(await verifySignature(token, alg, key.kid, keySetOf(jwks([key])))).toBe('ok');
      expect(await verifySignature(changed, alg, key.kid, keySetOf(jwks([key])))).toBe('bad_signature');
      expect(await verifySignature(token, alg, key.kid, keySetOf(jwks([other])))).toBe('bad_signature');
      expect(await verifySignature(token.slice(0, -6), alg, key.kid, keySetOf(jwks([key])))).toBe('bad_signature');
      // A signature of the wrong length for the algorithm: an error inside node:crypto, still a refusal.
      expect(await verifySignature(`${token.split('.').slice(0, 2).join('.')}.AAAA`, alg, key.kid, keySetOf(jwks([key])))).toBe('bad_signature');
    },
  );

  it('refuses an RSA key under 2048 bits as a bad key, as jose does', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...(await exportJWK(await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256', { extractable: true }))), kid: 'short', alg: 'RS256' };
    const key = await generateKey('RS256', { kid: 'short' });
    const token = await signToken({ key, claims });
    expect(await verifySignature(token, 'RS256', 'short', keySetOf({ keys: [jwk] }))).toBe('bad_key');
  });

  it("passes jose's resolver errors through (no matching key, several keys for a kid-less token)", async () => {
    const es = await generateKey('ES256', { kid: 'e1' });
    const es2 = await generateKey('ES256', { kid: 'e2' });
    const token = await signToken({ key: es, claims });
    await expect(verifySignature(token, 'ES256', 'missing', keySetOf(jwks([es])))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await expect(verifySignature(token, 'ES256', undefined, keySetOf(jwks([es, es2], { kid: undefined })))).rejects.toMatchObject({ code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' });
    const rsa: TestKey = await generateKey('RS256', { kid: 'e1' });
    await expect(verifySignature(await signToken({ key: rsa, claims }), 'RS256', 'e1', keySetOf(jwks([es])))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('leaves algorithms it does not know to jose', () => {
    expect(signsHere('ML-DSA-44')).toBe(false);
    expect(signsHere('HS256')).toBe(false);
    expect(signsHere('none')).toBe(false);
  });
});
