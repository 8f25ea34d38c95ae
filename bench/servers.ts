// Starts the servers under test as child processes (tollgate via its CLI, the null server) and
// waits, bounded in time, for the JSON line that says they are serving. Stopping is by the
// child's own pid only. It measures nothing itself, except the time to ready (T8).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/tollgate.mjs (the executable `npm start` and the image run), seen from dist/bench/. */
export const TOLLGATE_CLI = path.resolve(HERE, '../tollgate.mjs');
export const NULL_SERVER = path.resolve(HERE, 'null-server.js');

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** host:port of the gRPC listener. */
  readonly grpc: string;
  /** Milliseconds from spawn to the serving line. */
  readonly readyMs: number;
  /** Milliseconds from spawn to the first log line whose `msg` is `msg`, waiting for it if need be (bounded). */
  seenAt(msg: string, timeoutMs: number): Promise<number>;
  /** Resolves with the next stderr JSON line that satisfies `match` (bounded by `timeoutMs`). */
  nextLine(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

type Waiter = { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void };

function watchLines(child: ChildProcess, waiters: Waiter[], tail: string[], onLine: (line: Record<string, unknown>) => void): void {
  let buffered = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      tail.push(text);
      if (tail.length > 20) tail.shift();
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      onLine(line);
      for (const w of waiters.splice(0)) (w.match(line) ? w.resolve(line) : waiters.push(w));
    }
  });
}

/** `wrapper`: a command that runs node, e.g. valgrind and its options (bench/instructions.ts). */
export async function spawnServer(name: string, args: readonly string[], readyMsg: string, timeoutMs = 30_000, wrapper: readonly string[] = []): Promise<ServerProcess> {
  const started = process.hrtime.bigint();
  const [command, ...before] = [...wrapper, process.execPath];
  const child = spawn(command as string, [...before, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const waiters: Waiter[] = [];
  const tail: string[] = [];
  // When each message was first seen, so that a line that came before anyone waited for it counts.
  const firstSeen = new Map<string, number>();
  watchLines(child, waiters, tail, (line) => {
    if (typeof line.msg === 'string' && !firstSeen.has(line.msg)) firstSeen.set(line.msg, Number(process.hrtime.bigint() - started) / 1e6);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before serving:\n${tail.join('\n')}`)));
  });
  const nextLine = (match: Waiter['match'], ms: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no expected log line within ${ms} ms:\n${tail.join('\n')}`)), ms);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  const ready = await Promise.race([nextLine((l) => l.msg === readyMsg, timeoutMs), exited]);
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  exited.catch(() => undefined);
  // Under valgrind an orderly exit (and valgrind's own report) takes seconds, not milliseconds.
  const stop = (): Promise<void> => stopChild(child, wrapper.length > 0 ? 120_000 : 5000);
  const seenAt = async (msg: string, ms: number): Promise<number> => {
    if (!firstSeen.has(msg)) await nextLine((l) => l.msg === msg, ms);
    return firstSeen.get(msg) ?? Number.NaN;
  };
  return { name, child, grpc: String(ready.grpc), readyMs, seenAt, nextLine, stop };
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(hard), resolve()));
    child.kill('SIGTERM');
  });
}

export function startNull(): Promise<ServerProcess> {
  return spawnServer('null server', [NULL_SERVER, '--grpc', '127.0.0.1:0'], 'null server serving');
}

/** tollgate serve on loopback ports; audit lines are written (all of them) to /dev/null. */
export function startTollgate(policies: string, extra: readonly string[] = [], nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const args = [...nodeArgs, TOLLGATE_CLI, 'serve', '--policies', policies, '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0',
    '--audit-file', '/dev/null', '--log-level', 'info', ...extra];
  return spawnServer('tollgate', args, 'tollgate serving');
}
