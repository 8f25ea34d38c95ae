// Verifying an inspected JWT with jose: the signature against the issuer's key set (waiting a
// bounded time for fresher keys when the kid is unknown), and jose's own claim checks told every
// requirement (iss, aud, exp, iat, sub, algorithm). Failures are values; nothing throws out.

import { jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { tokenFailure, type TokenFailureDetail } from './failures.js';
import type { InspectedJwt } from './jwt-inspect.js';
import type { KeySet, KeySource } from './jwks.js';
import { signsHere, verifySignature } from './signature.js';
import type { IdentityFailure, VerifiedToken } from './types.js';

export const DEFAULT_KEY_WAIT_MS = 100;

export type Verification =
  | { readonly ok: true; readonly token: VerifiedToken; readonly keySet: KeySet }
  | { readonly ok: false; readonly failure: IdentityFailure };

function fail(detail: TokenFailureDetail): Verification {
  return { ok: false, failure: tokenFailure(detail) };
}

function needsKeys(keySet: KeySet | undefined, kid: string | undefined): boolean {
  return keySet === undefined || keySet.size === 0 || (kid !== undefined && !keySet.kids.has(kid));
}

/** Resolve when `promise` settles or after `ms`, whichever is first; never rejects. */
function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** The key set to verify with, after at most `waitMs` for a refetch; or why there is none. */
async function keySetFor(source: KeySource, kid: string | undefined, waitMs: number): Promise<KeySet | TokenFailureDetail> {
  let keySet = source.current();
  if (needsKeys(keySet, kid)) {
    const refetch = source.refetchForMissingKey();
    if (refetch !== undefined) await within(refetch, waitMs);
    keySet = source.current();
  }
  if (keySet === undefined || keySet.size === 0) return 'no_keys';
  if (kid !== undefined && !keySet.kids.has(kid)) return 'unknown_kid';
  return keySet;
}

const CLAIM_DETAILS: Readonly<Record<string, TokenFailureDetail>> = {
  aud: 'wrong_aud', iss: 'unknown_issuer', nbf: 'token_not_yet_valid', exp: 'invalid_numeric_date',
  iat: 'invalid_numeric_date', sub: 'missing_sub',
};

/** jose's error codes → our details. Key import and format errors of a key are `bad_key`. */
export function detailOfJoseError(err: unknown): TokenFailureDetail {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'bad_signature';
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no_matching_key';
    case 'ERR_JWT_EXPIRED': return 'token_expired';
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'alg_not_allowed';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': return 'malformed_token';
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED': return 'bad_key';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return CLAIM_DETAILS[String((err as { claim?: unknown }).claim)] ?? 'invalid_claim';
    default: break;
  }
  // WebCrypto refuses unusable keys with a DOMException; jose refuses short RSA keys with a TypeError.
  if (err instanceof TypeError || (typeof DOMException !== 'undefined' && err instanceof DOMException)) return 'bad_key';
  return 'verification_error';
}

/** jwtVerify, trying each candidate key when a kid-less token matches several. */
async function verifyWith(token: string, keySet: KeySet, options: JWTVerifyOptions): Promise<void> {
  try {
    await jwtVerify(token, keySet.resolve, options);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
    let last: unknown = err;
    for await (const key of err as AsyncIterable<CryptoKey>) {
      try {
        await jwtVerify(token, key, options);
        return;
      } catch (inner) {
        last = inner;
      }
    }
    throw last;
  }
}

/**
 * The signature checked synchronously (signature.ts) on the key jose resolves; undefined when
 * several keys match a kid-less token (jose's path tries each). The claims were checked by
 * jwt-inspect.ts already. Resolver errors (no matching key, bad key) propagate as jose's would.
 */
async function signedHere(token: string, jwt: InspectedJwt, keySet: KeySet): Promise<'ok' | 'bad_signature' | 'bad_key' | undefined> {
  try {
    return await verifySignature(token, jwt.alg, jwt.kid, keySet);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return undefined;
    throw err;
  }
}

function scopesOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  const scopes = new Set<string>();
  if (typeof claims.scope === 'string') for (const s of claims.scope.split(' ')) if (s !== '') scopes.add(s);
  const scp = claims.scp;
  if (typeof scp === 'string') for (const s of scp.split(' ')) if (s !== '') scopes.add(s);
  if (Array.isArray(scp)) for (const s of scp) if (typeof s === 'string' && s !== '') scopes.add(s);
  return Object.freeze([...scopes]);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Each verification's own mark (a serial, unique in the process) for the decision cache's key: a
 * token-cache hit returns the same object, so the same mark. It was a SHA-256 of the token, ~6 µs
 * of every new token's check; a serial cannot collide either, and a token verified anew (after
 * its cache entry went) only misses decisions cached for the old object.
 */
let verifications = 0;

function nextFingerprint(): string {
  verifications++;
  return verifications.toString(36);
}

function verifiedToken(jwt: InspectedJwt): VerifiedToken {
  return Object.freeze({
    issuer: jwt.issuer.name, iss: jwt.issuer.issuer, sub: jwt.sub, jti: jwt.jti, kid: jwt.kid,
    aud: Object.freeze([...jwt.aud]), scopes: scopesOf(jwt.claims), exp: jwt.exp, iat: jwt.iat,
    claims: deepFreeze(jwt.claims), svid: jwt.svid, fingerprint: nextFingerprint(),
  });
}

/** Verify the signature and claims of an already inspected token. Never rejects. */
export async function verifyJwt(
  token: string, jwt: InspectedJwt, audience: string, source: KeySource, nowMs: number, keyWaitMs: number,
): Promise<Verification> {
  try {
    const keySet = await keySetFor(source, jwt.kid, keyWaitMs);
    if (typeof keySet === 'string') return fail(keySet);
    const options: JWTVerifyOptions = {
      issuer: jwt.issuer.issuer, audience, algorithms: [jwt.alg], clockTolerance: jwt.issuer.clockSkewSec,
      currentDate: new Date(nowMs), requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
    };
    const checked = signsHere(jwt.alg) ? await signedHere(token, jwt, keySet) : undefined;
    // jose's path (other algorithms, or several keys for a kid-less token) re-checks the claims too.
    if (checked === undefined) await verifyWith(token, keySet, options);
    else if (checked !== 'ok') return fail(checked);
    return { ok: true, token: verifiedToken(jwt), keySet };
  } catch (err) {
    return fail(detailOfJoseError(err));
  }
}
