// Builds the fields of one audit line from a DecisionRecord (product.md §5). Picks fields one by
// one, so no header, cookie, query string, claim set or token can reach the log by accident.
// Serializing is pino's job; writing and dropping is audit.ts's.

import type { Request } from '../decision/types.js';
import type { Identity, VerifiedToken } from '../identity/types.js';
import type { DecisionRecord } from './record.js';

/** Longest request string (path, host, …) copied into a line; longer ones are cut and marked. */
export const MAX_FIELD_CHARS = 2048;
const CUT_MARK = '...[truncated]';

export interface AuditTokenFields {
  readonly issuer: string;
  readonly iss: string;
  readonly sub: string;
  readonly jti: string | null;
  readonly aud: readonly string[];
  readonly scopes: readonly string[];
  readonly exp: number;
}

export interface AuditRequestFields {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly grpc_method: string | null;
  readonly source_address: string;
  readonly source_principal: string;
  readonly destination_principal: string;
}

export interface AuditFields {
  readonly time: number;
  readonly decision_id: string;
  readonly service: string | null;
  readonly rule: string | null;
  readonly decision: string;
  readonly reason: string;
  readonly detail: string | null;
  readonly caller: {
    readonly spiffe_id: string | null;
    /** How the SPIFFE ID was established: principal | certificate | xfcc | jwt-svid. */
    readonly spiffe_source: string | null;
    readonly token: AuditTokenFields | null;
  };
  readonly request: AuditRequestFields | null;
  readonly cache: string;
  readonly latency_us: number;
  readonly policy_generation: number;
}

/** Absent values are null, not missing, so every line has the same keys. */
export function auditFields(rec: DecisionRecord): AuditFields {
  const d = rec.decision;
  return {
    time: rec.time,
    decision_id: rec.decisionId,
    service: d.service === '' ? null : d.service,
    rule: d.rule === '' ? null : d.rule,
    decision: d.verdict,
    reason: d.reason,
    detail: d.detail ?? null,
    caller: callerFields(rec.identity),
    request: rec.request === undefined ? null : requestFields(rec.request),
    cache: rec.cache,
    latency_us: Math.round(rec.latencyUs),
    policy_generation: d.generation,
  };
}

function callerFields(identity: Identity | undefined): AuditFields['caller'] {
  if (identity === undefined) return { spiffe_id: null, spiffe_source: null, token: null };
  const peer = identity.peer;
  return {
    spiffe_id: peer === undefined ? null : peer.spiffeId,
    spiffe_source: peer === undefined ? null : peer.source,
    token: identity.token === undefined ? null : tokenFields(identity.token),
  };
}

// Named claims only: `claims` is never read, since a claim set may hold personal data the audit
// trail has no use for (VerifiedToken does not hold the token string at all).
function tokenFields(t: VerifiedToken): AuditTokenFields {
  return { issuer: t.issuer, iss: t.iss, sub: t.sub, jti: t.jti ?? null, aud: t.aud, scopes: t.scopes, exp: t.exp };
}

function requestFields(r: Request): AuditRequestFields {
  return {
    method: cut(r.method),
    path: cut(withoutQuery(r.rawPath)),
    host: cut(r.host),
    grpc_method: r.grpcMethod === undefined ? null : cut(r.grpcMethod),
    source_address: cut(r.sourceAddress),
    source_principal: cut(r.sourcePrincipal),
    destination_principal: cut(r.destinationPrincipal),
  };
}

// rawPath comes without its query already; cutting again costs one indexOf and guarantees a token
// or secret sent in a query string can never reach the trail, whatever the decoder does.
export function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

// Envoy bounds header sizes, but an audit line should stay a line a human can read.
export function cut(value: string): string {
  return value.length <= MAX_FIELD_CHARS ? value : value.slice(0, MAX_FIELD_CHARS) + CUT_MARK;
}
