// Everything about a JWT that can be refused before any cryptography: shape, header parameters,
// issuer, algorithm, dates, audience, subject (product.md §2). Cheap, synchronous, allocation-light.
// It proves nothing: jwt.ts verifies the signature (and lets jose re-check the claims) afterwards.

import type { IssuerConfig, TrustConfig } from '../policy/types.js';
import { tokenFailure, type TokenFailureDetail } from './failures.js';
import { workloadIdentity } from './peer.js';
import type { IdentityFailure, PeerIdentity } from './types.js';

/** Signature algorithms with a public verification key; HS* and none can never appear. */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
  'ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87',
]);
/** JWT-SVID §3: RS, ES and PS only. */
export const SVID_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);

export interface InspectedJwt {
  readonly issuer: IssuerConfig;
  readonly alg: string;
  readonly kid: string | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string | undefined;
  readonly svid: PeerIdentity | undefined;
}

export type Inspection = { readonly ok: true; readonly jwt: InspectedJwt } | { readonly ok: false; readonly failure: IdentityFailure };

type Json = Record<string, unknown>;

function fail(detail: TokenFailureDetail): Inspection {
  return { ok: false, failure: tokenFailure(detail) };
}

const B64URL = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') B64URL[c.charCodeAt(0)] = 1;

function isB64Url(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64URL[c] !== 1) return false;
  }
  return true;
}

function decodeObject(segment: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Header parameters that point at keys or demand extensions: never followed, never honoured. */
function headerProblem(header: Json): TokenFailureDetail | undefined {
  if (header.crit !== undefined) return 'crit_header';
  if (header.jku !== undefined) return 'jku_header';
  if (header.x5u !== undefined) return 'x5u_header';
  if (header.jwk !== undefined) return 'jwk_header';
  if (header.x5c !== undefined) return 'x5c_header';
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || (typ.toUpperCase() !== 'JWT' && typ.toUpperCase() !== 'JOSE'))) return 'bad_typ';
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length === 0)) return 'malformed_header';
  const alg = header.alg;
  if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.has(alg)) return 'alg_not_allowed';
  return undefined;
}

function isDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** exp/iat required, nbf optional; all finite numbers; checked against the clock with the skew. */
function datesProblem(claims: Json, issuer: IssuerConfig, nowSec: number): TokenFailureDetail | undefined {
  const { exp, iat, nbf } = claims;
  if (exp === undefined) return 'missing_exp';
  if (iat === undefined) return 'missing_iat';
  if (!isDate(exp) || !isDate(iat) || (nbf !== undefined && !isDate(nbf))) return 'invalid_numeric_date';
  const skew = issuer.clockSkewSec;
  if (exp <= nowSec - skew) return 'token_expired';
  if (nbf !== undefined && nbf > nowSec + skew) return 'token_not_yet_valid';
  if (iat > nowSec + skew) return 'iat_in_future';
  if (exp - iat > issuer.maxLifetimeSec) return 'lifetime_too_long';
  return undefined;
}

function audiences(aud: unknown): readonly string[] | undefined {
  if (typeof aud === 'string') return aud.length > 0 ? [aud] : undefined;
  if (!Array.isArray(aud) || aud.length === 0) return undefined;
  for (const a of aud) if (typeof a !== 'string' || a.length === 0) return undefined;
  return aud as string[];
}

function algAllowed(issuer: IssuerConfig, alg: string): boolean {
  return issuer.algorithms.includes(alg) && (!issuer.svid || SVID_ALGORITHMS.has(alg));
}

type Parsed = { readonly header: Json; readonly claims: Json } | TokenFailureDetail;

/** Three base64url segments whose first two are JSON objects; five segments is a JWE. */
function parseCompact(token: string): Parsed {
  const d1 = token.indexOf('.');
  const d2 = d1 === -1 ? -1 : token.indexOf('.', d1 + 1);
  if (d2 !== -1 && token.indexOf('.', d2 + 1) !== -1) return token.split('.').length === 5 ? 'jwe_not_supported' : 'malformed_token';
  if (d2 === -1 || !isB64Url(token, 0, d1) || !isB64Url(token, d1 + 1, d2)) return 'malformed_token';
  const header = decodeObject(token.slice(0, d1));
  if (header === undefined) return 'malformed_header';
  const claims = decodeObject(token.slice(d1 + 1, d2));
  if (claims === undefined) return 'malformed_payload';
  const problem = headerProblem(header);
  if (problem !== undefined) return problem;
  // After the header checks, so `alg: none` with its empty signature reports the algorithm.
  if (!isB64Url(token, d2 + 1, token.length)) return 'malformed_token';
  return { header, claims };
}

type Subject = { readonly aud: readonly string[]; readonly svid: PeerIdentity | undefined } | TokenFailureDetail;

/** Audience, subject, jti and — for JWT-SVID issuers — the SPIFFE ID in `sub`. */
function subjectOf(claims: Json, issuer: IssuerConfig, audience: string, trust: TrustConfig): Subject {
  if (claims.aud === undefined) return 'missing_aud';
  const aud = audiences(claims.aud);
  if (aud === undefined) return 'invalid_aud';
  if (!aud.includes(audience)) return 'wrong_aud';
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) return 'missing_sub';
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return 'invalid_claim';
  if (!issuer.svid) return { aud, svid: undefined };
  const id = workloadIdentity(claims.sub, 'jwt-svid', trust);
  if (id.peer === undefined) return id.failure?.reason === 'untrusted_domain' ? 'svid_untrusted_domain' : 'svid_invalid_sub';
  return { aud, svid: id.peer };
}

/** Inspect a compact JWT for `audience` against the configured issuers, at time `nowMs`. */
export function inspectJwt(token: string, trust: TrustConfig, audience: string, nowMs: number): Inspection {
  const parsed = parseCompact(token);
  if (typeof parsed === 'string') return fail(parsed);
  const { header, claims } = parsed;
  if (typeof claims.iss !== 'string' || claims.iss.length === 0) return fail('missing_iss');
  const issuer = trust.issuersByIss.get(claims.iss);
  if (issuer === undefined) return fail('unknown_issuer');
  const alg = header.alg as string;
  if (!algAllowed(issuer, alg)) return fail('alg_not_allowed');
  const kid = header.kid as string | undefined;
  if (issuer.svid && kid === undefined) return fail('missing_kid');
  const dates = datesProblem(claims, issuer, Math.floor(nowMs / 1000));
  if (dates !== undefined) return fail(dates);
  const subject = subjectOf(claims, issuer, audience, trust);
  if (typeof subject === 'string') return fail(subject);
  const jwt: InspectedJwt = {
    issuer, alg, kid, claims, sub: claims.sub as string, aud: subject.aud, exp: claims.exp as number,
    iat: claims.iat as number, jti: claims.jti as string | undefined, svid: subject.svid,
  };
  return { ok: true, jwt };
}
