// The benchmark report: every figure beside its target with PASS/FAIL, the machine, and the raw
// numbers; written as bench/results.md and bench/results.json. Judging a figure against its
// target happens here and nowhere else.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionTimes } from './decision-time.js';
import type { AbResult } from './e2e.js';
import type { Machine } from './machine.js';
import type { ReloadResult } from './reload.js';
import type { SoakResult } from './soak.js';
import type { StartupResult } from './startup.js';
import { round3 } from './stats.js';

export interface Measured {
  readonly warm?: AbResult;
  readonly cold?: AbResult & { readonly clientElu: number; readonly sameClientRatio: number };
  readonly large?: AbResult;
  readonly denyHeavy?: AbResult & { readonly deniedShare: number };
  readonly fixedLoad?: AbResult & { readonly offeredRps: number };
  readonly clientCheck?: { readonly nodeNullRps: number; readonly h2loadNullRps: number; readonly clientElu: number };
  readonly decision?: DecisionTimes;
  readonly soak?: SoakResult;
  readonly reload?: ReloadResult;
  readonly startup?: StartupResult;
}

export interface Figure {
  readonly id: string;
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  /** undefined: informational, no target. */
  readonly pass: boolean | undefined;
}

const r = (n: number): string => String(round3(n));
/** A ratio beside its bound: one more digit where three would print the bound itself (0.8999 is not 0.9). */
const near = (n: number, bound: number): string => (round3(n) === bound && n !== bound ? n.toFixed(4) : r(n));
const us = (n: number): string => `${round3(n)} µs`;

function endToEnd(m: Measured): Figure[] {
  const out: Figure[] = [];
  if (m.warm) out.push({ id: 'T1', figure: 'throughput, workload (a) warm, tollgate ÷ null', value: near(m.warm.throughputRatio, 0.9), target: '≥ 0.90', pass: m.warm.throughputRatio >= 0.9 });
  if (m.cold) {
    // Against the null server driven by the same Node client (the paired A B rounds), for comparison.
    const sameClient = m.cold.sameClientRatio;
    out.push({
      id: 'T1b', figure: `throughput, workload (b) cold tokens, tollgate ÷ null (the higher null figure; ÷ the null with the same Node client: ${r(sameClient)})`,
      value: near(m.cold.throughputRatio, 0.5), target: '≥ 0.50', pass: m.cold.throughputRatio >= 0.5,
    });
  }
  if (m.fixedLoad) out.push({ id: 'T2', figure: `p99 latency at half the null peak (${Math.round(m.fixedLoad.offeredRps)} req/s offered), tollgate ÷ null`, value: near(m.fixedLoad.p99Ratio, 1.15), target: '≤ 1.15', pass: m.fixedLoad.p99Ratio <= 1.15 });
  if (m.warm) out.push({ id: 'cpu', figure: `server CPU per request, workload (a): tollgate ${us(m.warm.tollgateCpuUs)}, null ${us(m.warm.nullCpuUs)}`, value: r(m.warm.tollgateCpuUs / m.warm.nullCpuUs), target: '—', pass: undefined });
  if (m.large) out.push({ id: '(c)', figure: 'throughput, workload (c) 100 × 100 rules, tollgate ÷ null', value: r(m.large.throughputRatio), target: '—', pass: undefined });
  if (m.denyHeavy) out.push({ id: '(d)', figure: `throughput, workload (d) deny-heavy (${Math.round(m.denyHeavy.deniedShare * 100)} % denied), tollgate ÷ null`, value: r(m.denyHeavy.throughputRatio), target: '—', pass: undefined });
  return out;
}

function serverSide(m: Measured): Figure[] {
  const out: Figure[] = [];
  const d = m.decision;
  if (d) {
    out.push({ id: 'T3', figure: 'decision time, warm, p50 / p99', value: `${us(d.warm.p50)} / ${us(d.warm.p99)}`, target: '≤ 10 µs / ≤ 50 µs', pass: d.warm.p50 <= 10 && d.warm.p99 <= 50 });
    const bare = d.bareVerification;
    const probe = `p50 ${us(d.cold.p50)}; one bare ES256 verification, timed alike in the same process: p50 ${us(bare.p50)}, p99 ${us(bare.p99)}`;
    out.push({ id: 'T4', figure: `decision time, cold ES256 token, p99 (${probe})`, value: us(d.cold.p99), target: '≤ 300 µs', pass: d.cold.p99 <= 300 });
    const ratio = d.largeUncached.p50 / d.smallUncached.p50;
    out.push({ id: 'T5', figure: `decision p50 uncached, 100 × 100 rules ÷ 10 rules, median of 5 alternating rounds (${us(d.largeUncached.p50)} ÷ ${us(d.smallUncached.p50)})`, value: near(ratio, 1.2), target: '≤ 1.2', pass: ratio <= 1.2 });
  }
  if (m.soak) {
    const s = m.soak;
    const live = s.liveHeapMB === undefined ? '' : `; live heap after a full GC at the end ${Math.round(s.liveHeapMB)} MB`;
    out.push({ id: 'T6', figure: `RSS after ${s.requests.toLocaleString('en')} requests, ${s.distinct.toLocaleString('en')} distinct tokens and paths (peak; growth over last half${live})`, value: `${Math.round(s.peakRssMB)} MB; ${r(s.growthPct)} %`, target: '≤ 200 MB; ≤ 10 %', pass: s.peakRssMB <= 200 && s.growthPct <= 10 });
  }
  if (m.reload) {
    const x = m.reload;
    out.push({ id: 'T7', figure: `reloads under load: ${x.reloads} of ${x.wanted} reloads, ${x.checked.toLocaleString('en')} responses checked`, value: `${x.failed} failed, ${x.wrong} wrong`, target: '0 failed or wrong', pass: x.reloads >= x.wanted && x.failed === 0 && x.wrong === 0 });
  }
  if (m.startup) {
    const s = m.startup;
    out.push({ id: 'T8', figure: `start-up to ready, 100 × 100-rule policy (median; every service compiled, in the background after ready, at ${Math.round(s.compiledMedianMs)} ms; 10-rule policy: ${Math.round(s.smallMedianMs)} ms; loading and compiling the large set alone: ${Math.round(s.loadMs)} ms)`, value: `${Math.round(s.medianMs)} ms`, target: '≤ 1000 ms', pass: s.medianMs <= 1000 });
  }
  return out;
}

export function figures(m: Measured): Figure[] {
  return [...endToEnd(m), ...serverSide(m)];
}

function abTable(name: string, ab: AbResult): string {
  const row = (who: string, f: AbResult['nullRounds'][number], i: number): string =>
    `| ${name} | ${i + 1} | ${who} | ${Math.round(f.rps)} | ${Math.round(f.p50Us)} | ${Math.round(f.p99Us)} | ${r(f.cpuUs)} | ${f.failed} |`;
  return ab.nullRounds.flatMap((f, i) => [row('null', f, i), row('tollgate', ab.tollgateRounds[i] ?? f, i)]).join('\n');
}

export function markdown(machine: Machine, mode: string, m: Measured): string {
  const table = figures(m).map((f) => `| ${f.id} | ${f.figure} | **${f.value}** | ${f.target} | ${f.pass === undefined ? '—' : f.pass ? 'PASS' : 'FAIL'} |`);
  const rounds = (Object.entries({ '(a) warm': m.warm, '(b) cold': m.cold, '(c) large': m.large, '(d) deny-heavy': m.denyHeavy, 'T2 fixed load': m.fixedLoad }) as [string, AbResult | undefined][])
    .filter(([, ab]) => ab !== undefined).map(([n, ab]) => abTable(n, ab as AbResult));
  const client = m.clientCheck
    ? `\nNode client check (workloads (b) and T7 use it): against the null server it reached ${Math.round(m.clientCheck.nodeNullRps)} req/s where h2load reached ${Math.round(m.clientCheck.h2loadNullRps)} req/s (same concurrency); its thread's event-loop utilization was ${r(m.clientCheck.clientElu)} there${m.cold ? ` and ${r(m.cold.clientElu)} during workload (b)` : ''}. T1b divides by the higher of the two null figures.\n`
    : '';
  return `# tollgate benchmark results

${machine.date} · ${mode} run · ${machine.cpu}, ${machine.cores} cores · Node ${machine.node} · ${machine.h2load} · ${machine.os}
Load average at start: ${machine.loadavg}. End-to-end figures are ratios against the null ext_authz server measured in the same run: alternating rounds, each ratio the median of the rounds' own ratios (T1b's headline: tollgate's median ÷ the higher null median).

| # | figure | measured | target | result |
|---|---|---|---|---|
${table.join('\n')}
${client}
## Rounds (req/s, latency in µs)

| workload | round | server | req/s | p50 | p99 | server CPU µs/req | failed |
|---|---|---|---|---|---|---|---|
${rounds.join('\n')}

Raw figures: results.json. How to run and what each figure means: docs/benchmarks.md.
`;
}

export function writeReport(dir: string, machine: Machine, mode: string, m: Measured): void {
  writeFileSync(join(dir, 'results.md'), markdown(machine, mode, m));
  const soak = m.soak === undefined ? undefined : { ...m.soak, samples: m.soak.samples.map((s) => [s.requests, round3(s.rssMB), round3(s.heapMB)]) };
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ machine, mode, figures: figures(m), measured: { ...m, soak } }, null, 1)}\n`);
}
