// The Recorder the Check handler calls once per decision, in its `finally`: audit line, metrics,
// inventory edge. Each part is isolated, so one failing never stops the others, and nothing
// thrown here ever reaches the request path. It does not build responses or decide anything.

import type { pino } from 'pino';
import type { Decision } from '../decision/types.js';
import type { AuditLog } from './audit.js';
import type { Inventory } from './inventory.js';
import type { Metrics } from './metrics.js';
import type { DecisionRecord, Recorder } from './record.js';

export interface RecorderParts {
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly inventory: Inventory;
  /** Where a failing part is reported (rate-limited: the 1st, 2nd, 4th, 8th… failure). */
  readonly logger?: pino.Logger;
}

/**
 * The service label holds configured service names only: a request that found no policy may carry
 * any name in context_extensions, and such a name must not mint a new time series.
 */
export function serviceLabel(d: Decision): string {
  return d.reason === 'no_policy' ? '' : d.service;
}

export function createRecorder(parts: RecorderParts): Recorder {
  const { audit, metrics, inventory, logger } = parts;
  let failures = 0;
  const failed = (part: string, err: unknown): void => {
    failures++;
    // Powers of two: the first failure is always seen, a persistent one cannot flood stderr.
    // record() runs in the Check's `finally`: not even a failing logger may escape from it.
    if ((failures & (failures - 1)) === 0) safely(() => logger?.error({ err, part, failures }, 'recording a decision failed'));
  };
  return Object.freeze({
    record(rec: DecisionRecord): void {
      try {
        audit.write(rec);
      } catch (err) {
        safely(() => metrics.auditDropped(1));
        failed('audit', err);
      }
      try {
        const d = rec.decision;
        metrics.observeDecision(serviceLabel(d), d.verdict, d.reason, rec.latencyUs / 1e6);
      } catch (err) {
        failed('metrics', err);
      }
      try {
        inventory.observe(rec);
      } catch (err) {
        failed('inventory', err);
      }
    },
    auditWritable(): boolean {
      try {
        return audit.writable();
      } catch {
        return false; // cannot tell whether the trail works: a fail-closed handler must deny
      }
    },
  });
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Counting a failure must not fail in turn.
  }
}
