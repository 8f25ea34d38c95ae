// The signature of a JWT checked with node:crypto, synchronously, on the key jose's key set
// resolver picks (so key selection, JWK import and its checks stay jose's): WebCrypto's
// asynchronous verify (a thread-pool round trip per token) made a cold token's p99 several
// milliseconds. Claims are not checked here: jwt-inspect.ts did that before any cryptography.

import { KeyObject, constants, verify, type VerifyKeyObjectInput } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { KeySet } from './jwks-document.js';

/** What node:crypto needs for each JWS algorithm (RFC 7518 §3, RFC 8037): hash and options. */
interface Signing {
  readonly hash: string | null;
  readonly options: Omit<VerifyKeyObjectInput, 'key'>;
  readonly rsa: boolean;
}

const rsa = (bits: number, pss: boolean): Signing => ({
  hash: `sha${bits}`,
  options: pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 } : {},
  rsa: true,
});
const ecdsa = (bits: number): Signing => ({ hash: `sha${bits}`, options: { dsaEncoding: 'ieee-p1363' }, rsa: false });

const SIGNING: Readonly<Record<string, Signing>> = Object.freeze({
  RS256: rsa(256, false), RS384: rsa(384, false), RS512: rsa(512, false),
  PS256: rsa(256, true), PS384: rsa(384, true), PS512: rsa(512, true),
  ES256: ecdsa(256), ES384: ecdsa(384), ES512: ecdsa(512),
  EdDSA: { hash: null, options: {}, rsa: false }, Ed25519: { hash: null, options: {}, rsa: false },
});

/** jose caches one CryptoKey per key and algorithm; the KeyObject of each is made once too. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let ko = keyObjects.get(key);
  if (ko === undefined) {
    ko = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
    keyObjects.set(key, ko);
  }
  return ko;
}

/** 'ok', 'bad_signature' or 'bad_key'; thrown jose errors (no matching key…) pass through. */
export type SignatureResult = 'ok' | 'bad_signature' | 'bad_key';

/** Whether this algorithm is checked here (others, e.g. ML-DSA, are left to jose). */
export function signsHere(alg: string): boolean {
  return Object.hasOwn(SIGNING, alg);
}

/**
 * Verify `token`'s signature with the one key the key set resolves for (alg, kid). Rejects as
 * the resolver does (ERR_JWKS_NO_MATCHING_KEY, ERR_JWKS_MULTIPLE_MATCHING_KEYS…), so the caller's
 * jose error handling applies unchanged.
 */
export async function verifySignature(token: string, alg: string, kid: string | undefined, keySet: KeySet): Promise<SignatureResult> {
  const signing = SIGNING[alg];
  if (signing === undefined) throw new Error(`${alg} signatures are not checked here`);
  const key = await keySet.resolve({ alg, kid }, { payload: '', signature: '' });
  const ko = keyObjectOf(key as CryptoKey);
  // As jose: RSA keys under 2048 bits are refused (a key problem, not a bad signature).
  if (signing.rsa && (ko.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'bad_key';
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot), 'latin1');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  try {
    const withOptions: VerifyKeyObjectInput = { key: ko, ...signing.options };
    return verify(signing.hash, input, signing.hash === null ? ko : withOptions, signature) ? 'ok' : 'bad_signature';
  } catch {
    return 'bad_signature';
  }
}
