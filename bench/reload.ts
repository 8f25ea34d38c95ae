// T7: policy reloads under load. tollgate serves a copy of the 10-rule policy while the Node
// client sends workload (a) plus two requests that must be denied, checking every response
// against its expected decision; meanwhile the policy file is rewritten (an equivalent variant)
// and SIGHUP sent, each time waiting for the new generation to be swapped in.

import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPool } from './client/pool.js';
import type { Expectation } from './client/protocol.js';
import { nodeJob, type Scale } from './e2e.js';
import type { Fixtures } from './fixtures/index.js';
import { ordersYaml } from './fixtures/policies.js';
import { startTollgate, type ServerProcess } from './servers.js';

export interface ReloadResult {
  readonly reloads: number;
  readonly wanted: number;
  readonly checked: number;
  readonly failed: number;
  readonly wrong: number;
  readonly firstWrong: string | undefined;
  readonly rps: number;
}

function generationOf(line: Record<string, unknown>): number {
  return typeof line.generation === 'number' ? line.generation : -1;
}

/** Rewrite, SIGHUP, wait for a newer generation; `wanted` times, spaced over `spacingMs`. */
async function reloadLoop(server: ServerProcess, file: string, wanted: number, spacingMs: number, deadline: number): Promise<number> {
  let generation = 1;
  let done = 0;
  while (done < wanted && Date.now() < deadline) {
    const started = Date.now();
    writeFileSync(file, ordersYaml(done + 1));
    const loaded = server.nextLine((l) => l.msg === 'policy set loaded' && generationOf(l) > generation, 10_000);
    server.child.kill('SIGHUP');
    generation = generationOf(await loaded);
    done++;
    const rest = spacingMs - (Date.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  return done;
}

export async function measureReloads(fx: Fixtures, scale: Scale, wanted: number): Promise<ReloadResult> {
  const dir = join(fx.dir, 'policies-reload');
  cpSync(fx.policies.small, dir, { recursive: true });
  const server = await startTollgate(dir);
  try {
    const requests = [...fx.warm.requests, ...fx.denyHeavy.requests.filter((r) => r.expect.verdict === 'deny')];
    const frames = [...fx.warm.frames, ...fx.denyHeavy.frames.filter((_, i) => fx.denyHeavy.requests[i]?.expect.verdict === 'deny')];
    const seconds = Math.max(scale.seconds * 2, 4);
    const job = nodeJob(server, { kind: 'fixed', frames, expect: requests.map((r): Expectation => r.expect) }, { ...scale, seconds }, true, 5_000_000);
    const client = runPool([job]);
    const warmupMs = scale.warmupSeconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, warmupMs));
    // Only reloads that finish while the client is still measuring count.
    const reloads = await reloadLoop(server, join(dir, 'orders.yaml'), wanted, (seconds * 1000 * 0.8) / wanted, Date.now() + seconds * 1000);
    const report = await client;
    return { reloads, wanted, checked: report.completed, failed: report.failed, wrong: report.wrong, firstWrong: report.firstWrong, rps: report.rps };
  } finally {
    await server.stop();
  }
}
