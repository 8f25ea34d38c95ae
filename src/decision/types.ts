// The data the decision core works on: the internal Request (decoded from a CheckRequest by
// src/ext-authz/decode.ts) and the Decision it returns. No proto shapes and no I/O here.

import type { Reason } from './reasons.js';

/** A request problem found while decoding; such a request is denied before any rule is read. */
export interface RequestProblem {
  readonly reason: 'ambiguous_path' | 'malformed_request';
  readonly detail: string;
}

export interface Request {
  /** HTTP method exactly as sent (compared case-sensitively, product.md §4). */
  readonly method: string;
  /** Normalized path without query string: unreserved percent-escapes decoded. '' when unusable. */
  readonly path: string;
  /** The path as Envoy sent it, query string removed (for the audit log). */
  readonly rawPath: string;
  /** Whether the request target carried a query string (its values are never kept). */
  readonly hasQuery: boolean;
  /** Names of the query parameters (at most 64), e.g. to refuse `access_token`; never their values. */
  readonly queryKeys: readonly string[];
  readonly host: string;
  /** Lower-case header names → values (Envoy merges repeats with ','). */
  readonly headers: ReadonlyMap<string, string>;
  /** `pkg.Service/Method` when content-type is application/grpc* and the path has that shape. */
  readonly grpcMethod: string | undefined;
  /** attributes.source.principal ('' if absent). */
  readonly sourcePrincipal: string;
  /** attributes.source.certificate: URL-encoded PEM ('' if absent). */
  readonly sourceCertificate: string;
  /** `ip:port`, `unix:path` or '' */
  readonly sourceAddress: string;
  readonly destinationPrincipal: string;
  readonly contextExtensions: ReadonlyMap<string, string>;
  /** x-request-id or http.id as sent ('' if absent); the decision id is derived from it. */
  readonly requestId: string;
  /** Set when the request must be denied whatever the caller (ambiguous path, missing parts). */
  readonly problem: RequestProblem | undefined;
}

export type Verdict = 'allow' | 'deny' | 'shadow_deny';

/** How the service policy was chosen (product.md §1 step 2). */
export type SelectedBy = 'context_extensions' | 'destination_principal' | 'default' | 'none';

/** One step of the explanation of a decision, for `tollgate explain` and the audit `detail`. */
export interface TraceStep {
  readonly step: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface Decision {
  readonly verdict: Verdict;
  /** `allow`, or the deny reason (also for a shadow deny: the reason it would have been denied). */
  readonly reason: Reason;
  /** Finer cause for logs and explain (e.g. `token_expired`); never in metrics labels or bodies. */
  readonly detail: string | undefined;
  /** Selected service name ('' when none). */
  readonly service: string;
  readonly selectedBy: SelectedBy;
  /** The allowing rule (first in file order), '' for denies. */
  readonly rule: string;
  /** Index of the allow entry that held in `rule` (for the inventory's unused grants), -1 for denies. */
  readonly entry: number;
  /** Names of the rules whose methods select the request. */
  readonly matchedRules: readonly string[];
  /** Whether the upstream may see the authorization header (service `forwardToken`). */
  readonly forwardToken: boolean;
  /** Policy generation the decision was made with (0 when none was loaded). */
  readonly generation: number;
  /** Present only when the caller asked for a trace (explain); empty otherwise. */
  readonly trace: readonly TraceStep[];
}
