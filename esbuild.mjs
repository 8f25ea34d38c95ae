// The build's last step (`npm run build`, after tsc):
// 1. bundles the compiled CLI (dist/src/cli/main.js) and its dependencies into one CommonJS
//    file, dist/tollgate.cjs: Node then loads one module instead of some four hundred, which
//    takes ~140 ms off every start (bench T8). Not minified, so stack traces stay readable.
//    grpc-health-check reads its .proto file from its own package directory, so that one
//    module's __dirname is pointed back there (a separate package would load a second
//    protobufjs: ~60 ms of every start).
// 2. writes the executable, dist/tollgate.mjs (src/cli/launch.ts), which runs that bundle
//    through V8's code cache;
// 3. makes the code cache, dist/tollgate.cjs.cache, by starting the server once on the example
//    policies (127.0.0.1, ephemeral ports) and stopping it: the cache holds the bytecode of
//    everything a start-up runs, ~100 ms more off every start. Without it tollgate works the
//    same, only starts slower, so a failure here is a warning, not a failed build.
//   node esbuild.mjs

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const BUNDLE = 'dist/tollgate.cjs';
const CACHE = `${BUNDLE}.cache`;

/** grpc-health-check's health.js, with __dirname its own directory in node_modules again. */
const healthProtoDir = {
  name: 'grpc-health-check-dirname',
  setup(b) {
    b.onLoad({ filter: /grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/ }, (args) => {
      const here = "require('node:path').dirname(require.resolve('grpc-health-check'))";
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('${__dirname}/../../proto')) throw new Error('grpc-health-check: health.js no longer reads ${__dirname}/../../proto');
      return { contents: `const __healthDir = ${here};\n${text.replaceAll('__dirname', '__healthDir')}`, loader: 'js' };
    });
  },
};

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [healthProtoDir],
  // The plugin's require.resolve finds the package's own directory, on purpose.
  logOverride: { 'require-resolve-not-external': 'silent' },
  // proto.ts finds the .proto files from its own URL; in the bundle that is the bundle's. The
  // banner comes before esbuild's own 'use strict', so it repeats the directive to keep it one.
  define: { 'import.meta.url': '__tollgateUrl' },
  banner: { js: "'use strict'; const __tollgateUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

await build({
  entryPoints: ['dist/src/cli/launch.js'],
  outfile: 'dist/tollgate.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});

rmSync(CACHE, { force: true });
const made = await writeCodeCache();
if (!made) process.stderr.write(`esbuild.mjs: warning: no code cache (${CACHE}); tollgate works, only starts slower\n`);

/** Start `tollgate serve` on the example policies with TOLLGATE_CODE_CACHE_OUT, stop it once ready. */
function writeCodeCache() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-build-'));
  const args = ['dist/tollgate.mjs', 'serve', '--policies', 'policies', '--grpc', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--audit-file', path.join(tmp, 'audit.log')];
  // None of the caller's tollgate settings (a log level that hides the serving line, a service
  // the examples lack) and no NODE_OPTIONS: V8 refuses a cache made under other flags.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOLLGATE_') && k !== 'NODE_OPTIONS'));
  const child = spawn(process.execPath, args, { env: { ...env, TOLLGATE_LOG_LEVEL: 'info', TOLLGATE_CODE_CACHE_OUT: CACHE }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let seen = '';
    let signalled = false;
    const watch = (chunk) => {
      seen = (seen + chunk.toString()).slice(-4096); // a line may arrive in two chunks
      if (!signalled && seen.includes('"msg":"tollgate serving"')) signalled = child.kill('SIGTERM');
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    const done = (ok, why) => {
      clearTimeout(timer);
      rmSync(tmp, { recursive: true, force: true });
      if (!ok) process.stderr.write(`esbuild.mjs: the code-cache run ${why}\n`);
      resolve(ok);
    };
    child.on('error', (err) => done(false, `could not start: ${err.message}`));
    child.on('exit', (code, signal) => done(code === 0 && existsSync(CACHE), `ended with ${code ?? signal}`));
  });
}
