// An audit log line (as src/observability/audit-line.ts writes it) → the CheckRequest to replay
// and the caller's logged credentials, taken as verified, for `tollgate explain --audit-line`.
// Reading and picking the line only; evaluating it is evaluate.ts's job.

import { z } from 'zod';
import type { CheckRequestSpec } from '../ext-authz/build.js';
import type { TrustConfig } from '../policy/types.js';
import type { AssumedClaims } from './assumed-identity.js';

const tokenFields = z.looseObject({
  issuer: z.string(),
  iss: z.string(),
  sub: z.string(),
  jti: z.string().nullable().optional(),
  aud: z.array(z.string()),
  scopes: z.array(z.string()),
  exp: z.number(),
});

const requestFields = z.looseObject({
  method: z.string(),
  path: z.string(),
  host: z.string().optional(),
  grpc_method: z.string().nullable().optional(),
  source_principal: z.string().optional(),
  destination_principal: z.string().optional(),
});

const auditLine = z.looseObject({
  time: z.number().optional(),
  decision_id: z.string(),
  service: z.string().nullable(),
  rule: z.string().nullable().optional(),
  decision: z.string(),
  reason: z.string(),
  detail: z.string().nullable().optional(),
  caller: z.looseObject({ spiffe_id: z.string().nullable(), token: tokenFields.nullable() }),
  request: requestFields.nullable(),
  policy_generation: z.number().optional(),
});

export type AuditLine = z.output<typeof auditLine>;

export type Picked = { readonly ok: true; readonly line: AuditLine } | { readonly ok: false; readonly error: string };

/** The audit line of `decisionId` (or the only one) among the JSON lines of `text`. */
export function pickAuditLine(text: string, decisionId: string | undefined): Picked {
  const candidates: AuditLine[] = [];
  let firstError: string | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      firstError ??= `line ${i + 1} is not JSON`;
      continue;
    }
    const parsed = auditLine.safeParse(json);
    if (!parsed.success) {
      firstError ??= `line ${i + 1} is not an audit line (${parsed.error.issues[0]?.path.join('.') ?? '?'}: ${parsed.error.issues[0]?.message ?? ''})`;
      continue;
    }
    if (decisionId === undefined || parsed.data.decision_id === decisionId) candidates.push(parsed.data);
  }
  if (candidates.length === 1 && candidates[0] !== undefined) return { ok: true, line: candidates[0] };
  if (candidates.length > 1) {
    return { ok: false, error: decisionId === undefined ? `${candidates.length} audit lines: pick one with --decision-id` : `${candidates.length} audit lines have decision id ${decisionId}` };
  }
  if (decisionId !== undefined) return { ok: false, error: `no audit line has decision id ${decisionId}` };
  return { ok: false, error: firstError ?? 'no audit line found' };
}

export interface Replay {
  readonly spec: CheckRequestSpec;
  /** The logged token's fields as claims, or undefined when the caller had no verified token. */
  readonly claims: AssumedClaims | undefined;
}

/** Only the service the line names (or a no_policy line asked for) is carried over. */
function serviceOf(line: AuditLine): string | undefined {
  if (line.service !== null && line.service !== '') return line.service;
  const detail = line.detail ?? '';
  return detail.startsWith('service:') ? detail.slice('service:'.length) : undefined;
}

export function replayOf(line: AuditLine, trust: TrustConfig): Replay | undefined {
  const req = line.request;
  if (req === null) return undefined;
  const principal = line.caller.spiffe_id ?? (req.source_principal || undefined);
  const grpc = req.grpc_method ?? undefined;
  const spec: CheckRequestSpec = {
    ...(grpc !== undefined ? { grpc } : { http: `${req.method} ${req.path === '' ? '/' : req.path}` }),
    service: serviceOf(line),
    principal,
    destinationPrincipal: req.destination_principal || undefined,
    host: req.host || undefined,
    requestId: line.decision_id,
  };
  const t = line.caller.token;
  const claims: AssumedClaims | undefined =
    t === null
      ? undefined
      : Object.freeze({
          issuer: trust.issuersByIss.get(t.iss)?.name ?? t.issuer,
          sub: t.sub,
          aud: t.aud,
          scope: t.scopes.join(' '),
          exp: t.exp,
          ...(typeof t.jti === 'string' ? { jti: t.jti } : {}),
        });
  return { spec, claims };
}
