// Summarizes a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile DIR`, which
// profiles every tollgate process): self time by function and by file, so the hot path can be
// read without a browser. Reading only.
//   node dist/bench/profile.js FILE.cpuprofile [top=30]

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** node_modules/x/… → x/…; the repository prefix dropped. */
function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url;
}

export interface Summary {
  readonly totalMs: number;
  readonly byFunction: readonly (readonly [string, number])[];
  readonly byFile: readonly (readonly [string, number])[];
}

export function summarizeProfile(profile: CpuProfile): Summary {
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id);
    if (us === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url) || functionName;
    const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (m: Map<string, number>): [string, number][] => [...m].map(([k, us]): [string, number] => [k, us / 1000]).sort((a, b) => b[1] - a[1]);
  return { totalMs: total / 1000, byFunction: top(byFunction), byFile: top(byFile) };
}

function print(title: string, rows: readonly (readonly [string, number])[], totalMs: number, top: number): void {
  process.stdout.write(`--- ${title} (of ${totalMs.toFixed(0)} ms)\n`);
  for (const [name, ms] of rows.slice(0, top)) process.stdout.write(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${name}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, topText] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/profile.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const top = Number(topText ?? 30);
  print('self time by function', s.byFunction, s.totalMs, top);
  print('self time by file', s.byFile, s.totalMs, top);
}
