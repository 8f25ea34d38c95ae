// The closed sets of identity failure details (the `detail` beside a reason code) and the frozen
// failure values built from them. Details go to the audit log and explain, never to metrics labels
// or response bodies. docs/identity.md tables them; no logic lives here.

import type { IdentityFailure } from './types.js';

/** Why a presented bearer token was refused (reason `invalid_token`, or `untrusted_domain` for the last). */
export const TOKEN_FAILURE_DETAILS = [
  'token_in_query', 'multiple_authorization', 'unsupported_scheme', 'empty_token', 'multiple_tokens',
  'token_too_large', 'malformed_token', 'jwe_not_supported', 'malformed_header', 'malformed_payload',
  'alg_not_allowed', 'crit_header', 'jku_header', 'x5u_header', 'jwk_header', 'x5c_header', 'bad_typ',
  'missing_iss', 'unknown_issuer', 'missing_exp', 'missing_iat', 'invalid_numeric_date', 'token_expired',
  'token_not_yet_valid', 'iat_in_future', 'lifetime_too_long', 'missing_aud', 'invalid_aud', 'wrong_aud',
  'missing_sub', 'invalid_claim', 'missing_kid', 'unknown_kid', 'no_matching_key', 'no_keys', 'bad_key',
  'bad_signature', 'svid_invalid_sub', 'verification_error', 'svid_untrusted_domain',
] as const;
export type TokenFailureDetail = (typeof TOKEN_FAILURE_DETAILS)[number];

/** Why a presented peer identity was refused; the reason is given beside it (see peer.ts). */
export const PEER_FAILURE_DETAILS = [
  // invalid_peer_identity
  'cert_too_large', 'cert_encoding', 'cert_unparseable', 'san_malformed', 'no_uri_san', 'multiple_uri_sans',
  'uri_san_not_spiffe', 'ca_certificate', 'cert_expired', 'cert_not_yet_valid', 'principal_mismatch',
  'xfcc_too_large', 'xfcc_malformed', 'xfcc_no_uri', 'xfcc_multiple_uris', 'peer_error',
  // invalid_spiffe_id: a trust-domain ID without a path, or the parser's code (spiffe.ts)
  'no_path', 'empty', 'too_long', 'scheme', 'empty_trust_domain', 'trust_domain_too_long',
  'bad_trust_domain_char', 'path_not_absolute', 'trailing_slash', 'empty_segment', 'dot_segment', 'bad_path_char',
  // untrusted_domain
  'not_in_trust_domains',
] as const;
export type PeerFailureDetail = (typeof PEER_FAILURE_DETAILS)[number];

const tokenFailures = new Map<string, IdentityFailure>();

/** The frozen failure for a token detail (one object per detail, so a deny allocates nothing). */
export function tokenFailure(detail: TokenFailureDetail): IdentityFailure {
  let failure = tokenFailures.get(detail);
  if (failure === undefined) {
    const reason = detail === 'svid_untrusted_domain' ? 'untrusted_domain' : 'invalid_token';
    failure = Object.freeze({ reason, detail });
    tokenFailures.set(detail, failure);
  }
  return failure;
}

const peerFailures = new Map<string, IdentityFailure>();

/** The frozen failure for a peer (reason, detail): one object each, so a repeated deny allocates nothing. */
export function peerFailure(reason: 'invalid_peer_identity' | 'invalid_spiffe_id' | 'untrusted_domain', detail: PeerFailureDetail): IdentityFailure {
  const key = `${reason}:${detail}`;
  let failure = peerFailures.get(key);
  if (failure === undefined) {
    failure = Object.freeze({ reason, detail });
    peerFailures.set(key, failure);
  }
  return failure;
}
