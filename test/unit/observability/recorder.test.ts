import { describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../../src/observability/audit.js';
import { createInventory, type Inventory } from '../../../src/observability/inventory.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createRecorder, serviceLabel } from '../../../src/observability/recorder.js';
import { Capture, metricValue } from './capture.js';
import { decision, denied, record } from './fixtures.js';

function parts() {
  const out = new Capture();
  const metrics = createMetrics({ defaultMetrics: false });
  const audit = createAuditLog({ stream: out, metrics });
  const inventory = createInventory({ metrics });
  return { out, metrics, audit, inventory };
}

describe('recorder', () => {
  it('writes the audit line, the metrics and the inventory edge of one decision', async () => {
    const { out, metrics, audit, inventory } = parts();
    const recorder = createRecorder({ audit, metrics, inventory });
    recorder.record(record({ latencyUs: 20 }));
    recorder.record(record({ decisionId: 'dec-2', decision: denied('not_allowed', { matchedRules: ['ledger-read'] }), latencyUs: 300 }));
    await audit.flush();
    expect(out.lines().map((l) => [l.decision_id, l.decision, l.reason])).toEqual([
      ['dec-1', 'allow', 'allow'],
      ['dec-2', 'deny', 'not_allowed'],
    ]);
    const r = metrics.registry;
    expect(await metricValue(r, 'tollgate_decisions_total', { service: 'payments', decision: 'allow', reason: 'allow' })).toBe(1);
    expect(await metricValue(r, 'tollgate_decisions_total', { service: 'payments', decision: 'deny', reason: 'not_allowed' })).toBe(1);
    const text = await r.metrics();
    // latencyUs is converted to seconds: 20 µs falls in the 25 µs bucket, not the 10 µs one.
    expect(text).toContain('tollgate_check_duration_seconds_bucket{le="0.00001",service="payments",decision="allow"} 0');
    expect(text).toContain('tollgate_check_duration_seconds_bucket{le="0.000025",service="payments",decision="allow"} 1');
    expect(text).toContain('tollgate_check_duration_seconds_sum{service="payments",decision="deny"} 0.0003');
    expect(inventory.edges()).toMatchObject([{ rule: 'ledger-read', count: 2, last_decision: 'deny' }]);
  });

  it('never puts an unconfigured service name in a label', async () => {
    const { metrics, audit, inventory } = parts();
    const recorder = createRecorder({ audit, metrics, inventory });
    recorder.record(record({ decision: denied('no_policy', { service: 'attacker-chosen-name', selectedBy: 'none' }) }));
    expect(await metrics.registry.metrics()).not.toContain('attacker-chosen-name');
    expect(await metricValue(metrics.registry, 'tollgate_decisions_total', { service: '', decision: 'deny', reason: 'no_policy' })).toBe(1);
    expect(serviceLabel(decision())).toBe('payments');
  });

  it('never throws: a failing part is logged and the other parts still record', async () => {
    const { metrics, inventory } = parts();
    const ops = new Capture();
    const logger = createLogger({ level: 'error', stream: ops });
    const brokenAudit: AuditLog = {
      write: () => {
        throw new Error('disk on fire');
      },
      writable: () => {
        throw new Error('disk on fire');
      },
      ready: async () => {},
      flush: async () => {},
      reopen: () => {},
      close: async () => {},
    };
    const recorder = createRecorder({ audit: brokenAudit, metrics, inventory, logger });
    expect(() => recorder.record(record())).not.toThrow();
    expect(await metricValue(metrics.registry, 'tollgate_audit_dropped_total')).toBe(1);
    expect(await metricValue(metrics.registry, 'tollgate_decisions_total', { service: 'payments', decision: 'allow', reason: 'allow' })).toBe(1);
    expect(inventory.edges()).toHaveLength(1);
    expect(recorder.auditWritable()).toBe(false);
    expect(ops.lines()[0]).toMatchObject({ msg: 'recording a decision failed', part: 'audit' });

    const brokenInventory = { ...inventory, observe: () => { throw new Error('boom'); } } as Inventory;
    const { audit, out } = parts();
    const second = createRecorder({ audit, metrics, inventory: brokenInventory, logger });
    expect(() => second.record(record())).not.toThrow();
    await audit.flush();
    expect(out.lines()).toHaveLength(1);
  });

  it('rate-limits the error log of a persistent failure', () => {
    const { metrics, inventory } = parts();
    const ops = new Capture();
    const logger = createLogger({ level: 'error', stream: ops });
    const brokenInventory = { ...inventory, observe: () => { throw new Error('boom'); } } as Inventory;
    const { audit } = parts();
    const recorder = createRecorder({ audit, metrics, inventory: brokenInventory, logger });
    for (let i = 0; i < 100; i++) recorder.record(record());
    expect(ops.lines().map((l) => l.failures)).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('never throws even when reporting a failure fails (record runs in the Check finally)', () => {
    const { metrics, inventory, audit } = parts();
    const brokenInventory = { ...inventory, observe: () => { throw new Error('boom'); } } as Inventory;
    const brokenLogger = createLogger({ level: 'error', stream: new Capture() });
    brokenLogger.error = (() => { throw new Error('logger down'); }) as typeof brokenLogger.error;
    const recorder = createRecorder({ audit, metrics, inventory: brokenInventory, logger: brokenLogger });
    expect(() => recorder.record(record())).not.toThrow();
  });

  it('passes the audit trail state through for a fail-closed handler', () => {
    const { metrics, inventory } = parts();
    const audit = createAuditLog({ stream: new Capture(), failClosed: true });
    const recorder = createRecorder({ audit, metrics, inventory });
    expect(recorder.auditWritable()).toBe(true);
  });
});
