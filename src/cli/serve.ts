// `tollgate serve`: config → logger → running server, plus the process signals (SIGHUP reload,
// SIGTERM/SIGINT bounded drain). Start-up problems exit 2 with a clear message.

import v8 from 'node:v8';
import { parseServeArgs } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { startTollgate } from '../server/app.js';
import { governHeap, thresholdFor } from '../server/heap.js';
import { SERVE_USAGE } from './usage.js';

/** Resolves with -1 once serving (the process then lives until a signal), or an exit code. */
export async function serve(argv: readonly string[]): Promise<number> {
  const parsed = parseServeArgs(argv);
  if (parsed.ok === 'help') {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`tollgate serve: ${e}\n`);
    return 2;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel });
  let started;
  try {
    started = await startTollgate(config, logger);
  } catch (err) {
    // e.g. the address is in use: exit at once, whatever was already opened.
    process.stderr.write(`tollgate serve: cannot start: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (!started.ok) {
    for (const p of started.problems) process.stderr.write(`${p}\n`);
    // Each problem names its own file (a policy's file:line:col, or --audit-file PATH).
    process.stderr.write(`tollgate serve: not starting: ${started.problems.length === 1 ? 'the problem' : 'the problems'} above\n`);
    process.exit(2);
  }
  const { tollgate } = started;
  // The heap in use is read at the first check, a second from now: by then the held lint warnings
  // have been logged and the load's own garbage is no longer counted as the policies' size.
  governHeap({ thresholdMb: () => thresholdFor(v8.getHeapStatistics().used_heap_size / 2 ** 20) });
  process.on('SIGHUP', () => {
    logger.info({}, 'SIGHUP: reloading policies');
    tollgate.reload().catch((err: unknown) => logger.error({ err }, 'reload failed'));
  });
  process.on('SIGUSR2', () => {
    logger.info({}, 'SIGUSR2: reopening the audit file');
    tollgate.reopenAudit();
  });
  const stop = (signal: string): void => {
    logger.info({ signal, drainMs: config.drainMs }, 'draining');
    const hard = setTimeout(() => process.exit(0), config.drainMs + 1000);
    hard.unref();
    tollgate.drain().then(
      () => {
        logger.info({}, 'drained; exiting');
        process.exit(0);
      },
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Only now: a supervisor that signals as soon as it reads this line must find the handlers
  // in place (before them, the signal's default action would end the process without a drain).
  logger.info({ grpc: tollgate.grpc.address, admin: tollgate.admin.address, policies: config.policiesDir }, 'tollgate serving');
  return -1;
}
