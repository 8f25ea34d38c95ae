// Compiles a validated Trust document into the frozen TrustConfig of the snapshot: durations in
// milliseconds/seconds, JWKS file paths resolved against the policy directory, revocation sets.
// Reading and checking the JWKS files is jwks-file.ts's job.

import path from 'node:path';
import { durationMs } from './duration.js';
import type { IssuerDoc, TrustDoc } from './schema.js';
import type { IssuerConfig, TrustConfig } from './types.js';

export const DEFAULT_JWKS_REFRESH = '5m';
export const DEFAULT_JWKS_COOLDOWN = '30s';
export const DEFAULT_JWKS_TIMEOUT = '2s';

export function compileTrust(doc: TrustDoc, dir: string): TrustConfig {
  const issuers = new Map<string, IssuerConfig>();
  const byIss = new Map<string, IssuerConfig>();
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    const compiled = compileIssuer(name, issuer, dir);
    issuers.set(name, compiled);
    byIss.set(compiled.issuer, compiled);
  }
  return Object.freeze({
    trustDomains: new Set(doc.trustDomains),
    trustXfcc: doc.trustXfcc,
    issuers,
    issuersByIss: byIss,
    revoked: Object.freeze({
      spiffeIds: new Set(doc.revoked.spiffeIds),
      tokenIds: new Set(doc.revoked.tokenIds),
      keyIds: new Set(doc.revoked.keyIds),
    }),
  });
}

function compileIssuer(name: string, doc: IssuerDoc, dir: string): IssuerConfig {
  return Object.freeze({
    name,
    issuer: doc.issuer,
    svid: doc.svid,
    jwks: Object.freeze({
      file: doc.jwks.file === undefined ? undefined : path.resolve(dir, doc.jwks.file),
      url: doc.jwks.url,
      refreshMs: durationMs(doc.jwks.refresh ?? DEFAULT_JWKS_REFRESH),
      cooldownMs: durationMs(doc.jwks.cooldown ?? DEFAULT_JWKS_COOLDOWN),
      timeoutMs: durationMs(doc.jwks.timeout ?? DEFAULT_JWKS_TIMEOUT),
    }),
    algorithms: Object.freeze([...doc.algorithms]),
    maxLifetimeSec: Math.floor(durationMs(doc.maxLifetime) / 1000),
    clockSkewSec: Math.floor(durationMs(doc.clockSkew) / 1000),
  });
}

/** A trust configuration that trusts nothing (the empty snapshot's). */
export const EMPTY_TRUST: TrustConfig = Object.freeze({
  trustDomains: new Set<string>(),
  trustXfcc: false,
  issuers: new Map<string, IssuerConfig>(),
  issuersByIss: new Map<string, IssuerConfig>(),
  revoked: Object.freeze({ spiffeIds: new Set<string>(), tokenIds: new Set<string>(), keyIds: new Set<string>() }),
});
