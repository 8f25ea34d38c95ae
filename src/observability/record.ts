// The record of one decision, handed by the Check orchestrator to audit, metrics and inventory
// exactly once per Check (in a `finally`). A plain value: no behaviour here.

import type { Decision, Request } from '../decision/types.js';
import type { Identity } from '../identity/types.js';

export interface DecisionRecord {
  readonly decisionId: string;
  /** Epoch milliseconds when the Check arrived. */
  readonly time: number;
  readonly decision: Decision;
  /** undefined when the CheckRequest could not even be decoded. */
  readonly request: Request | undefined;
  readonly identity: Identity | undefined;
  readonly cache: 'hit' | 'miss' | 'none';
  /** Decoded request → response object, in microseconds. */
  readonly latencyUs: number;
}

export interface Recorder {
  /** Audit line, metrics, inventory edge. Never throws, never blocks on I/O. */
  record(rec: DecisionRecord): void;
  /** False while the audit trail cannot be written (used with --audit-fail-closed). */
  auditWritable(): boolean;
}
