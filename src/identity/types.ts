// The caller's identity as established at request time: a verified SPIFFE ID from mTLS and/or a
// verified bearer token, or the failure that makes the request deny. Produced by
// src/identity/identify.ts; read by the pure decision core.

import type { DenyReason } from '../decision/reasons.js';

/** `jwt-svid`: the SPIFFE ID in a verified JWT-SVID's `sub` (VerifiedToken.svid), not an mTLS peer. */
export type PeerSource = 'principal' | 'certificate' | 'xfcc' | 'jwt-svid';

export interface PeerIdentity {
  /** The full, valid SPIFFE ID, e.g. spiffe://example.org/ns/billing/sa/reporter */
  readonly spiffeId: string;
  readonly trustDomain: string;
  /** The path part, starting with '/'. */
  readonly path: string;
  readonly source: PeerSource;
}

export interface VerifiedToken {
  /** Name of the configured issuer in trust.yaml (e.g. `corp-idp`). */
  readonly issuer: string;
  readonly iss: string;
  readonly sub: string;
  readonly jti: string | undefined;
  readonly kid: string | undefined;
  readonly aud: readonly string[];
  readonly scopes: readonly string[];
  /** Seconds since the epoch. */
  readonly exp: number;
  readonly iat: number | undefined;
  /** All claims of the payload (for `claims:` entries); never logged wholesale. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** For JWT-SVID issuers: the SPIFFE ID in `sub`, which is the caller's identity. */
  readonly svid: PeerIdentity | undefined;
  /** This verification's mark in the decision cache's key (jwt.ts): unique in the process, never the token. */
  readonly fingerprint: string;
}

export interface IdentityFailure {
  readonly reason: Extract<
    DenyReason,
    'invalid_token' | 'invalid_spiffe_id' | 'invalid_peer_identity' | 'untrusted_domain' | 'malformed_request' | 'revoked'
  >;
  /** Finer cause, e.g. `token_expired`, `alg_not_allowed`, `two_uri_sans`. */
  readonly detail: string;
}

export interface Identity {
  readonly peer: PeerIdentity | undefined;
  readonly token: VerifiedToken | undefined;
  /** A presented peer credential that could not be established. */
  readonly peerFailure: IdentityFailure | undefined;
  /** A presented bearer token that failed verification (always denies: policy-format §6). */
  readonly tokenFailure: IdentityFailure | undefined;
  /** Whether an `authorization` header (or other token carrier) was presented at all. */
  readonly tokenPresented: boolean;
}

export const NO_IDENTITY: Identity = Object.freeze({
  peer: undefined,
  token: undefined,
  peerFailure: undefined,
  tokenFailure: undefined,
  tokenPresented: false,
});
