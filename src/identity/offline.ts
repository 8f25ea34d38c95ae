// One-shot token verification outside the server, for `tollgate explain --token`: the same checks
// as a live check (inspect, then signature against the issuer's configured key set, loaded once
// from its file or URL), without caches or background refresh.

import type { TrustConfig } from '../policy/types.js';
import { inspectJwt } from './jwt-inspect.js';
import { verifyJwt } from './jwt.js';
import { KeySource, type IdentityLogger } from './jwks.js';
import type { IdentityFailure, VerifiedToken } from './types.js';

export interface OfflineVerification {
  readonly token: VerifiedToken | undefined;
  readonly failure: IdentityFailure | undefined;
}

export interface OfflineOptions {
  readonly now?: (() => number) | undefined;
  readonly logger?: IdentityLogger | undefined;
}

/** Verify `jwt` (the bare token, or `Bearer <token>`) for `audience`. Never rejects. */
export async function verifyTokenOffline(
  jwt: string, trust: TrustConfig, audience: string, options: OfflineOptions = {},
): Promise<OfflineVerification> {
  const now = options.now ?? Date.now;
  const token = /^bearer\s+/i.test(jwt) ? jwt.replace(/^bearer\s+/i, '') : jwt.trim();
  const inspected = inspectJwt(token, trust, audience, now());
  if (!inspected.ok) return { token: undefined, failure: inspected.failure };
  const source = new KeySource(inspected.jwt.issuer, { now, logger: options.logger });
  try {
    await source.start();
    // The key set was just loaded: a kid it lacks is unknown, no refetch is worth waiting for.
    const verified = await verifyJwt(token, inspected.jwt, audience, source, now(), 0);
    return verified.ok ? { token: verified.token, failure: undefined } : { token: undefined, failure: verified.failure };
  } finally {
    source.close();
  }
}
