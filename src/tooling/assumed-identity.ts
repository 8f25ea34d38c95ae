// Identity for offline evaluation with token claims taken as already verified (`tollgate test`
// cases, `explain --assume-verified`, audit-line replays): the peer comes from the real
// identifier, the bearer header is still checked for shape, and the claims become the verified
// token exactly as the policy engine's PolicyTest conversion builds it. Never used by the server.

import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Request } from '../decision/types.js';
import { extractBearer } from '../identity/bearer.js';
import type { Identity, IdentityFailure, VerifiedToken } from '../identity/types.js';
import { identityFromCase } from '../policy/test-cases.js';
import type { PolicyTestCase } from '../policy/test-files.js';
import type { CompiledService, TrustConfig } from '../policy/types.js';
import type { IdentitySource } from '../server/check-handler.js';

/** `issuer` (a trust.yaml issuer name) plus the token's claims. */
export type AssumedClaims = Readonly<Record<string, unknown>>;

function withoutAuthorization(request: Request): Request {
  if (!request.headers.has('authorization')) return request;
  const headers = new Map(request.headers);
  headers.delete('authorization');
  return { ...request, headers };
}

/** The verified token the claims stand for, built by the same code the policy tests use. */
export function tokenFromClaims(claims: AssumedClaims, trust: TrustConfig, audience: string): { token?: VerifiedToken; failure?: IdentityFailure } {
  const probe: PolicyTestCase = {
    name: '',
    position: { file: '', line: 0, col: 0 },
    request: { kind: 'grpc', grpcMethod: '' },
    caller: { spiffe: undefined, token: claims },
    expect: { verdict: 'allow', reason: undefined, rule: undefined },
  };
  const id = identityFromCase(probe, trust, audience);
  return { token: id.token, failure: id.tokenFailure };
}

/** Identifies the peer with `base`, then stands the claims in for the bearer token. */
export function assumingClaims(base: IdentitySource, claims: AssumedClaims | undefined): IdentitySource {
  if (claims === undefined) return base;
  return {
    async identify(request: Request, service: CompiledService | undefined, trust: TrustConfig): Promise<Identity> {
      const peer = await base.identify(withoutAuthorization(request), service, trust);
      const bearer = extractBearer(request);
      if (bearer.kind === 'failure') return { ...peer, token: undefined, tokenFailure: bearer.failure, tokenPresented: true };
      const { token, failure } = tokenFromClaims(claims, trust, service?.audience ?? '');
      return { ...peer, token, tokenFailure: failure, tokenPresented: true };
    },
  };
}

/**
 * The claims of a JWT read without verifying it, `issuer` set to the configured issuer whose `iss`
 * it names (else to the raw `iss`, which then fails as an unknown issuer). Throws on a non-JWT.
 */
export function claimsFromJwt(jwt: string, trust: TrustConfig): AssumedClaims {
  const token = jwt.replace(/^bearer\s+/i, '').trim();
  const payload = decodeJwt(token);
  const header = decodeProtectedHeader(token);
  const iss = typeof payload.iss === 'string' ? payload.iss : '';
  const issuer = trust.issuersByIss.get(iss)?.name ?? iss;
  return Object.freeze({ ...payload, ...(typeof header.kid === 'string' ? { kid: header.kid } : {}), issuer });
}
