// The real decode → select → identify → decide (cached) → respond → record path in-process, wired
// as src/server/app.ts wires it (policy store, identifier with file JWKS, decision cache, audit,
// metrics, inventory), with a tap on the recorder and the audit stream so that the fuzzer can
// check "exactly one record per check" and what the audit line reveals.

import { EventEmitter } from 'node:events';
import pino from 'pino';
import { selectService } from '../../src/decision/select.js';
import { createDecisionCache } from '../../src/decision/cache.js';
import { createIdentifier } from '../../src/identity/identify.js';
import { createAuditLog } from '../../src/observability/audit.js';
import { createInventory } from '../../src/observability/inventory.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { DecisionRecord } from '../../src/observability/record.js';
import { createRecorder } from '../../src/observability/recorder.js';
import { createPolicyStore } from '../../src/policy/store.js';
import { createCheckHandler, type Engine } from '../../src/server/check-handler.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { wireResponse } from '../../src/ext-authz/allow-template.js';

export interface Harness {
  check(wire: unknown): Promise<WireCheckResponse>;
  /** Records and audit lines written since the last call (and forgets them); lines are flushed first. */
  take(): Promise<{ records: DecisionRecord[]; lines: string[] }>;
  close(): void;
}

/** An audit destination that keeps what is written in memory (lines may come several per write). */
function memoryStream(chunks: string[]): NodeJS.WritableStream {
  const stream = new EventEmitter() as EventEmitter & { write(s: string): boolean; end(): void };
  stream.write = (s: string) => {
    chunks.push(s);
    return true;
  };
  stream.end = () => undefined;
  return stream as unknown as NodeJS.WritableStream;
}

export async function createHarness(policiesDir: string): Promise<Harness> {
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const store = createPolicyStore({ dir: policiesDir, metrics, logger });
  const loaded = await store.load();
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  const identifier = createIdentifier({ metrics, logger });
  await identifier.configure(store.current().trust);
  const cache = createDecisionCache({ max: 1000, metrics });
  const chunks: string[] = [];
  const audit = createAuditLog({ stream: memoryStream(chunks), metrics, logger });
  const inventory = createInventory({ metrics, policy: () => store.current() });
  const real = createRecorder({ audit, metrics, inventory, logger });
  let records: DecisionRecord[] = [];
  const recorder = { record: (r: DecisionRecord) => (records.push(r), real.record(r)), auditWritable: () => real.auditWritable() };
  const engine: Engine = { select: selectService, decide: (r, i, s, sel) => cache.decide(r, i, s, sel) };
  const check = createCheckHandler({ policies: store, engine, identity: identifier, recorder, fallbackService: undefined, auditFailClosed: false });
  return {
    // Cache hits answer in bytes (allow-template.ts); the oracles read the object those bytes decode to.
    check: async (wire) => wireResponse(await check(wire)),
    async take() {
      // The audit trail may gather lines for a turn of the event loop before writing them.
      await new Promise((resolve) => setImmediate(resolve));
      await audit.flush();
      const out = { records, lines: chunks.splice(0).join('').split('\n').filter((l) => l !== '') };
      records = [];
      return out;
    },
    close() {
      store.close();
      identifier.close();
    },
  };
}
