#!/usr/bin/env node
// The `tollgate` executable (dist/tollgate.mjs after the build): runs the CLI bundle
// (dist/tollgate.cjs) through V8's code cache (dist/tollgate.cjs.cache), so start-up reads the
// bytecode of the functions it runs instead of compiling them again (~100 ms of every start,
// bench T8). It does nothing else: the CLI itself is main.ts.
//
// The build writes the cache by starting the server once with TOLLGATE_CODE_CACHE_OUT set
// (esbuild.mjs). The file starts with the SHA-256 of the bundle it was made from: V8 itself
// checks only the source's length (besides its own version and flags), and bytecode of another
// source with the same length would run the wrong code. A missing, stale or foreign cache
// (another Node) is not used, and the bundle compiles as usual.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('./tollgate.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;

const DIGEST_BYTES = 32;

/** The V8 data of the cache, when the cache was made from exactly `digest`'s source. */
function readCache(digest: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined; // no cache: compile as usual
  }
  return file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest) ? file.subarray(DIGEST_BYTES) : undefined;
}

/** Write the cache on exit, once start-up has compiled what it needs (build time only). */
function writeCacheOnExit(script: vm.Script, digest: Buffer, out: string): void {
  process.once('exit', () => {
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
    renameSync(tmp, out);
  });
}

const text = readFileSync(bundle);
const digest = createHash('sha256').update(text).digest();
// The shebang line is not JavaScript once wrapped in the CommonJS function.
const source = text.toString('utf8').replace(/^#!.*/, '');
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData: readCache(digest) });
const out = process.env.TOLLGATE_CODE_CACHE_OUT;
if (out !== undefined && out !== '') writeCacheOnExit(script, digest, out);
const cjsModule = { exports: {} };
const run = script.runInThisContext() as (...args: unknown[]) => void;
run(cjsModule.exports, createRequire(bundle), cjsModule, bundle, path.dirname(bundle));
