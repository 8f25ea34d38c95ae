// Runs the Node load generator: worker threads (bench/client/worker.ts) started together, their
// reports merged. Used where h2load cannot serve: a new token per request, and responses that
// must each be checked. Every thread is bounded by a request count and by time.

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ClientJob, ClientReport, WorkerMessage } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface PoolReport {
  readonly rps: number;
  readonly completed: number;
  readonly failed: number;
  readonly wrong: number;
  readonly firstWrong: string | undefined;
  readonly latenciesUs: Float64Array;
  /** Highest event-loop utilization of a client thread (near 1: the client limits the figure). */
  readonly clientElu: number;
}

function startWorker(job: ClientJob): { worker: Worker; ready: Promise<void>; done: Promise<ClientReport> } {
  const worker = new Worker(WORKER, { workerData: job });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<ClientReport>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'done') resolve(m.report);
      else reject(new Error(`load generator thread failed: ${m.message}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load generator thread exited (${code})`)));
  });
  done.catch(() => onReady());
  return { worker, ready, done };
}

export async function runPool(jobs: readonly ClientJob[]): Promise<PoolReport> {
  const started = jobs.map(startWorker);
  try {
    await Promise.all(started.map((s) => s.ready));
    for (const s of started) s.worker.postMessage('start');
    const reports = await Promise.all(started.map((s) => s.done));
    const seconds = Math.max(...reports.map((r) => r.measuredSeconds));
    const total = reports.reduce((n, r) => n + r.latenciesUs.length, 0);
    const latenciesUs = new Float64Array(total);
    let at = 0;
    for (const r of reports) {
      latenciesUs.set(r.latenciesUs, at);
      at += r.latenciesUs.length;
    }
    return {
      rps: reports.reduce((n, r) => n + r.completed, 0) / seconds,
      completed: reports.reduce((n, r) => n + r.completed, 0),
      failed: reports.reduce((n, r) => n + r.failed, 0),
      wrong: reports.reduce((n, r) => n + r.wrong, 0),
      firstWrong: reports.find((r) => r.firstWrong !== undefined)?.firstWrong,
      latenciesUs,
      clientElu: Math.max(...reports.map((r) => r.elu)),
    };
  } finally {
    await Promise.all(started.map((s) => s.worker.terminate()));
  }
}
