// `npm run bench`: every figure of docs/benchmarks.md (T1–T8) in one run, then bench/results.md
// and bench/results.json. `--quick` is a short run for development (one round, short phases);
// `--only e2e,decision,soak,reload,startup` runs some sections; `--profile DIR` writes a CPU
// profile of every tollgate server process there (read it with dist/bench/profile.js).
// Network: loopback only.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DecisionTimes } from './decision-time.js';
import { alternate, coldBudget, fixedSource, h2loadRound, nodeJob, nodeRound, type Scale } from './e2e.js';
import { COLD_TOKEN, createFixtures, type Fixtures } from './fixtures/index.js';
import { ensureH2load } from './h2load.js';
import { describeMachine } from './machine.js';
import { measureReloads } from './reload.js';
import { figures, writeReport, type Measured } from './report.js';
import { startNull, startTollgate, type ServerProcess } from './servers.js';
import type { SoakResult } from './soak.js';
import { measureStartup } from './startup.js';
import { preflight } from './preflight.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Reports go to bench/ in the source tree (dist/bench/ → ../../bench). */
const OUT_DIR = path.resolve(HERE, '../../bench');
const SECTIONS = ['e2e', 'decision', 'soak', 'reload', 'startup'] as const;

interface Plan {
  readonly quick: boolean;
  readonly scale: Scale;
  readonly sections: ReadonlySet<string>;
  /** node flags for tollgate server processes (--cpu-prof when profiling). */
  readonly nodeArgs: readonly string[];
}

const log = (s: string): void => void process.stderr.write(`${s}\n`);

function plan(): Plan {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, profile: { type: 'string' } } });
  const quick = values.quick === true;
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...SECTIONS];
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only: unknown section(s) ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  const scale: Scale = quick ? { rounds: 1, seconds: 2, warmupSeconds: 0.5, streams: 8 } : { rounds: 3, seconds: 5, warmupSeconds: 1, streams: 8 };
  const nodeArgs = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`];
  return { quick, scale, sections: new Set(only), nodeArgs };
}

async function endToEnd(fx: Fixtures, p: Plan, m: Record<string, unknown>): Promise<void> {
  const scale = p.scale;
  const nul = await startNull();
  let tg: ServerProcess = await startTollgate(fx.policies.small, [], p.nodeArgs);
  try {
    await preflight(tg.grpc, [fx.warm, fx.denyHeavy, { requests: [fx.cold.request], frames: [fx.cold.frame] }]);
    log('(a) warm');
    const warm = await alternate(scale.rounds, () => h2loadRound(nul, fx.warm, scale), () => h2loadRound(tg, fx.warm, scale));
    m.warm = warm;
    log('(d) deny-heavy');
    m.denyHeavy = { ...(await alternate(scale.rounds, () => h2loadRound(nul, fx.denyHeavy, scale), () => h2loadRound(tg, fx.denyHeavy, scale))), deniedShare: 0.5 };
    log('T2 fixed load');
    const offered = warm.nullRps / 2;
    const perClient = Math.max(1, Math.round(offered / fx.warm.frames.length));
    m.fixedLoad = { ...(await alternate(scale.rounds, () => h2loadRound(nul, fx.warm, scale, perClient), () => h2loadRound(tg, fx.warm, scale, perClient))), offeredRps: perClient * fx.warm.frames.length };
    log('(b) cold tokens');
    const check = await nodeRound(nul, nodeJob(nul, fixedSource(fx.warm), scale, false, 5_000_000));
    m.clientCheck = { nodeNullRps: check.rps, h2loadNullRps: warm.nullRps, clientElu: check.clientElu };
    m.cold = await coldWorkload(fx, scale, nul, tg, warm.nullRps);
    await tg.stop();
    log('(c) large policy');
    tg = await startTollgate(fx.policies.large, [], p.nodeArgs);
    await preflight(tg.grpc, [fx.large]);
    m.large = await alternate(scale.rounds, () => h2loadRound(nul, fx.large, scale), () => h2loadRound(tg, fx.large, scale));
  } finally {
    await Promise.all([nul.stop(), tg.stop()]);
  }
}

/** Every tollgate round gets tokens it has never seen; T1b divides by the higher null figure (h2load's or the Node client's). */
async function coldWorkload(fx: Fixtures, scale: Scale, nul: ServerProcess, tg: ServerProcess, h2loadNullRps: number): Promise<Measured['cold']> {
  const budget = coldBudget(scale);
  const source = (round: number) => ({
    kind: 'cold' as const, template: fx.cold.frame, tokenOffset: fx.cold.tokenOffset, privatePem: fx.key.privatePem,
    ...COLD_TOKEN, serialBase: 1_000_000_000 + round * 10_000_000, count: budget, expect: fx.cold.request.expect,
  });
  let elu = 0;
  const ab = await alternate(scale.rounds, () => nodeRound(nul, nodeJob(nul, source(99), scale, false, budget)), async (round) => {
    const f = await nodeRound(tg, nodeJob(tg, source(round), scale, false, budget));
    elu = Math.max(elu, f.clientElu);
    return f;
  });
  const nullRps = Math.max(ab.nullRps, h2loadNullRps);
  return { ...ab, nullRps, throughputRatio: ab.tollgateRps / nullRps, sameClientRatio: ab.throughputRatio, clientElu: elu };
}

/** Run a bench script as a process of its own; its last stdout line is the JSON result. */
function child<T>(args: readonly string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      else reject(new Error(`${path.basename(args.find((a) => a.endsWith('.js')) ?? 'child')} exited with ${code}`));
    });
  });
}

function soakChild(quick: boolean): Promise<SoakResult> {
  // --expose-gc: the soak collects once after the run to report the live heap beside RSS.
  return child(['--expose-gc', path.join(HERE, 'soak.js'), ...(quick ? ['--requests', '100000', '--distinct', '10000'] : [])], 15 * 60_000);
}

function decisionChild(quick: boolean): Promise<DecisionTimes> {
  return child([path.join(HERE, 'decision-time.js'), ...(quick ? ['--calls', '20000', '--cold', '500'] : [])], 10 * 60_000);
}

async function run(p: Plan): Promise<void> {
  const machine = describeMachine(ensureH2load(log));
  log(`tollgate bench (${p.quick ? 'quick' : 'full'}): ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  const fx = createFixtures();
  const m: Record<string, unknown> = {};
  try {
    if (p.sections.has('e2e')) await endToEnd(fx, p, m);
    if (p.sections.has('reload')) {
      log('T7 reloads under load');
      m.reload = await measureReloads(fx, p.scale, p.quick ? 30 : 100);
    }
    if (p.sections.has('startup')) {
      log('T8 start-up');
      m.startup = await measureStartup(fx.policies.large, fx.policies.small, p.quick ? 1 : 3);
    }
    if (p.sections.has('decision')) {
      log('T3–T5 decision time (in-process)');
      m.decision = await decisionChild(p.quick);
    }
    if (p.sections.has('soak')) {
      log('T6 memory soak');
      m.soak = await soakChild(p.quick);
    }
  } finally {
    fx.cleanup();
  }
  writeReport(OUT_DIR, machine, p.quick ? 'quick' : 'full', m as Measured);
  for (const f of figures(m as Measured)) log(`${f.id.padEnd(4)} ${f.value.padEnd(22)} target ${f.target.padEnd(18)} ${f.pass === undefined ? '' : f.pass ? 'PASS' : 'FAIL'}`);
  log(`report: ${path.join(OUT_DIR, 'results.md')}`);
}

run(plan()).catch((err: unknown) => {
  log(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
