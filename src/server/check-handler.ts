// The Check orchestrator: decode → select policy → identify → decide (cached) → respond, and
// record exactly once, in `finally`, on every exit path. Any exception becomes an
// `internal_error` deny: never an allow, never a gRPC error. It holds no policy logic itself.

import { decodeCheckRequest, type DecodeLimits } from '../ext-authz/decode.js';
import { decisionIdFor, denyResponse, toCheckResponse } from '../ext-authz/respond.js';
import { encodedAllow, type CheckAnswer } from '../ext-authz/allow-template.js';
import type { DenyReason } from '../decision/reasons.js';
import type { Decision, Request, SelectedBy } from '../decision/types.js';
import { NO_IDENTITY, type Identity } from '../identity/types.js';
import type { Recorder } from '../observability/record.js';
import type { CompiledService, PolicySnapshot, TrustConfig } from '../policy/types.js';

export interface Selection {
  readonly service: CompiledService | undefined;
  readonly selectedBy: SelectedBy;
  readonly requested: string;
}

/** The decision core as the server sees it: pure selection and (cached) decision. */
export interface Engine {
  select(request: Request, snapshot: PolicySnapshot, fallback: string | undefined): Selection;
  decide(request: Request, identity: Identity, snapshot: PolicySnapshot, selection: Selection): { decision: Decision; cache: 'hit' | 'miss' };
}

export interface IdentitySource {
  identify(request: Request, service: CompiledService | undefined, trust: TrustConfig): Identity | Promise<Identity>;
}

export interface CheckDeps {
  readonly policies: { current(): PolicySnapshot };
  readonly engine: Engine;
  readonly identity: IdentitySource;
  readonly recorder: Recorder;
  readonly fallbackService: string | undefined;
  readonly auditFailClosed: boolean;
  readonly limits?: DecodeLimits;
  /** Backpressure (src/server/limits.ts): a refused check is denied at once, before any work. */
  readonly admission?: { enter(): string | undefined; leave(): void };
}

/** A deny made by the orchestrator itself (unexpected exception, audit trail down). */
export function failClosedDecision(reason: DenyReason, detail: string, generation: number, service = ''): Decision {
  return {
    verdict: 'deny', reason, detail, service, selectedBy: 'none', rule: '', entry: -1, matchedRules: [],
    forwardToken: false, generation, trace: [],
  };
}

function errorDetail(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err;
  return `exception:${name}`;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

export function createCheckHandler(deps: CheckDeps): (wire: unknown) => Promise<CheckAnswer> {
  return async function check(wire: unknown): Promise<CheckAnswer> {
    const time = Date.now();
    const started = process.hrtime.bigint();
    let request: Request | undefined;
    let identity: Identity | undefined;
    let decision: Decision | undefined;
    let cache: 'hit' | 'miss' | 'none' = 'none';
    let decisionId = '';
    let response: CheckAnswer | undefined;
    let generation = 0;
    const refused = deps.admission?.enter();
    try {
      if (refused !== undefined) {
        decision = failClosedDecision('internal_error', refused, deps.policies.current().generation);
        decisionId = decisionIdFor('');
        return (response = denyResponse(decisionId, decision, undefined));
      }
      request = decodeCheckRequest(wire, deps.limits);
      decisionId = decisionIdFor(request.requestId);
      const snapshot = deps.policies.current();
      generation = snapshot.generation;
      const selection = deps.engine.select(request, snapshot, deps.fallbackService);
      if (request.problem === undefined) {
        const found = deps.identity.identify(request, selection.service, snapshot.trust);
        identity = isPromise(found) ? await found : found;
      }
      const result = deps.engine.decide(request, identity ?? NO_IDENTITY, snapshot, selection);
      ({ decision, cache } = result);
      if (deps.auditFailClosed && !deps.recorder.auditWritable()) {
        decision = failClosedDecision('internal_error', 'audit_unavailable', generation, decision.service);
      }
      // A decision seen again answers from its encoded template (the same bytes, made once).
      response = (cache === 'hit' ? encodedAllow(decisionId, decision, request, identity) : undefined) ?? toCheckResponse(decisionId, decision, request, identity);
    } catch (err) {
      decision = failClosedDecision('internal_error', errorDetail(err), generation, decision?.service ?? '');
      if (decisionId === '') decisionId = decisionIdFor('');
      response = denyResponse(decisionId, decision, identity);
    } finally {
      if (refused === undefined) deps.admission?.leave();
      decision ??= failClosedDecision('internal_error', 'no_decision', generation);
      const latencyUs = Number(process.hrtime.bigint() - started) / 1000;
      deps.recorder.record({ decisionId, time, decision, request, identity, cache, latencyUs });
    }
    return response;
  };
}
