// Operational logs (start-up, reloads, errors) as JSON lines on stderr. Never the audit trail:
// decisions go through audit.ts, on stdout or the audit file.

import { pino } from 'pino';

/** The levels `--log-level` / TOLLGATE_LOG_LEVEL accept (pino's, plus `silent`). */
export const LOG_LEVELS: readonly string[] = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export interface LoggerOptions {
  readonly level: string;
  /** The logger's name (default `tollgate`); modules add `.child({ component: 'policy' })`. */
  readonly name?: string;
  /** Where the lines go instead of stderr (tests). */
  readonly stream?: NodeJS.WritableStream;
}

/**
 * Throws on an unknown level: it is called once at start-up, where a bad flag must fail loudly.
 * stderr is written synchronously: these lines are rare, off the request path, and the last one
 * before a fatal exit (e.g. an invalid policy set) must not be lost.
 */
export function createLogger(options: LoggerOptions): pino.Logger {
  if (!LOG_LEVELS.includes(options.level)) {
    throw new Error(`unknown log level "${options.level}" (expected one of ${LOG_LEVELS.join(', ')})`);
  }
  const destination = options.stream ?? pino.destination({ dest: 2, sync: true });
  return pino({ level: options.level, name: options.name ?? 'tollgate' }, destination);
}
