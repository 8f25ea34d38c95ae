// One load generator thread: HTTP/2 connections to the server, a fixed number of Check calls in
// flight on each (closed loop), per-request latency, and optionally each response decoded and
// compared with the decision it must be. Bounded by a request count and by time.

import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { authorizationService } from '../../src/ext-authz/proto.js';
import { makeFrames, type NextFrame } from './frames.js';
import { judge } from './judge.js';
import type { ClientJob, ClientReport, WorkerMessage } from './protocol.js';

const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
const HEADERS = { ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers' };

interface Run {
  readonly job: ClientJob;
  readonly latencies: Float64Array;
  measured: number;
  failed: number;
  wrong: number;
  firstWrong: string | undefined;
  sent: number;
  warmAt: number;
  endAt: number;
  inflight: number;
}

const decode = (() => {
  const check = authorizationService().Check;
  if (check === undefined) throw new Error('Check missing');
  return check.responseDeserialize;
})();

function finish(run: Run, item: NextFrame, started: number, status: string | undefined, body: Buffer[] | undefined): void {
  const now = performance.now();
  if (status !== '0') run.failed++;
  else if (body !== undefined) {
    const problem = judge(decode(Buffer.concat(body).subarray(5)), item.expect);
    if (problem !== undefined) {
      run.wrong++;
      run.firstWrong ??= problem;
    }
  }
  if (now >= run.warmAt && now < run.endAt && run.measured < run.latencies.length) run.latencies[run.measured++] = (now - started) * 1000;
}

function fire(run: Run, session: http2.ClientHttp2Session, next: () => NextFrame | undefined, done: () => void): void {
  const item = performance.now() < run.endAt && run.sent < run.job.maxRequests && !session.destroyed ? next() : undefined;
  if (item === undefined) {
    run.inflight--;
    if (run.inflight === 0) done();
    return;
  }
  run.sent++;
  const started = performance.now();
  const req = session.request(HEADERS);
  let status: string | undefined;
  const body: Buffer[] | undefined = run.job.verify ? [] : undefined;
  req.on('response', (h) => (status ??= h['grpc-status'] as string | undefined));
  req.on('trailers', (t) => (status = t['grpc-status'] as string | undefined));
  req.on('data', (chunk: Buffer) => body?.push(chunk));
  req.on('error', () => (status = 'error'));
  req.on('close', () => {
    finish(run, item, started, status, body);
    fire(run, session, next, done);
  });
  req.end(item.frame);
}

async function main(job: ClientJob): Promise<ClientReport> {
  const frames = makeFrames(job.source);
  const next = (): NextFrame | undefined => frames.next();
  const sessions = Array.from({ length: job.connections }, () => http2.connect(`http://${job.target}`));
  await Promise.all(sessions.map((s) => new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject))));
  parentPort?.postMessage({ type: 'ready' } satisfies WorkerMessage);
  await new Promise((resolve) => parentPort?.once('message', resolve));
  const t0 = performance.now();
  const run: Run = {
    job, latencies: new Float64Array(job.maxRequests), measured: 0, failed: 0, wrong: 0, firstWrong: undefined, sent: 0,
    warmAt: t0 + job.warmupSeconds * 1000, endAt: t0 + (job.warmupSeconds + job.seconds) * 1000, inflight: 0,
  };
  let eluStart = performance.eventLoopUtilization();
  const warm = setTimeout(() => (eluStart = performance.eventLoopUtilization()), job.warmupSeconds * 1000);
  let elu = 0;
  const over = setTimeout(() => (elu = performance.eventLoopUtilization(eluStart).utilization), (job.warmupSeconds + job.seconds) * 1000);
  const hardStop = setTimeout(() => sessions.forEach((s) => s.destroy()), (job.warmupSeconds + job.seconds + 30) * 1000);
  await new Promise<void>((resolve) => {
    for (const s of sessions) for (let i = 0; i < job.streams; i++, run.inflight++) setImmediate(() => fire(run, s, next, resolve));
  });
  const measuredSeconds = Math.min(job.seconds, Math.max(0.001, (performance.now() - run.warmAt) / 1000));
  if (elu === 0) elu = performance.eventLoopUtilization(eluStart).utilization;
  [warm, over, hardStop].forEach(clearTimeout);
  sessions.forEach((s) => s.close());
  return {
    completed: run.measured, measuredSeconds, latenciesUs: run.latencies.slice(0, run.measured), failed: run.failed,
    wrong: run.wrong, firstWrong: run.firstWrong, elu,
  };
}

main(workerData as ClientJob).then(
  (report) => parentPort?.postMessage({ type: 'done', report } satisfies WorkerMessage, [report.latenciesUs.buffer as ArrayBuffer]),
  (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies WorkerMessage),
);
