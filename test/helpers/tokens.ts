// Test tokens and key sets: key generation, `signToken({...})` with jose (any header, any claims,
// even a raw payload string), JWKS documents and SPIFFE bundles, plus builders of the trust
// config, service and Request that identify() takes. Everything here is real crypto.

import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Request } from '../../src/decision/types.js';
import type { Metrics } from '../../src/observability/metrics.js';
import type { CompiledService, IssuerConfig, TrustConfig } from '../../src/policy/types.js';

export interface TestKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Public JWK with kid (and alg unless `withoutAlg`). */
  readonly jwk: JWK;
  /** SubjectPublicKeyInfo PEM of the public key (for the HS256-with-the-public-key attack). */
  readonly spkiPem: string;
}

let counter = 0;

export async function generateKey(alg = 'ES256', options: { kid?: string; withoutAlg?: boolean } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = options.kid ?? `key-${++counter}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, ...(options.withoutAlg === true ? {} : { alg }) };
  return { alg, kid, privateKey, publicKey, jwk, spkiPem: await exportSPKI(publicKey) };
}

/** A JWKS document of the keys' public halves; `extra` members are merged into every key. */
export function jwks(keys: readonly TestKey[], extra: Record<string, unknown> = {}): { keys: JWK[] } {
  return { keys: keys.map((k) => ({ ...k.jwk, ...extra })) };
}

/** A SPIFFE trust bundle: JWT-SVID keys carry `use: jwt-svid` (and one x509-svid entry, ignored). */
export function spiffeBundle(keys: readonly TestKey[]): Record<string, unknown> {
  return {
    keys: [
      ...keys.map((k) => ({ ...k.jwk, use: 'jwt-svid' })),
      { kty: 'EC', crv: 'P-256', use: 'x509-svid', x: keys[0]?.jwk.x, y: keys[0]?.jwk.y, x5c: ['AAAA'] },
    ],
    spiffe_sequence: 7,
    spiffe_refresh_hint: 300,
  };
}

export interface ClaimOptions {
  readonly iss: string;
  readonly aud?: string | string[];
  readonly sub?: string;
  /** Epoch seconds; default: now. */
  readonly now?: number;
  /** Seconds from iat to exp; default 600. */
  readonly lifetime?: number;
}

/** A well-formed claim set: iss, sub, aud, iat, exp, jti. */
export function claims(options: ClaimOptions): Record<string, unknown> {
  const iat = options.now ?? Math.floor(Date.now() / 1000);
  return {
    iss: options.iss, sub: options.sub ?? 'svc-reporting', aud: options.aud ?? 'payments', iat,
    exp: iat + (options.lifetime ?? 600), jti: `jti-${++counter}`,
  };
}

export interface SignOptions {
  /** The signing key; its alg and kid fill the header unless `header` overrides them. */
  readonly key: TestKey;
  /** Header members merged over `{ alg, kid, typ: 'JWT' }`; `undefined` values remove a member. */
  readonly header?: Record<string, unknown>;
  readonly claims?: Record<string, unknown>;
  /** A raw payload string instead of JSON claims (for non-JSON and non-finite-number payloads). */
  readonly payload?: string;
  /** Sign with these raw bytes as an HMAC secret (HS256 attacks) instead of the private key. */
  readonly secret?: Uint8Array;
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export async function signToken(options: SignOptions): Promise<string> {
  const merged: Record<string, unknown> = { alg: options.key.alg, kid: options.key.kid, typ: 'JWT', ...options.header };
  const header = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  const payload = options.payload ?? JSON.stringify(options.claims ?? {});
  if (header.alg === 'none') return `${b64url(JSON.stringify(header))}.${b64url(payload)}.`;
  const crit = Array.isArray(header.crit) ? Object.fromEntries((header.crit as string[]).map((c) => [c, true])) : undefined;
  const signer = new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header as { alg: string });
  return signer.sign(options.secret ?? options.key.privateKey, crit === undefined ? undefined : { crit });
}

// ---- Builders of the inputs identify() takes (what the policy engine and the decoder produce) ----

export interface IssuerSpec {
  readonly name: string;
  readonly issuer?: string;
  readonly svid?: boolean;
  readonly file?: string;
  readonly url?: string;
  readonly algorithms?: readonly string[];
  readonly maxLifetimeSec?: number;
  readonly clockSkewSec?: number;
  readonly refreshMs?: number;
  readonly cooldownMs?: number;
  readonly timeoutMs?: number;
}

export function testIssuer(spec: IssuerSpec): IssuerConfig {
  return Object.freeze({
    name: spec.name,
    issuer: spec.issuer ?? `https://${spec.name}.example.org`,
    svid: spec.svid ?? false,
    jwks: Object.freeze({
      file: spec.file, url: spec.url, refreshMs: spec.refreshMs ?? 300_000,
      cooldownMs: spec.cooldownMs ?? 30_000, timeoutMs: spec.timeoutMs ?? 2_000,
    }),
    algorithms: Object.freeze([...(spec.algorithms ?? ['ES256', 'RS256', 'PS256', 'EdDSA'])]),
    maxLifetimeSec: spec.maxLifetimeSec ?? 3600,
    clockSkewSec: spec.clockSkewSec ?? 30,
  });
}

export function testTrust(options: { issuers?: readonly IssuerConfig[]; trustDomains?: readonly string[]; trustXfcc?: boolean } = {}): TrustConfig {
  const issuers = options.issuers ?? [];
  return Object.freeze({
    trustDomains: new Set(options.trustDomains ?? ['example.org']),
    trustXfcc: options.trustXfcc ?? false,
    issuers: new Map(issuers.map((i) => [i.name, i])),
    issuersByIss: new Map(issuers.map((i) => [i.issuer, i])),
    revoked: { spiffeIds: new Set<string>(), tokenIds: new Set<string>(), keyIds: new Set<string>() },
  });
}

export function testService(audience = 'payments'): CompiledService {
  return Object.freeze({
    name: audience, spiffeId: undefined, audience, mode: 'enforce', forwardToken: true,
    position: { file: 'payments.yaml', line: 1, col: 1 }, rules: [],
  });
}

export interface RequestSpec {
  readonly headers?: Record<string, string>;
  readonly principal?: string;
  readonly certificate?: string;
  readonly queryKeys?: readonly string[];
}

/** An internal Request as src/ext-authz/decode.ts produces it. */
export function identityRequest(spec: RequestSpec = {}): Request {
  return {
    method: 'GET', path: '/v1/ledger', rawPath: '/v1/ledger', hasQuery: (spec.queryKeys ?? []).length > 0,
    queryKeys: spec.queryKeys ?? [], host: 'payments', headers: new Map(Object.entries(spec.headers ?? {})),
    grpcMethod: undefined, sourcePrincipal: spec.principal ?? '', sourceCertificate: spec.certificate ?? '',
    sourceAddress: '10.0.0.1:4000', destinationPrincipal: '', contextExtensions: new Map(), requestId: '',
    problem: undefined,
  };
}

export function bearer(token: string): RequestSpec {
  return { headers: { authorization: `Bearer ${token}` } };
}

export interface RecordingMetrics {
  readonly metrics: Metrics;
  /** Token cache results in order ('hit' | 'miss'). */
  readonly cache: string[];
  /** Key set load results in order, as `issuer:result`. */
  readonly refreshes: string[];
  /** Resolves with the result of the next key set load of `issuer` (an event, not a sleep). */
  refreshed(issuer: string): Promise<string>;
}

/** A Metrics stand-in that records what identity reports. */
export function recordingMetrics(): RecordingMetrics {
  const cache: string[] = [];
  const refreshes: string[] = [];
  let waiters: { issuer: string; resolve: (r: string) => void }[] = [];
  const metrics = {
    cacheRequest: (_c: string, r: string) => cache.push(r),
    jwksRefresh: (issuer: string, result: string) => {
      refreshes.push(`${issuer}:${result}`);
      const due = waiters.filter((w) => w.issuer === issuer);
      waiters = waiters.filter((w) => w.issuer !== issuer);
      for (const w of due) w.resolve(result);
    },
    jwksAge: () => undefined,
  } as unknown as Metrics;
  return { metrics, cache, refreshes, refreshed: (issuer) => new Promise((resolve) => waiters.push({ issuer, resolve })) };
}
