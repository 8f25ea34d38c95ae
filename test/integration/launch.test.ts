// The executable (dist/tollgate.mjs, src/cli/launch.ts) runs the CLI bundle through the build's
// V8 code cache. A cache is an optimisation only: tollgate must behave the same with none, a
// corrupt one, or one made from another bundle (even one of the same length, which V8 alone
// would accept and run as the old code).

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
    const digest = createHash('sha256').update(readFileSync(join(ROOT, 'dist/tollgate.cjs'))).digest();
    expect(cache.subarray(0, 32).equals(digest)).toBe(true);
    expect(cache.length).toBeGreaterThan(32);
  });

  it('answers the same with the built cache, no cache and a corrupt cache', async () => {
    const args = ['lint', EXAMPLES];
    copyFileSync(BUILT_CACHE, CACHE);
    const cached = await run(args);
    rmSync(CACHE);
    const none = await run(args);
    writeFileSync(CACHE, Buffer.concat([readFileSync(BUILT_CACHE).subarray(0, 32), Buffer.from('not V8 data at all')]));
    const corrupt = await run(args);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('0 errors');
    expect(cached).toEqual(none);
    expect(corrupt).toEqual(none);
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
    const digest = createHash('sha256').update(readFileSync(BUNDLE)).digest();
    expect(readFileSync(out).subarray(0, 32).equals(digest)).toBe(true);
  });
});
