// Drives h2load (nghttp2-client): one process per request body (h2load posts a single body), all
// started together against one server, each for a fixed duration after a warm-up. Throughput is
// summed; per-request latencies come from each process's --log-file. Installs h2load when absent.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

export function h2loadVersion(): string | undefined {
  try {
    return execFileSync('h2load', ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

/** apt-get install nghttp2-client when h2load is missing and we are root; else explain. */
export function ensureH2load(log: (s: string) => void): string {
  const found = h2loadVersion();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) throw new Error('h2load is missing: install Debian package nghttp2-client (apt-get install -y nghttp2-client)');
  log('installing nghttp2-client (h2load)...');
  execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', 'nghttp2-client'], { stdio: 'ignore', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const installed = h2loadVersion();
  if (installed === undefined) throw new Error('h2load still missing after installing nghttp2-client');
  return installed;
}

export interface LoadSpec {
  /** host:port of the server. */
  readonly target: string;
  /** gRPC frames; one h2load process each. */
  readonly bodies: readonly Buffer[];
  /** Connections per body. */
  readonly clients: number;
  /** Concurrent streams per connection. */
  readonly streams: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Fixed offered load: requests per second per connection (h2load --rps); closed loop when absent. */
  readonly rpsPerClient?: number;
}

export interface LoadResult {
  /** Completed requests per second over the measured duration, all processes together. */
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Per-request latencies in microseconds. */
  readonly latenciesUs: Float64Array;
}

interface OneRun {
  rps: number;
  succeeded: number;
  failed: number;
  latencies: number[];
}

function parseOutput(stdout: string, logFile: string): OneRun {
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  if (rps === null || req === null) throw new Error(`h2load output not understood:\n${stdout}`);
  const latencies: number[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const cols = line.split('\t');
    if (cols.length >= 3 && cols[1] !== '-1') latencies.push(Number(cols[2]));
  }
  return { rps: Number(rps[1]), succeeded: Number(req[1]), failed: Number(req[2]) + Number(req[3]), latencies };
}

function runOne(spec: LoadSpec, body: Buffer, dir: string, n: number): Promise<OneRun> {
  const bodyFile = join(dir, `body${n}.bin`);
  const logFile = join(dir, `log${n}.tsv`);
  writeFileSync(bodyFile, body);
  const args = ['-c', String(spec.clients), '-m', String(spec.streams), '-t', '1', '-D', `${Math.round(spec.seconds * 1000)}ms`,
    '--warm-up-time', `${Math.round(spec.warmupSeconds * 1000)}ms`, '-d', bodyFile, '-H', 'content-type: application/grpc', '-H', 'te: trailers',
    '--log-file', logFile];
  if (spec.rpsPerClient !== undefined) args.push('--rps', String(spec.rpsPerClient));
  args.push(`http://${spec.target}${CHECK_PATH}`);
  const timeout = (spec.seconds + spec.warmupSeconds + 30) * 1000;
  return new Promise((resolve, reject) => {
    execFile('h2load', args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err !== null) reject(new Error(`h2load failed: ${err.message}\n${stdout}`));
      else resolve(parseOutput(stdout, logFile));
    });
  });
}

/** Run every body's h2load at once; sum throughput, pool latencies. */
export async function runH2load(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-h2load-'));
  try {
    const runs = await Promise.all(spec.bodies.map((body, n) => runOne(spec, body, dir, n)));
    const latencies = runs.flatMap((r) => r.latencies);
    return {
      rps: runs.reduce((s, r) => s + r.rps, 0),
      succeeded: runs.reduce((s, r) => s + r.succeeded, 0),
      failed: runs.reduce((s, r) => s + r.failed, 0),
      latenciesUs: Float64Array.from(latencies),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
