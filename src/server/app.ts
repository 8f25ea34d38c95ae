// Assembles a running tollgate from a ServerConfig: policy store, identity, decision cache,
// audit/metrics/inventory, the gRPC and admin listeners, reload and drain. The composition root:
// it wires parts together and holds no request logic.

import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/config.js';
import { createPolicyStore } from '../policy/store.js';
import { selectService } from '../decision/select.js';
import { createDecisionCache } from '../decision/cache.js';
import { createIdentifier } from '../identity/identify.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createAuditLog } from '../observability/audit.js';
import { createInventory, inventoryDocument, unusedDocument } from '../observability/inventory.js';
import { createRecorder } from '../observability/recorder.js';
import { createCheckHandler, type Engine } from './check-handler.js';
import { startGrpcServer, type GrpcServer } from './grpc.js';
import { startAdminServer, type AdminServer } from './admin.js';
import { createAdmission } from './limits.js';

export interface Tollgate {
  readonly grpc: GrpcServer;
  readonly admin: AdminServer;
  readonly metrics: Metrics;
  /** Reopen the audit file (log rotation: SIGUSR2). */
  reopenAudit(): void;
  /** Re-read the policy directory now (SIGHUP). */
  reload(): Promise<boolean>;
  /** Health NOT_SERVING, /readyz 503, finish in-flight checks, close everything. */
  drain(): Promise<void>;
}

export type StartResult = { readonly ok: true; readonly tollgate: Tollgate } | { readonly ok: false; readonly problems: readonly string[] };

export async function startTollgate(config: ServerConfig, logger: Logger): Promise<StartResult> {
  const metrics = createMetrics();
  const store = createPolicyStore({ dir: config.policiesDir, metrics, logger, holdWarnings: true });
  const first = await store.load();
  if (!first.ok) {
    store.close();
    return { ok: false, problems: first.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`) };
  }
  const identifier = createIdentifier({
    metrics, logger, maxTokenBytes: config.maxTokenBytes, tokenCacheSize: config.tokenCacheSize, keyWaitMs: config.keyWaitMs,
  });
  await identifier.configure(store.current().trust);
  const cache = createDecisionCache({ max: config.decisionCacheSize, metrics });
  store.onSwap((snapshot) => {
    cache.clear();
    identifier.configure(snapshot.trust).catch((err: unknown) => logger.error({ err }, 'reconfiguring identity failed'));
  });
  const audit = createAuditLog({ file: config.auditFile, sampleAllow: config.auditSampleAllow, failClosed: config.auditFailClosed, metrics, logger });
  try {
    await audit.ready();
  } catch (err) {
    store.close();
    identifier.close();
    return { ok: false, problems: [`--audit-file ${config.auditFile ?? ''}: ${(err as Error).message}`] };
  }
  const inventory = createInventory({ metrics, policy: () => store.current() });
  const recorder = createRecorder({ audit, metrics, inventory, logger });
  const engine: Engine = { select: selectService, decide: (r, i, s, sel) => cache.decide(r, i, s, sel) };
  const admission = createAdmission({ maxInFlight: config.maxInFlight, maxEventLoopDelayMs: config.maxEventLoopDelayMs, registry: metrics.registry });
  const check = createCheckHandler({
    policies: store, engine, identity: identifier, recorder,
    fallbackService: config.service, auditFailClosed: config.auditFailClosed,
    limits: Object.freeze({ maxHeaders: config.maxHeaders, maxHeaderBytes: config.maxHeaderBytes }), admission,
  });
  if (config.grpc.kind === 'unix') await rm(config.grpc.path, { force: true });
  let draining = false;
  const grpc = await startGrpcServer({ address: config.grpc, maxMessageBytes: config.maxMessageBytes, check });
  const admin = await startAdminServer(config.admin, {
    registry: metrics.registry,
    ready: () => !draining && store.current().generation > 0,
    inventory: () => inventoryDocument(inventory),
    unused: () => unusedDocument(inventory, store.current()),
  });
  store.watch();
  store.releaseWarnings(); // linted once this start-up is over
  const tollgate: Tollgate = {
    grpc, admin, metrics,
    reopenAudit: () => audit.reopen(),
    async reload(): Promise<boolean> {
      const result = await store.load();
      return result.ok;
    },
    async drain(): Promise<void> {
      if (draining) return;
      draining = true;
      grpc.setServing(false);
      store.close();
      await grpc.shutdown(config.drainMs);
      admission.close();
      identifier.close();
      await admin.close();
      await audit.close();
    },
  };
  return { ok: true, tollgate };
}
