// Renders an offline evaluation for people (the explain report, the trace under a failed policy
// test) and for scripts (a JSON document). Text only: nothing is decided or looked up here.

import { DENY_REASONS } from '../decision/reasons.js';
import type { SelectedBy, TraceStep } from '../decision/types.js';
import type { Identity } from '../identity/types.js';
import type { Evaluation } from './evaluate.js';

const SELECTED_BY: Readonly<Record<SelectedBy, string>> = {
  context_extensions: 'context_extensions["service"]',
  destination_principal: 'the destination principal',
  default: 'the default service (--service)',
  none: 'nothing',
};

export function renderTrace(trace: readonly TraceStep[], indent = '  '): string[] {
  return trace.map((s) => `${indent}${s.ok ? '✓' : '✗'} ${s.step.padEnd(8)} ${s.message}`);
}

export function callerText(identity: Identity | undefined): string {
  if (identity === undefined) return '(not identified: the request was refused before)';
  const parts: string[] = [];
  if (identity.peer !== undefined) parts.push(`${identity.peer.spiffeId} (mTLS, from ${identity.peer.source})`);
  else if (identity.peerFailure !== undefined) parts.push(`peer refused: ${identity.peerFailure.reason} (${identity.peerFailure.detail})`);
  const t = identity.token;
  if (t !== undefined) parts.push(`token of ${t.issuer}, sub ${t.sub}, scopes ${t.scopes.join(' ') || '(none)'}`);
  else if (identity.tokenFailure !== undefined) parts.push(`token refused: ${identity.tokenFailure.reason} (${identity.tokenFailure.detail})`);
  else if (identity.tokenPresented) parts.push('token presented, not verified');
  return parts.length === 0 ? 'anonymous (no peer identity, no token)' : parts.join('; ');
}

function responseText(e: Evaluation): string {
  const r = e.response;
  if (r.denied_response !== undefined) return `denied: HTTP ${r.denied_response.status.code}, gRPC status ${r.status.code}`;
  const headers = (r.ok_response?.headers ?? []).filter((h) => h.header.key !== 'x-tollgate-decision-id');
  const shown = headers.map((h) => `${h.header.key}: ${h.header.value}`).join(', ');
  return `let through: gRPC status ${r.status.code}${shown === '' ? '' : `, ${shown}`}`;
}

function requestText(e: Evaluation): string {
  const r = e.request;
  if (r === undefined) return '(not decodable)';
  const grpc = r.grpcMethod === undefined ? '' : ` (gRPC ${r.grpcMethod})`;
  const problem = r.problem === undefined ? '' : ` — refused: ${r.problem.reason} (${r.problem.detail})`;
  return `${r.method || '(no method)'} ${r.path || r.rawPath || '(no path)'}${grpc}${problem}`;
}

function headline(e: Evaluation): string {
  const d = e.decision;
  if (d.verdict === 'allow') return `ALLOW  by ${d.service}/${d.rule} allow[${d.entry}]`;
  if (d.verdict === 'shadow_deny') return `SHADOW_DENY  ${d.reason} (dry-run: the request is let through and logged)`;
  return `DENY  ${d.reason}`;
}

/** The explain report: decision, why, selection, matched rules, caller, response, then the trace. */
export function renderEvaluation(e: Evaluation): string[] {
  const d = e.decision;
  const meaning = d.reason === 'allow' ? '' : ` (${DENY_REASONS[d.reason].meaning})`;
  const lines = [
    headline(e),
    `  reason    ${d.reason}${meaning}`,
    `  detail    ${d.detail ?? '-'}`,
    `  request   ${requestText(e)}`,
    `  service   ${d.service === '' ? '(none)' : d.service}, selected by ${SELECTED_BY[d.selectedBy]}`,
    `  matched   ${d.matchedRules.length === 0 ? '(no rule)' : d.matchedRules.join(', ')}`,
    `  caller    ${callerText(e.identity)}`,
    `  response  ${responseText(e)}`,
  ];
  if (d.trace.length > 0) lines.push('trace:', ...renderTrace(d.trace));
  return lines;
}

export function evaluationJson(e: Evaluation): Record<string, unknown> {
  const d = e.decision;
  const t = e.identity?.token;
  const r = e.request;
  return {
    decision_id: e.decisionId,
    decision: d.verdict,
    reason: d.reason,
    detail: d.detail ?? null,
    service: d.service === '' ? null : d.service,
    selected_by: d.selectedBy,
    rule: d.rule === '' ? null : d.rule,
    matched_rules: d.matchedRules,
    caller: {
      spiffe_id: e.identity?.peer?.spiffeId ?? null,
      peer_failure: e.identity?.peerFailure ?? null,
      token: t === undefined ? null : { issuer: t.issuer, sub: t.sub, scopes: t.scopes },
      token_failure: e.identity?.tokenFailure ?? null,
    },
    request: r === undefined ? null : { method: r.method, path: r.path, grpc_method: r.grpcMethod ?? null, problem: r.problem ?? null },
    response: { grpc_status: e.response.status.code, http_status: e.response.denied_response?.status.code ?? null },
    trace: d.trace,
  };
}
