// Decision → CheckResponse (product.md §3): OK with audit headers and spoof removal, or a denied
// HTTP response with status, JSON body and decision id. Every response sets `status` explicitly.
// It makes no decisions and never reveals policy contents or token details.

import { randomUUID } from 'node:crypto';
import { DENY_REASONS, GRPC_OK } from '../decision/reasons.js';
import type { Decision, Request } from '../decision/types.js';
import type { Identity } from '../identity/types.js';

const OVERWRITE_IF_EXISTS_OR_ADD = 2;
const TOLLGATE_PREFIX = 'x-tollgate-';
export const HEADER_DECISION_ID = 'x-tollgate-decision-id';
export const HEADER_CALLER = 'x-tollgate-caller';
export const HEADER_RULE = 'x-tollgate-rule';
export const HEADER_SHADOW_DENY = 'x-tollgate-shadow-deny';

export interface WireHeaderOption {
  header: { key: string; value: string };
  append_action: number;
}
export interface WireStruct {
  fields: Record<string, { stringValue: string }>;
}
export interface WireCheckResponse {
  status: { code: number; message?: string };
  ok_response?: { headers: WireHeaderOption[]; headers_to_remove: string[] };
  denied_response?: { status: { code: number }; headers: WireHeaderOption[]; body: string };
  dynamic_metadata: WireStruct;
}

const MAX_REQUEST_ID = 128;
// Regular-expression tests: one native scan instead of a look at each character in JavaScript.
const REQUEST_ID = /^[A-Za-z0-9._:-]+$/;
// Visible ASCII except '%': a header value as it is.
const NOT_HEADER_SAFE = /[^\x21-\x24\x26-\x7e]/;

/** The request's x-request-id when present and sane, else a fresh random id. */
export function decisionIdFor(requestId: string): string {
  return requestId.length <= MAX_REQUEST_ID && REQUEST_ID.test(requestId) ? requestId : randomUUID();
}

/** Header-safe: anything outside visible ASCII is percent-encoded (a token `sub` can hold anything). */
export function headerSafe(value: string): string {
  return NOT_HEADER_SAFE.test(value) ? encodeURIComponent(value) : value;
}

/** The caller as headers and logs name it: the SPIFFE ID, else `<issuer>:<sub>` for a token-only caller. */
export function callerOf(identity: Identity | undefined): string {
  if (identity === undefined) return '';
  if (identity.peer !== undefined) return identity.peer.spiffeId;
  const token = identity.token;
  if (token === undefined) return '';
  return token.svid !== undefined ? token.svid.spiffeId : `${token.issuer}:${token.sub}`;
}

function header(key: string, value: string): WireHeaderOption {
  return { header: { key, value }, append_action: OVERWRITE_IF_EXISTS_OR_ADD };
}

function metadata(decisionId: string, decision: Decision, caller: string): WireStruct {
  return {
    fields: {
      decision_id: { stringValue: decisionId },
      decision: { stringValue: decision.verdict },
      service: { stringValue: decision.service },
      rule: { stringValue: decision.rule },
      caller: { stringValue: caller },
      reason: { stringValue: decision.reason },
    },
  };
}

/** Whether an allow response sets this header itself (it is then overwritten, not removed). */
function setsHeader(key: string, decision: Decision, caller: string): boolean {
  if (key === HEADER_DECISION_ID) return true;
  if (key === HEADER_CALLER) return caller !== '';
  return key === (decision.verdict === 'shadow_deny' ? HEADER_SHADOW_DENY : HEADER_RULE);
}

/**
 * The headers Envoy is to drop from an allowed request: incoming x-tollgate-* headers the
 * response does not set itself, and authorization unless the rule forwards the token.
 */
export function allowRemovals(decision: Decision, request: Request | undefined, caller: string): string[] {
  const remove: string[] = [];
  if (request === undefined) return remove;
  for (const key of request.headers.keys()) {
    if (key.startsWith(TOLLGATE_PREFIX) && !setsHeader(key, decision, caller)) remove.push(key);
  }
  if (!decision.forwardToken && request.headers.has('authorization')) remove.push('authorization');
  return remove;
}

export function allowResponse(decisionId: string, decision: Decision, request: Request | undefined, identity: Identity | undefined): WireCheckResponse {
  const caller = callerOf(identity);
  const headers = [header(HEADER_DECISION_ID, decisionId)];
  if (caller !== '') headers.push(header(HEADER_CALLER, headerSafe(caller)));
  if (decision.verdict === 'shadow_deny') headers.push(header(HEADER_SHADOW_DENY, decision.reason));
  else headers.push(header(HEADER_RULE, `${decision.service}/${decision.rule}`));
  return {
    status: { code: GRPC_OK },
    ok_response: { headers, headers_to_remove: allowRemovals(decision, request, caller) },
    dynamic_metadata: metadata(decisionId, decision, caller),
  };
}

function wwwAuthenticate(decision: Decision): string {
  const realm = decision.service === '' ? 'tollgate' : decision.service;
  return decision.reason === 'invalid_token' ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`;
}

export function denyResponse(decisionId: string, decision: Decision, identity: Identity | undefined): WireCheckResponse {
  const reason = decision.reason === 'allow' ? 'internal_error' : decision.reason;
  const info = DENY_REASONS[reason];
  const headers = [header('content-type', 'application/json'), header(HEADER_DECISION_ID, decisionId)];
  if (info.http === 401) headers.push(header('www-authenticate', wwwAuthenticate(decision)));
  const body = JSON.stringify({ error: info.http === 401 ? 'unauthenticated' : 'forbidden', reason, decision_id: decisionId });
  return {
    status: { code: info.grpc, message: reason },
    denied_response: { status: { code: info.http }, headers, body },
    dynamic_metadata: metadata(decisionId, decision, callerOf(identity)),
  };
}

/** The one place a Decision becomes a CheckResponse. */
export function toCheckResponse(decisionId: string, decision: Decision, request: Request | undefined, identity: Identity | undefined): WireCheckResponse {
  return decision.verdict === 'deny' ? denyResponse(decisionId, decision, identity) : allowResponse(decisionId, decision, request, identity);
}
