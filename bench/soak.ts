// T6: the memory soak. 1,000,000 requests through the real Check handler in this process, with
// 100,000 distinct tokens (each new one verified) and 100,000 distinct paths, token-only callers
// among them (so caches and the inventory fill to their bounds); resident memory sampled as it
// goes. Prints one JSON line with the samples. Run alone with `npm run soak` (-- --requests N).
//   node dist/bench/soak.js [--requests 1000000] [--distinct 100000]

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createFixtures, type Fixtures } from './fixtures/index.js';
import { TokenSigner } from './fixtures/keys.js';
import { encodeRequest, grpcFrame } from './fixtures/requests.js';
import { decodeFrame, startInProcess } from './in-process.js';
import { median } from './stats.js';

export interface SoakSample {
  readonly requests: number;
  readonly rssMB: number;
  readonly heapMB: number;
}

export interface SoakResult {
  readonly requests: number;
  readonly distinct: number;
  readonly seconds: number;
  readonly samples: readonly SoakSample[];
  readonly peakRssMB: number;
  readonly endRssMB: number;
  /** RSS growth over the last half of the run, percent (medians of 5 samples at the middle and the end). */
  readonly growthPct: number;
  /** Heap in use after a full GC at the end (only when run with --expose-gc): what is really kept. */
  readonly liveHeapMB: number | undefined;
}

const PATH_WIDTH = 6;
const SUBJECT = 7;

/** A request template with a placeholder token and path of the widths every request has. */
function template(fx: Fixtures, token: string, withPeer: boolean): { frame: Buffer; tokenAt: number; pathAt: number[] } {
  const spec = fx.warm.requests[1]?.spec;
  if (spec === undefined) throw new Error('bench: no REST request to model the soak on');
  const path = `/v1/orders/${'9'.repeat(PATH_WIDTH)}`;
  const peer = withPeer ? {} : { principal: undefined, certificate: undefined };
  const frame = grpcFrame(encodeRequest({ ...spec, ...peer, http: `GET ${path}`, token }));
  const pathAt: number[] = [];
  for (let at = frame.indexOf(path); at !== -1; at = frame.indexOf(path, at + 1)) pathAt.push(at + path.length - PATH_WIDTH);
  return { frame, tokenAt: frame.indexOf(token), pathAt };
}

function rss(): { rssMB: number; heapMB: number } {
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20 };
}

export async function runSoak(requests: number, distinct: number, log: (s: string) => void): Promise<SoakResult> {
  const fx = createFixtures();
  const tg = await startInProcess({ policies: fx.policies.small });
  try {
    const signer = new TokenSigner(fx.key.privatePem);
    const iat = Math.floor(Date.now() / 1000);
    const sign = (n: number): string => signer.sign({ subject: SUBJECT + (n % 900_000), serial: 9_000_000_000 + n, scopes: 'orders.read', iat });
    const templates = [template(fx, sign(0), true), template(fx, sign(0), false)];
    const perToken = Math.max(1, Math.floor(requests / distinct));
    const samples: SoakSample[] = [];
    const started = process.hrtime.bigint();
    let token = '';
    for (let i = 0; i < requests; i++) {
      if (i % perToken === 0) token = sign(Math.floor(i / perToken) % distinct);
      const t = templates[i % 4 === 3 ? 1 : 0] as (typeof templates)[number];
      const frame = Buffer.from(t.frame);
      frame.write(token, t.tokenAt, 'latin1');
      const path = String(i % distinct).padStart(PATH_WIDTH, '0');
      for (const at of t.pathAt) frame.write(path, at, 'latin1');
      await tg.check(decodeFrame(frame));
      if (i % 64 === 0) await yieldToLoop();
      if ((i + 1) % Math.ceil(requests / 100) === 0) samples.push({ requests: i + 1, ...rss() });
      if ((i + 1) % Math.ceil(requests / 10) === 0) log(`  soak: ${i + 1} requests, RSS ${rss().rssMB.toFixed(0)} MB`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { ...summarize(requests, distinct, seconds, samples), liveHeapMB: liveHeap() };
  } finally {
    await tg.close();
    fx.cleanup();
  }
}

/** After the run only, so collecting never changes what was measured during it. */
function liveHeap(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function summarize(requests: number, distinct: number, seconds: number, samples: readonly SoakSample[]): Omit<SoakResult, 'liveHeapMB'> {
  const mid = Math.floor(samples.length / 2);
  const middle = median(samples.slice(Math.max(0, mid - 2), mid + 3).map((s) => s.rssMB));
  const end = median(samples.slice(-5).map((s) => s.rssMB));
  return {
    requests, distinct, seconds, samples,
    peakRssMB: Math.max(...samples.map((s) => s.rssMB)),
    endRssMB: samples.at(-1)?.rssMB ?? Number.NaN,
    growthPct: ((end - middle) / middle) * 100,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' }, distinct: { type: 'string', default: '100000' } } });
  const result = await runSoak(Number(values.requests), Number(values.distinct), (s) => process.stderr.write(`${s}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
