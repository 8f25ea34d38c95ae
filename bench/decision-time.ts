// Server-side decision time (T3–T5): the real Check handler in this process, over CheckRequests
// decoded as the server decodes them, one call at a time, each timed with process.hrtime.bigint().
// The time covers decode → identity → decision → response object → recording (audit, metrics,
// inventory): everything tollgate does per Check besides the gRPC transport.

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TokenSigner } from './fixtures/keys.js';
import { COLD_TOKEN, createFixtures, type Fixtures } from './fixtures/index.js';
import { decodeFrame, startInProcess, type InProcess } from './in-process.js';
import { median, summarize, type Summary } from './stats.js';

/** Let the audit destination flush between calls, as the event loop of a server does. */
const YIELD_EVERY = 64;

/**
 * Each call gets a freshly decoded request (decoding is not timed: grpc-js does it, for the null
 * server too), so no string hash or parse is reused across calls that a server would redo.
 */
async function timeCalls(tg: InProcess, frames: readonly Buffer[], calls: number, warmup: number): Promise<Summary> {
  for (let i = 0; i < warmup; i++) {
    await tg.check(decodeFrame(frames[i % frames.length] as Buffer));
    if (i % YIELD_EVERY === 0) await yieldToLoop();
  }
  const us = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const wire = decodeFrame(frames[i % frames.length] as Buffer);
    const t0 = process.hrtime.bigint();
    await tg.check(wire);
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (i % YIELD_EVERY === 0) await yieldToLoop();
  }
  return summarize(us);
}

/** Frames with a new token each (the cold template with its token replaced), decoded up front. */
function coldWires(fx: Fixtures, count: number, serialBase: number): unknown[] {
  const signer = new TokenSigner(fx.key.privatePem);
  const iat = Math.floor(Date.now() / 1000);
  const wires: unknown[] = [];
  for (let n = 0; n < count; n++) {
    const token = signer.sign({ ...COLD_TOKEN, serial: serialBase + n, iat });
    const frame = Buffer.from(fx.cold.frame);
    frame.write(token, fx.cold.tokenOffset, 'latin1');
    wires.push(decodeFrame(frame));
  }
  return wires;
}

/**
 * What T4's tail can be on this machine: one bare ES256 verification (the signature part of a
 * cold check, nothing of tollgate's), timed exactly as timeCold times a check, in the same process.
 */
function timeBareVerification(fx: Fixtures, calls: number): Promise<Summary> {
  const key = createPrivateKey(fx.key.privatePem);
  const publicKey = createPublicKey(key);
  const data = Buffer.from(new TokenSigner(fx.key.privatePem).sign({ ...COLD_TOKEN, serial: 1, iat: Math.floor(Date.now() / 1000) }));
  const signature = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  const verifier = { key: publicKey, dsaEncoding: 'ieee-p1363' } as const;
  return timeEach(calls, () => {
    if (!verify('sha256', data, verifier, signature)) throw new Error('bench: the probe signature does not verify');
  });
}

async function timeEach(calls: number, once: () => unknown): Promise<Summary> {
  const us = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    await yieldToLoop();
    const t0 = process.hrtime.bigint();
    await once();
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return summarize(us);
}

async function timeCold(tg: InProcess, wires: readonly unknown[]): Promise<Summary> {
  let i = 0;
  return timeEach(wires.length, () => tg.check(wires[i++]));
}

export interface DecisionTimes {
  /** T3: workload (a) requests, caches warm. */
  readonly warm: Summary;
  /** T4: a new ES256 token per call (signature verified each time). */
  readonly cold: Summary;
  /** Beside T4: one bare ES256 verification timed the same way (the machine's own tail). */
  readonly bareVerification: Summary;
  /** T5: decision cache off (every call decides afresh), the 10-rule policy… */
  readonly smallUncached: Summary;
  /** …and the 100 × 100-rule policy. */
  readonly largeUncached: Summary;
}

export async function measureDecisionTimes(fx: Fixtures, scale: { calls: number; coldCalls: number }, log: (s: string) => void): Promise<DecisionTimes> {
  const small = await startInProcess({ policies: fx.policies.small });
  let warm: Summary;
  let cold: Summary;
  let bareVerification: Summary;
  try {
    warm = await timeCalls(small, fx.warm.frames, scale.calls, Math.min(20_000, scale.calls));
    log(`  T3 warm: p50 ${warm.p50.toFixed(2)} µs, p99 ${warm.p99.toFixed(2)} µs`);
    await timeCold(small, coldWires(fx, 200, 5_000_000));
    cold = await timeCold(small, coldWires(fx, scale.coldCalls, 5_100_000));
    log(`  T4 cold token: p50 ${cold.p50.toFixed(1)} µs, p99 ${cold.p99.toFixed(1)} µs`);
    bareVerification = await timeBareVerification(fx, scale.coldCalls);
    log(`  one bare ES256 verification: p50 ${bareVerification.p50.toFixed(1)} µs, p99 ${bareVerification.p99.toFixed(1)} µs`);
  } finally {
    await small.close();
  }
  const { small: smallUncached, large: largeUncached } = await uncachedPair(fx, scale.calls);
  log(`  T5 uncached p50: 10 rules ${smallUncached.p50.toFixed(2)} µs, 100×100 rules ${largeUncached.p50.toFixed(2)} µs`);
  return { warm, cold, bareVerification, smallUncached, largeUncached };
}

/** Alternating rounds of the T5 pair; the figure is the median of the rounds' percentiles. */
const T5_ROUNDS = 5;

/**
 * T5: both policies loaded side by side, each with a one-entry decision cache (requests in
 * rotation: every call is a miss), timed in alternating rounds A B A B … so that drift on a shared
 * machine weighs on both alike. Each side's summary keeps the median p50 and p99 of its rounds.
 */
async function uncachedPair(fx: Fixtures, calls: number): Promise<{ small: Summary; large: Summary }> {
  const small = await startInProcess({ policies: fx.policies.small, decisionCacheSize: 1 });
  const large = await startInProcess({ policies: fx.policies.large, decisionCacheSize: 1 });
  try {
    const perRound = Math.max(1000, Math.floor(calls / T5_ROUNDS));
    const warmup = Math.min(20_000, calls);
    const rounds = { small: [] as Summary[], large: [] as Summary[] };
    for (let r = 0; r < T5_ROUNDS; r++) {
      rounds.small.push(await timeCalls(small, fx.warm.frames, perRound, r === 0 ? warmup : 0));
      rounds.large.push(await timeCalls(large, fx.large.frames, perRound, r === 0 ? warmup : 0));
    }
    return { small: medianOfRounds(rounds.small), large: medianOfRounds(rounds.large) };
  } finally {
    await Promise.all([small.close(), large.close()]);
  }
}

function medianOfRounds(rounds: readonly Summary[]): Summary {
  const mid = (pick: (s: Summary) => number): number => median(rounds.map(pick));
  return {
    count: rounds.reduce((n, s) => n + s.count, 0), p50: mid((s) => s.p50), p90: mid((s) => s.p90), p99: mid((s) => s.p99),
    p999: mid((s) => s.p999), max: Math.max(...rounds.map((s) => s.max)),
  };
}

/**
 * As a process of its own (`node dist/bench/decision-time.js [--calls N] [--cold N]`), so that
 * nothing the bench did before (servers, clients, fixtures) weighs on the heap or the JIT.
 * Prints the DecisionTimes as one JSON line.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '200000' }, cold: { type: 'string', default: '3000' } } });
  const fx = createFixtures();
  try {
    const times = await measureDecisionTimes(fx, { calls: Number(values.calls), coldCalls: Number(values.cold) }, (s) => process.stderr.write(`${s}\n`));
    process.stdout.write(`${JSON.stringify(times)}\n`);
  } finally {
    fx.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`decision-time: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
