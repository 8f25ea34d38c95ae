// Runs the built `tollgate` CLI (dist/tollgate.mjs, the executable `npm run build` makes, as shipped)
// as a child process and collects its exit code, stdout and stderr. Shared by the cli-*.test.ts files.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist/tollgate.mjs');
export const EXAMPLES = join(ROOT, 'policies');
export const FIXTURES = join(ROOT, 'test/fixtures/cli');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly stdin?: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

export function tollgate(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, TOLLGATE_POLICIES: undefined, ...options.env };
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: env as NodeJS.ProcessEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh directory holding `files` (relative path → content). */
export async function policyDir(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

export const TRUST = 'kind: Trust\ntrustDomains: [example.org]\n';

/** Every stdout line of lint's text format. */
export const PROBLEM_LINE = /^.+:\d+:\d+: (error|warning): .+$/;

/** Resolves with the first JSON stderr line of a running `tollgate serve` whose msg is `msg`. */
export function logLine(child: ChildProcess, msg: string): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) if (line.includes(`"msg":"${msg}"`)) resolve(JSON.parse(line) as Record<string, string | number>);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before "${msg}"`)));
  });
}
