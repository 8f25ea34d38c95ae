#!/usr/bin/env node
// The `tollgate` executable (dist/tollgate.mjs after the build): runs the CLI bundle
// (dist/tollgate.cjs) through V8's code cache (dist/tollgate.cjs.cache), so start-up reads the
// bytecode of the functions it runs instead of compiling them again (~100 ms of every start,
// bench T8). It does nothing else: the CLI itself is main.ts.
//
// The build writes the cache by starting the server once with TOLLGATE_CODE_CACHE_OUT set
// (esbuild.mjs). The file starts with the SHA-256 of the bundle it was made from and the SHA-256
// of the V8 data that follows: V8 itself checks only the source's length (besides its own
// version and flags) and, in release builds, not its data's checksum, so bytecode of another
// source of the same length, or a damaged file, would run the wrong code or crash. A missing,
// stale, damaged or foreign cache (another Node, other V8 flags) is not used, and the bundle
// compiles as usual.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('./tollgate.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;

const DIGEST_BYTES = 32;

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The V8 data of the cache, when it was made from exactly `digest`'s source and is intact. */
function readCache(digest: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined; // no cache: compile as usual
  }
  if (file.length <= 2 * DIGEST_BYTES || !file.subarray(0, DIGEST_BYTES).equals(digest)) return undefined;
  const data = file.subarray(2 * DIGEST_BYTES);
  return file.subarray(DIGEST_BYTES, 2 * DIGEST_BYTES).equals(sha256(data)) ? data : undefined;
}

/** Write the cache on exit, once start-up has compiled what it needs (build time only). A
 *  failure leaves no cache, which only makes starts slower, and never the exit code. */
function writeCacheOnExit(script: vm.Script, digest: Buffer, out: string): void {
  process.once('exit', () => {
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      const data = script.createCachedData();
      writeFileSync(tmp, Buffer.concat([digest, sha256(data), data]));
      renameSync(tmp, out);
    } catch (err) {
      process.stderr.write(`tollgate: no code cache written to ${out}: ${(err as Error).message}\n`);
    }
  });
}

const text = readFileSync(bundle);
const digest = sha256(text);
// The shebang line is not JavaScript once wrapped in the CommonJS function.
const source = text.toString('utf8').replace(/^#!.*/, '');
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData: readCache(digest) });
const out = process.env.TOLLGATE_CODE_CACHE_OUT;
if (out !== undefined && out !== '') writeCacheOnExit(script, digest, out);
const cjsModule = { exports: {} };
const run = script.runInThisContext() as (...args: unknown[]) => void;
run(cjsModule.exports, createRequire(bundle), cjsModule, bundle, path.dirname(bundle));
