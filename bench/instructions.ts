// Instructions per Check, counted by valgrind (cachegrind) rather than timed: on this shared
// machine the same build's throughput moves by ±20 % from one minute to the next. Each server runs
// under valgrind twice, for A and for B requests (the warm workload's first request, sent by
// h2load), and (count(B) − count(A)) ÷ (B − A) is its steady-state cost per request: start-up and
// warm-up cancel out. V8 compiles on the main thread here (--no-concurrent-recompilation), so
// that code is optimized after the same number of calls as at full speed.
// Not part of `npm run bench` (it takes ~15 minutes and needs valgrind: apt-get install valgrind).
//   node dist/bench/instructions.js [--requests 10000,30000] [--only null,tollgate,tollgate-no-allow-audit]
// Run nothing else meanwhile. The count still depends on timing: how many requests one read
// brings, how full an audit batch is when its 20 ms timer fires (under valgrind a server answers
// only ~200 requests a second, so ~4 lines instead of ~25 at full speed), and V8's time-based
// collection heuristics. With another valgrind beside it, the same build counted 10 % more.
// Compare runs made alone, one after the other (docs/benchmarks.md, "Sixth round").

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createFixtures } from './fixtures/index.js';
import { CHECK_PATH, ensureH2load } from './h2load.js';
import { NULL_SERVER, TOLLGATE_CLI, spawnServer } from './servers.js';

interface Variant {
  readonly name: string;
  readonly args: (policies: string) => string[];
  readonly ready: string;
}

const VARIANTS: readonly Variant[] = [
  { name: 'null', args: () => [NULL_SERVER, '--grpc', '127.0.0.1:0'], ready: 'null server serving' },
  {
    name: 'tollgate',
    args: (p) => [TOLLGATE_CLI, 'serve', '--policies', p, '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--audit-file', '/dev/null'],
    ready: 'tollgate serving',
  },
  {
    name: 'tollgate-no-allow-audit',
    args: (p) => [TOLLGATE_CLI, 'serve', '--policies', p, '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--audit-file', '/dev/null', '--audit-sample-allow', '0'],
    ready: 'tollgate serving',
  },
];

/** valgrind's "I refs" total of one run of `variant` answering `requests` Checks. */
async function count(variant: Variant, policies: string, body: string, requests: number, dir: string): Promise<number> {
  const out = join(dir, `${variant.name}-${requests}.txt`);
  const wrapper = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null', `--log-file=${out}`];
  const server = await spawnServer(variant.name, ['--no-concurrent-recompilation', ...variant.args(policies)], variant.ready, 300_000, wrapper);
  try {
    const stdout = execFileSync('h2load', ['-c', '2', '-m', '16', '-t', '1', '-n', String(requests), '-d', body, '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://${server.grpc}${CHECK_PATH}`], {
      encoding: 'utf8',
      timeout: 3_600_000,
    });
    const ok = /(\d+) succeeded/.exec(stdout);
    if (ok === null || Number(ok[1]) !== requests) throw new Error(`${variant.name}: not every request succeeded:\n${stdout}`);
  } finally {
    await server.stop();
  }
  const refs = /I\s+refs:\s+([\d,]+)/.exec(readFileSync(out, 'utf8'));
  if (refs === null) throw new Error(`${variant.name}: no instruction count in ${out}`);
  return Number((refs[1] as string).replaceAll(',', ''));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000,30000' }, only: { type: 'string' } } });
  const [a, b] = (values.requests ?? '').split(',').map(Number);
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || (a as number) < 1 || (b as number) <= (a as number)) throw new Error('--requests A,B with 0 < A < B');
  const only = values.only?.split(',');
  const variants = VARIANTS.filter((v) => only === undefined || only.includes(v.name));
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is missing: apt-get install -y valgrind');
  }
  ensureH2load((s) => process.stdout.write(`${s}\n`));
  const fx = createFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-instructions-'));
  try {
    const body = join(dir, 'body.bin');
    writeFileSync(body, fx.warm.frames[0] as Buffer);
    const perRequest = new Map<string, number>();
    for (const v of variants) {
      const low = await count(v, fx.policies.small, body, a as number, dir);
      const high = await count(v, fx.policies.small, body, b as number, dir);
      perRequest.set(v.name, (high - low) / ((b as number) - (a as number)));
      process.stdout.write(`${v.name}: ${Math.round(perRequest.get(v.name) as number).toLocaleString('en')} instructions per Check\n`);
    }
    const base = perRequest.get('null');
    if (base !== undefined) {
      for (const [name, n] of perRequest) if (name !== 'null') process.stdout.write(`${name} ÷ null: ${(n / base).toFixed(3)} (a throughput ratio of about ${(base / n).toFixed(2)} if both are CPU-bound alike)\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    fx.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`instructions: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
