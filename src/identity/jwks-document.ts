// A JWKS or SPIFFE bundle document → an immutable, ready key set: only public signature keys
// survive (SPIFFE `use: jwt-svid` keys are kept for JWT-SVID issuers and relabelled so jose accepts
// them), and every key is imported once here, never per verification. No I/O (jwks.ts fetches).

import { createLocalJWKSet, type JWK } from 'jose';

/** Key sets are small; anything larger is a misconfiguration or an attack on the fetcher. */
export const MAX_JWKS_BYTES = 1024 * 1024;
export const MAX_KEYS = 256;

export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export interface KeySet {
  readonly resolve: KeyResolver;
  /** The `kid`s present, to tell an unknown key id (worth a refetch) from a bad signature. */
  readonly kids: ReadonlySet<string>;
  readonly size: number;
}

export type KeySetParse =
  | { readonly ok: true; readonly keySet: KeySet; readonly keys: readonly JWK[]; readonly skipped: number }
  | { readonly ok: false; readonly error: string };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The key as jose should see it, or undefined to drop it: symmetric keys, private keys and keys
 * for other uses (encryption, x509-svid) never verify a token.
 */
function usableKey(key: unknown, svid: boolean): JWK | undefined {
  if (!isObject(key) || typeof key.kty !== 'string' || key.kty === 'oct') return undefined;
  for (const member of PRIVATE_MEMBERS) if (key[member] !== undefined) return undefined;
  if (key.use === undefined || key.use === 'sig') return key as JWK;
  if (svid && key.use === 'jwt-svid') {
    // jose only takes keys whose `use` is absent or `sig`.
    const { use: _use, ...rest } = key;
    return rest as JWK;
  }
  return undefined;
}

/** The algorithm a key is first used with, to import it ahead of the first token. */
function likelyAlg(key: JWK): string | undefined {
  if (typeof key.alg === 'string') return key.alg;
  if (key.kty === 'RSA') return 'RS256';
  if (key.kty === 'EC') return key.crv === 'P-384' ? 'ES384' : key.crv === 'P-521' ? 'ES512' : 'ES256';
  if (key.kty === 'OKP') return 'EdDSA';
  return undefined;
}

export function parseKeySet(text: string, svid: boolean): KeySetParse {
  if (text.length > MAX_JWKS_BYTES) return { ok: false, error: 'key set too large' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(doc) || !Array.isArray(doc.keys)) return { ok: false, error: 'no "keys" array' };
  if (doc.keys.length > MAX_KEYS) return { ok: false, error: `more than ${MAX_KEYS} keys` };
  const keys: JWK[] = [];
  for (const key of doc.keys) {
    const usable = usableKey(key, svid);
    if (usable !== undefined) keys.push(usable);
  }
  const kids = new Set<string>();
  for (const key of keys) if (typeof key.kid === 'string') kids.add(key.kid);
  try {
    const resolve = createLocalJWKSet({ keys });
    return { ok: true, keySet: Object.freeze({ resolve, kids, size: keys.length }), keys, skipped: doc.keys.length - keys.length };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : 'malformed key set' };
  }
}

/**
 * Import every key once (jose caches the imported key per key and algorithm). Returns how many
 * keys could not be imported; such keys stay in the set and fail their tokens as `bad_key`.
 */
export async function warmKeySet(keySet: KeySet, keys: readonly JWK[]): Promise<number> {
  let bad = 0;
  for (const key of keys) {
    const alg = likelyAlg(key);
    if (alg === undefined) continue;
    try {
      await keySet.resolve({ alg, kid: key.kid }, { payload: '', signature: '' });
    } catch (err) {
      // Several keys sharing one kid make the look-up ambiguous, not the key bad.
      if ((err as { code?: string }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') bad++;
    }
  }
  return bad;
}
