// Runs one CheckRequest offline through the server's own Check orchestrator (decode → select →
// identify → decide → respond), with the decision trace switched on, and captures what the
// recorder would have been handed. No second implementation of any step lives here.

import { selectService } from '../decision/select.js';
import { decide } from '../decision/decide.js';
import type { Decision, Request } from '../decision/types.js';
import type { WireCheckResponse } from '../ext-authz/respond.js';
import { wireResponse } from '../ext-authz/allow-template.js';
import type { Identity } from '../identity/types.js';
import type { DecisionRecord, Recorder } from '../observability/record.js';
import type { LoadedPolicySet } from '../policy/load.js';
import type { PolicySnapshot } from '../policy/types.js';
import { createCheckHandler, type Engine, type IdentitySource } from '../server/check-handler.js';

export interface Evaluation {
  readonly decision: Decision;
  /** undefined when the CheckRequest could not be decoded at all. */
  readonly request: Request | undefined;
  readonly identity: Identity | undefined;
  readonly decisionId: string;
  readonly response: WireCheckResponse;
}

export interface EvaluateOptions {
  readonly identity: IdentitySource;
  /** The server's --service: used when neither context_extensions nor the destination selects one. */
  readonly fallbackService?: string | undefined;
}

/** A loaded set as the store would publish it (generation 1: the first good load). */
export function asSnapshot(loaded: LoadedPolicySet, loadedAt = Date.now()): PolicySnapshot {
  return Object.freeze({ ...loaded, generation: 1, loadedAt });
}

const TRACING: Engine = {
  select: selectService,
  decide: (request, identity, snapshot, selection) => ({ decision: decide(request, identity, snapshot, selection, { trace: true }), cache: 'miss' }),
};

export async function evaluate(wire: unknown, snapshot: PolicySnapshot, options: EvaluateOptions): Promise<Evaluation> {
  let record: DecisionRecord | undefined;
  const recorder: Recorder = {
    record: (rec) => {
      record = rec;
    },
    auditWritable: () => true,
  };
  const check = createCheckHandler({
    policies: { current: () => snapshot },
    engine: TRACING,
    identity: options.identity,
    recorder,
    fallbackService: options.fallbackService,
    auditFailClosed: false,
  });
  const response = wireResponse(await check(wire));
  if (record === undefined) throw new Error('the Check handler recorded no decision');
  return { decision: record.decision, request: record.request, identity: record.identity, decisionId: record.decisionId, response };
}
