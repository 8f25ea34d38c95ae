// Turns a PolicyTest case into the Request and Identity the decision core takes, treating the
// case's token claims as already verified (policy-format.md "PolicyTest"). Used by `tollgate
// test` and the policy tests; it verifies nothing and is never on the request path.

import { buildCheckRequest } from '../ext-authz/build.js';
import { decodeCheckRequest } from '../ext-authz/decode.js';
import { createHash } from 'node:crypto';
import type { Request } from '../decision/types.js';
import { parseSpiffeId } from '../identity/spiffe.js';
import type { Identity, IdentityFailure, PeerIdentity, VerifiedToken } from '../identity/types.js';
import type { PolicyTestCase } from './test-files.js';
import type { TrustConfig } from './types.js';


/** A decoded request for the case, addressed to `service` through context_extensions. */
export function requestFromCase(c: PolicyTestCase, service: string): Request {
  // Through the server's own decoder, so a test case sees exactly the path rules a Check does.
  const principal = c.caller.spiffe;
  const wire = c.request.kind === 'http'
    ? buildCheckRequest({ http: `${c.request.method} ${c.request.path}`, service, principal })
    : buildCheckRequest({ grpc: c.request.grpcMethod, service, principal });
  return decodeCheckRequest(wire);
}

/** The caller as the identity layer would have established it (`audience`: the service's). */
export function identityFromCase(c: PolicyTestCase, trust: TrustConfig, audience: string): Identity {
  const peer = c.caller.spiffe === undefined ? undefined : peerOf(c.caller.spiffe, trust);
  const token = c.caller.token === undefined ? undefined : tokenOf(c.caller.token, trust, audience);
  return {
    peer: peer !== undefined && 'spiffeId' in peer ? peer : undefined,
    peerFailure: peer !== undefined && 'reason' in peer ? peer : undefined,
    token: token !== undefined && 'fingerprint' in token ? token : undefined,
    tokenFailure: token !== undefined && 'reason' in token ? token : undefined,
    tokenPresented: token !== undefined,
  };
}

function spiffeOf(id: string, trust: TrustConfig, source: PeerIdentity['source']): PeerIdentity | IdentityFailure {
  const parsed = parseSpiffeId(id);
  if (!parsed.ok || parsed.id.path === '') return { reason: 'invalid_spiffe_id', detail: parsed.ok ? 'no_path' : parsed.error };
  if (!trust.trustDomains.has(parsed.id.trustDomain)) return { reason: 'untrusted_domain', detail: parsed.id.trustDomain };
  return { spiffeId: parsed.id.value, trustDomain: parsed.id.trustDomain, path: parsed.id.path, source };
}

function peerOf(id: string, trust: TrustConfig): PeerIdentity | IdentityFailure {
  return spiffeOf(id, trust, 'principal');
}

function tokenOf(claims: Readonly<Record<string, unknown>>, trust: TrustConfig, audience: string): VerifiedToken | IdentityFailure {
  const name = String(claims['issuer']);
  const issuer = trust.issuers.get(name);
  if (issuer === undefined) return { reason: 'invalid_token', detail: 'unknown_issuer' };
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : '';
  let svid: PeerIdentity | undefined;
  if (issuer.svid) {
    const parsed = spiffeOf(sub, trust, 'principal');
    if ('reason' in parsed) return parsed.reason === 'untrusted_domain' ? parsed : { reason: 'invalid_token', detail: 'svid_subject' };
    svid = parsed;
  }
  const aud = claims['aud'];
  const { issuer: _name, ...payload } = claims;
  return {
    issuer: name,
    iss: issuer.issuer,
    sub,
    jti: typeof claims['jti'] === 'string' ? claims['jti'] : undefined,
    kid: typeof claims['kid'] === 'string' ? claims['kid'] : undefined,
    aud: typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(String) : [audience],
    scopes: scopesOf(claims),
    exp: typeof claims['exp'] === 'number' ? claims['exp'] : Number.MAX_SAFE_INTEGER,
    iat: typeof claims['iat'] === 'number' ? claims['iat'] : undefined,
    claims: payload,
    svid,
    fingerprint: createHash('sha256').update(JSON.stringify(claims)).digest('hex').slice(0, 16),
  };
}

/** `scope` (space-separated string) and `scp` (array), as the identity layer reads them. */
function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const scope = claims['scope'];
  if (typeof scope === 'string') out.push(...scope.split(' ').filter((s) => s !== ''));
  const scp = claims['scp'];
  if (Array.isArray(scp)) out.push(...scp.filter((s): s is string => typeof s === 'string'));
  return out;
}
