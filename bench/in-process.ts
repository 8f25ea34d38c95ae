// A tollgate Check handler in the bench's own process, wired exactly as src/server/app.ts wires
// it (policy store, identity, decision cache, audit to a file, metrics, inventory, recorder, heap
// growth) but without listeners: for the server-side decision time (T3–T5) and the memory soak (T6).

import { pino } from 'pino';
import { DEFAULTS } from '../src/config/config.js';
import { createPolicyStore } from '../src/policy/store.js';
import { selectService } from '../src/decision/select.js';
import { createDecisionCache } from '../src/decision/cache.js';
import { createIdentifier } from '../src/identity/identify.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createAuditLog, type AuditLog } from '../src/observability/audit.js';
import { createInventory } from '../src/observability/inventory.js';
import { createRecorder } from '../src/observability/recorder.js';
import { createCheckHandler, type Engine } from '../src/server/check-handler.js';
import v8 from 'node:v8';
import { governHeap, thresholdFor } from '../src/server/heap.js';
import { authorizationService } from '../src/ext-authz/proto.js';
import { readCheckRequest } from '../src/ext-authz/read-request.js';
import type { CheckAnswer } from '../src/ext-authz/allow-template.js';

export interface InProcess {
  /** The real Check handler: a decoded CheckRequest → its CheckResponse (an object, or bytes for a decision-cache hit). */
  readonly check: (wire: unknown) => Promise<CheckAnswer>;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export interface InProcessOptions {
  readonly policies: string;
  /** Default: the server default. 1 makes nearly every decision a cache miss. */
  readonly decisionCacheSize?: number;
  readonly auditFile?: string;
}

/** Decode gRPC frames as the server does: read directly, the generic deserializer standing by. */
export function decodeFrame(frame: Uint8Array): unknown {
  const bytes = Buffer.from(frame.buffer, frame.byteOffset + 5, frame.byteLength - 5);
  return readCheckRequest(bytes) ?? deserialize(bytes);
}

const deserialize = (() => {
  const check = authorizationService().Check;
  if (check === undefined) throw new Error('Check missing');
  return check.requestDeserialize;
})();

export async function startInProcess(options: InProcessOptions): Promise<InProcess> {
  const logger = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true }));
  const metrics = createMetrics();
  const store = createPolicyStore({ dir: options.policies, metrics, logger });
  const first = await store.load();
  if (!first.ok) throw new Error(`bench policies do not load: ${JSON.stringify(first.problems.slice(0, 3))}`);
  const identifier = createIdentifier({ metrics, logger, maxTokenBytes: DEFAULTS.maxTokenBytes, tokenCacheSize: DEFAULTS.tokenCacheSize, keyWaitMs: DEFAULTS.keyWaitMs });
  await identifier.configure(store.current().trust);
  const cache = createDecisionCache({ max: options.decisionCacheSize ?? DEFAULTS.decisionCacheSize, metrics });
  store.onSwap((snapshot) => {
    cache.clear();
    void identifier.configure(snapshot.trust);
  });
  const audit: AuditLog = createAuditLog({ file: options.auditFile ?? '/dev/null', metrics, logger });
  await audit.ready();
  const inventory = createInventory({ metrics, policy: () => store.current() });
  const recorder = createRecorder({ audit, metrics, inventory, logger });
  const engine: Engine = { select: selectService, decide: (r, i, s, sel) => cache.decide(r, i, s, sel) };
  const check = createCheckHandler({ policies: store, engine, identity: identifier, recorder, fallbackService: undefined, auditFailClosed: false });
  const heap = governHeap({ thresholdMb: () => thresholdFor(v8.getHeapStatistics().used_heap_size / 2 ** 20) }); // as `tollgate serve` does
  return {
    check,
    reload: async () => (await store.load()).ok,
    async close() {
      heap.stop();
      store.close();
      identifier.close();
      await audit.close();
    },
  };
}
