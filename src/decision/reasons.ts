// The closed catalog of decision reason codes (product.md §3): HTTP status, gRPC code and meaning.
// Logs, metrics, response bodies and docs/reasons.md all use exactly these strings; nothing else does.

export const GRPC_OK = 0;
export const GRPC_PERMISSION_DENIED = 7;
export const GRPC_UNAUTHENTICATED = 16;

export interface ReasonInfo {
  readonly http: 401 | 403;
  readonly grpc: typeof GRPC_PERMISSION_DENIED | typeof GRPC_UNAUTHENTICATED;
  readonly meaning: string;
}

export const DENY_REASONS = Object.freeze({
  no_credentials: { http: 401, grpc: GRPC_UNAUTHENTICATED, meaning: 'The request carried neither a peer identity nor a bearer token.' },
  invalid_token: { http: 401, grpc: GRPC_UNAUTHENTICATED, meaning: 'A bearer token was presented and failed verification (or was malformed, oversized, duplicated or in the query string).' },
  missing_credential: { http: 401, grpc: GRPC_UNAUTHENTICATED, meaning: "A matching rule's `require` (mtls and/or token) was not met and no rule allowed." },
  invalid_spiffe_id: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'The peer identity is not a valid SPIFFE ID for a workload.' },
  invalid_peer_identity: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'The peer certificate is unusable (unparseable, expired, not exactly one SPIFFE URI SAN) or disagrees with the principal.' },
  untrusted_domain: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'The SPIFFE ID (peer or JWT-SVID subject) belongs to a trust domain that is not configured.' },
  revoked: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'A credential (SPIFFE ID, token jti or key id) is listed as revoked in trust.yaml.' },
  explicit_deny: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: "A `deny` entry of a matching rule holds for the caller." },
  not_allowed: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'Rules match the request, but none of their allow entries holds for the caller.' },
  no_rule: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: "No rule of the service's policy selects this method and path." },
  no_policy: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'No service policy could be selected for the request.' },
  ambiguous_path: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'The path could be read two ways (encoded slash or backslash, dot segment, empty segment, path parameter, encoded percent, NUL).' },
  malformed_request: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'The CheckRequest lacks what a decision needs (no attributes, no HTTP request, no method or path) or is garbled.' },
  internal_error: { http: 403, grpc: GRPC_PERMISSION_DENIED, meaning: 'An unexpected error happened while deciding; tollgate fails closed.' },
} as const satisfies Record<string, ReasonInfo>);

export type DenyReason = keyof typeof DENY_REASONS;
/** The reason of a decision: `allow`, or why it was (or, in dry-run, would have been) denied. */
export type Reason = 'allow' | DenyReason;

export const DENY_REASON_CODES: readonly DenyReason[] = Object.freeze(Object.keys(DENY_REASONS) as DenyReason[]);

export function isDenyReason(value: string): value is DenyReason {
  return Object.prototype.hasOwnProperty.call(DENY_REASONS, value);
}

/** Reasons that dry-run mode never turns into a shadow deny: they are not about who the caller is. */
export const NEVER_SHADOWED: ReadonlySet<DenyReason> = new Set<DenyReason>([
  'no_policy',
  'revoked',
  'ambiguous_path',
  'malformed_request',
  'internal_error',
]);
