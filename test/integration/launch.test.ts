// The executable (dist/tollgate.mjs, src/cli/launch.ts) runs the CLI bundle through the build's
// V8 code cache. A cache is an optimisation only: tollgate must behave the same with none, a
// corrupt one, a damaged one (V8 alone would crash on it or run what the damage wrote), or one
// made from another bundle (even one of the same length, which V8 alone would run as the old
// code). The copies live in dist/ so that they resolve node_modules and proto/ as the real one.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, ROOT } from './cli-run.js';

// Inside dist/, so the copy resolves node_modules and proto/ as the real one does.
const DIR = mkdtempSync(join(ROOT, 'dist', '.launch-test-'));
const LAUNCHER = join(DIR, 'tollgate.mjs');
const BUNDLE = join(DIR, 'tollgate.cjs');
const CACHE = `${BUNDLE}.cache`;
const BUILT_CACHE = join(ROOT, 'dist/tollgate.cjs.cache');
const HEADLINE = 'Envoy ext_authz (gRPC v3) authorizer';

copyFileSync(join(ROOT, 'dist/tollgate.mjs'), LAUNCHER);
copyFileSync(join(ROOT, 'dist/tollgate.cjs'), BUNDLE);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the tollgate executable and its code cache', () => {
  it('the build made a code cache for the bundle it built', () => {
    const cache = readFileSync(BUILT_CACHE);
    expect(cache.subarray(0, 32).equals(sha256(readFileSync(join(ROOT, 'dist/tollgate.cjs'))))).toBe(true);
    expect(cache.subarray(32, 64).equals(sha256(cache.subarray(64)))).toBe(true);
    expect(cache.length).toBeGreaterThan(64);
  });

  it('answers the same with the built cache, no cache, a corrupt cache and a damaged one', async () => {
    const args = ['lint', EXAMPLES];
    const built = readFileSync(BUILT_CACHE);
    copyFileSync(BUILT_CACHE, CACHE);
    const cached = await run(args);
    rmSync(CACHE);
    const none = await run(args);
    writeFileSync(CACHE, Buffer.concat([built.subarray(0, 64), Buffer.from('not V8 data at all')]));
    const corrupt = await run(args);
    // The headers still match the bundle; bytes in the middle of the V8 data are not what they were.
    const damaged = Buffer.from(built);
    for (const at of [100, 1000, Math.floor(damaged.length / 2)]) damaged.fill(0xa5, at, at + 64);
    writeFileSync(CACHE, damaged);
    const afterDamage = await run(args);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('0 errors');
    expect(cached).toEqual(none);
    expect(corrupt).toEqual(none);
    expect(afterDamage).toEqual(none);
  });

  it('runs a changed bundle as changed, never as the code the cache was made from', async () => {
    const original = readFileSync(join(ROOT, 'dist/tollgate.cjs'), 'utf8');
    expect(original).toContain(HEADLINE);
    // Same length: V8's own check (the source length) would take the old bytecode.
    writeFileSync(BUNDLE, original.replace(HEADLINE, HEADLINE.toUpperCase()));
    copyFileSync(BUILT_CACHE, CACHE);
    const changed = await run(['--help']);
    writeFileSync(BUNDLE, original);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain(HEADLINE.toUpperCase());
  });

  it('writes a cache for its own bundle when TOLLGATE_CODE_CACHE_OUT names a file', async () => {
    const out = join(DIR, 'written.cache');
    const result = await run(['--help'], { TOLLGATE_CODE_CACHE_OUT: out });
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const written = readFileSync(out);
    expect(written.subarray(0, 32).equals(sha256(readFileSync(BUNDLE)))).toBe(true);
    expect(written.subarray(32, 64).equals(sha256(written.subarray(64)))).toBe(true);
  });
});
