// Command-line flags and TOLLGATE_* environment variables → one validated, frozen ServerConfig.
// Every problem is collected and reported together; flags win over the environment.

import { parseArgs } from 'node:util';
import path from 'node:path';
import { parseAddress, type ListenAddress } from './address.js';

export interface ServerConfig {
  readonly policiesDir: string;
  readonly grpc: ListenAddress;
  readonly admin: ListenAddress;
  /** Fallback service when neither context_extensions nor the destination principal selects one. */
  readonly service: string | undefined;
  readonly logLevel: string;
  readonly auditFile: string | undefined;
  readonly auditFailClosed: boolean;
  /** Fraction of allows written to the audit log (denies are always written). */
  readonly auditSampleAllow: number;
  readonly maxMessageBytes: number;
  readonly maxTokenBytes: number;
  readonly decisionCacheSize: number;
  readonly tokenCacheSize: number;
  /** How long a check may wait for a key set being fetched. */
  readonly keyWaitMs: number;
  /** Bound on the SIGTERM drain. */
  readonly drainMs: number;
  /** Headers of a CheckRequest considered at most (more: malformed_request). */
  readonly maxHeaders: number;
  /** Characters of header names and values considered at most (more: malformed_request). */
  readonly maxHeaderBytes: number;
  /** Checks in flight at once; more are denied at once (internal_error, overloaded_in_flight). 0: no bound. */
  readonly maxInFlight: number;
  /** Shed checks while the event loop lags more than this (ms). 0: off. */
  readonly maxEventLoopDelayMs: number;
}

export type ConfigResult = { readonly ok: true; readonly config: ServerConfig } | { readonly ok: false; readonly errors: readonly string[] };

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const SERVE_OPTIONS = {
  policies: { type: 'string' },
  grpc: { type: 'string' },
  admin: { type: 'string' },
  service: { type: 'string' },
  'log-level': { type: 'string' },
  'audit-file': { type: 'string' },
  'audit-fail-closed': { type: 'boolean' },
  'audit-sample-allow': { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'max-token-bytes': { type: 'string' },
  'decision-cache-size': { type: 'string' },
  'token-cache-size': { type: 'string' },
  'key-wait-ms': { type: 'string' },
  'drain-timeout-ms': { type: 'string' },
  'max-headers': { type: 'string' },
  'max-header-bytes': { type: 'string' },
  'max-in-flight': { type: 'string' },
  'max-event-loop-delay-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ENV: Readonly<Record<string, string>> = {
  policies: 'TOLLGATE_POLICIES',
  grpc: 'TOLLGATE_GRPC_ADDR',
  admin: 'TOLLGATE_ADMIN_ADDR',
  service: 'TOLLGATE_SERVICE',
  'log-level': 'TOLLGATE_LOG_LEVEL',
};

export const DEFAULTS = Object.freeze({
  policies: 'policies',
  grpc: '127.0.0.1:9191',
  admin: '127.0.0.1:9090',
  logLevel: 'info',
  maxMessageBytes: 1024 * 1024,
  maxTokenBytes: 8192,
  decisionCacheSize: 10000,
  tokenCacheSize: 10000,
  keyWaitMs: 100,
  drainMs: 5000,
  maxHeaders: 256,
  maxHeaderBytes: 65536,
  maxInFlight: 1024,
  maxEventLoopDelayMs: 0,
});

type Values = Record<string, string | boolean | undefined>;

function pick(values: Values, env: NodeJS.ProcessEnv, name: string): string | undefined {
  const flag = values[name];
  if (typeof flag === 'string') return flag;
  const envName = ENV[name];
  const fromEnv = envName === undefined ? undefined : env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function integer(errors: string[], name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    errors.push(`--${name}: "${text}" is not a whole number from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

function address(errors: string[], name: string, text: string): ListenAddress {
  const parsed = parseAddress(text);
  if ('error' in parsed) {
    errors.push(`--${name}: ${parsed.error}`);
    return { kind: 'tcp', host: '127.0.0.1', port: 0, text };
  }
  return parsed;
}

/** Build the config from already-parsed flag values and the environment. */
export function buildConfig(values: Values, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const errors: string[] = [];
  const logLevel = pick(values, env, 'log-level') ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) errors.push(`--log-level: "${logLevel}" is not one of ${[...LOG_LEVELS].join(', ')}`);
  const sampleText = typeof values['audit-sample-allow'] === 'string' ? values['audit-sample-allow'] : undefined;
  const sample = sampleText === undefined ? 1 : Number(sampleText);
  if (!(sample >= 0 && sample <= 1)) errors.push(`--audit-sample-allow: "${sampleText}" is not a number from 0 to 1`);
  const auditFile = typeof values['audit-file'] === 'string' ? values['audit-file'] : undefined;
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const config: ServerConfig = {
    policiesDir: path.resolve(pick(values, env, 'policies') ?? DEFAULTS.policies),
    grpc: address(errors, 'grpc', pick(values, env, 'grpc') ?? DEFAULTS.grpc),
    admin: address(errors, 'admin', pick(values, env, 'admin') ?? DEFAULTS.admin),
    service: pick(values, env, 'service'),
    logLevel,
    auditFile: auditFile === undefined || auditFile === '' ? undefined : path.resolve(auditFile),
    auditFailClosed: values['audit-fail-closed'] === true,
    auditSampleAllow: Number.isFinite(sample) ? sample : 1,
    maxMessageBytes: integer(errors, 'max-message-bytes', str('max-message-bytes'), DEFAULTS.maxMessageBytes, 1024, 64 * 1024 * 1024),
    maxTokenBytes: integer(errors, 'max-token-bytes', str('max-token-bytes'), DEFAULTS.maxTokenBytes, 256, 1024 * 1024),
    decisionCacheSize: integer(errors, 'decision-cache-size', str('decision-cache-size'), DEFAULTS.decisionCacheSize, 0, 10_000_000),
    tokenCacheSize: integer(errors, 'token-cache-size', str('token-cache-size'), DEFAULTS.tokenCacheSize, 0, 10_000_000),
    keyWaitMs: integer(errors, 'key-wait-ms', str('key-wait-ms'), DEFAULTS.keyWaitMs, 0, 10_000),
    drainMs: integer(errors, 'drain-timeout-ms', str('drain-timeout-ms'), DEFAULTS.drainMs, 0, 600_000),
    maxHeaders: integer(errors, 'max-headers', str('max-headers'), DEFAULTS.maxHeaders, 16, 100_000),
    maxHeaderBytes: integer(errors, 'max-header-bytes', str('max-header-bytes'), DEFAULTS.maxHeaderBytes, 1024, 64 * 1024 * 1024),
    maxInFlight: integer(errors, 'max-in-flight', str('max-in-flight'), DEFAULTS.maxInFlight, 0, 10_000_000),
    maxEventLoopDelayMs: integer(errors, 'max-event-loop-delay-ms', str('max-event-loop-delay-ms'), DEFAULTS.maxEventLoopDelayMs, 0, 60_000),
  };
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: Object.freeze(config) };
}

/** Parse `serve` arguments; unknown flags and stray arguments are errors. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigResult | { readonly ok: 'help' } {
  let values: Values;
  try {
    const parsed = parseArgs({ args: [...argv], options: SERVE_OPTIONS, strict: true, allowPositionals: false });
    values = parsed.values as Values;
  } catch (err) {
    return { ok: false, errors: [(err as Error).message] };
  }
  if (values.help === true) return { ok: 'help' };
  return buildConfig(values, env);
}
