// The audit trail (product.md §5): one JSON line per decision through the pino logger `audit`, on
// an asynchronous destination (stdout or a file). Denies always, allows sampled. When the
// destination cannot keep up, lines are dropped and counted; writable() tells a fail-closed
// handler when to deny. It does not decide anything and never throws on the request path.

import { pino } from 'pino';
import { auditFields } from './audit-line.js';
import type { Metrics } from './metrics.js';
import type { DecisionRecord } from './record.js';

/** Bytes the destination may hold before lines are dropped. */
export const DEFAULT_AUDIT_BUFFER_BYTES = 4 * 1024 * 1024;

export interface AuditOptions {
  /** Append to this file; stdout when absent. */
  readonly file?: string;
  /** Share of allowed decisions logged, 0..1 (default 1). Denies and shadow denies: always. */
  readonly sampleAllow?: number;
  /** writable() turns false while the trail cannot be written; the handler then denies. */
  readonly failClosed?: boolean;
  readonly metrics?: Metrics;
  readonly bufferBytes?: number;
  /** Destination instead of stdout/file (tests). Only its 'error' and 'drop' events are watched. */
  readonly stream?: NodeJS.WritableStream;
  /** Operational errors of the destination (logged once per failure, not per line). */
  readonly logger?: pino.Logger;
  /** Source of randomness for sampling (tests). */
  readonly random?: () => number;
}

export interface AuditLog {
  write(rec: DecisionRecord): void;
  /** Always true unless failClosed; then false while lines cannot be written. */
  writable(): boolean;
  /** Resolves once the file is open (at once for stdout); rejects if it cannot be opened. */
  ready(): Promise<void>;
  /** Resolves when everything handed over so far is written (or the destination failed). */
  flush(): Promise<void>;
  /** Reopen the file (log rotation, e.g. on SIGUSR2); no-op for stdout or a test stream. */
  reopen(): void;
  close(): Promise<void>;
}

interface Destination {
  write(s: string): unknown;
  end(): unknown;
  reopen?(): void;
}

interface State {
  /** Bytes handed to an owned destination and neither written nor dropped yet. */
  pending: number;
  errored: boolean;
  dead: boolean;
  opened: boolean;
  closed: boolean;
}

interface Trail {
  readonly dest: Destination;
  readonly events: NodeJS.EventEmitter;
  readonly state: State;
  readonly owned: boolean;
  readonly logger: pino.Logger;
  readonly sampleAllow: number;
  readonly bufferBytes: number;
  readonly headroom: number;
}

function validate(options: AuditOptions): { sampleAllow: number; bufferBytes: number } {
  const sampleAllow = options.sampleAllow ?? 1;
  const bufferBytes = options.bufferBytes ?? DEFAULT_AUDIT_BUFFER_BYTES;
  if (!(sampleAllow >= 0 && sampleAllow <= 1)) throw new Error(`audit sampleAllow must be within 0..1, got ${sampleAllow}`);
  if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 1024) {
    throw new Error(`audit bufferBytes must be an integer of at least 1024, got ${bufferBytes}`);
  }
  return { sampleAllow, bufferBytes };
}

/** Called once at start-up; throws on bad options (never afterwards). */
export function createAuditLog(options: AuditOptions = {}): AuditLog {
  const { sampleAllow, bufferBytes } = validate(options);
  const owned = options.stream === undefined;
  const dest = (options.stream ??
    pino.destination({ dest: options.file ?? 1, sync: false, maxLength: bufferBytes, append: true, mkdir: false })) as Destination;
  const state: State = { pending: 0, errored: false, dead: false, opened: !(owned && options.file !== undefined), closed: false };
  const events = dest as unknown as NodeJS.EventEmitter;
  watch(events, state, options);
  // Counting bytes handed over (minus those written or dropped) gives the buffer's fill without
  // reading sonic-boom's private fields.
  const streamWrite = (s: string): string => {
    state.pending += Buffer.byteLength(s);
    return s;
  };
  const logger = pino({ name: 'audit', level: 'info', timestamp: false, hooks: owned ? { streamWrite } : {} }, dest as pino.DestinationStream);
  // A fail-closed handler must stop allowing before the buffer is full, so that the line of the
  // request it allows still fits: keep room for a good many of the largest lines.
  const headroom = Math.min(64 * 1024, Math.floor(bufferBytes / 4));
  return new AuditTrail({ dest, events, state, owned, logger, sampleAllow, bufferBytes, headroom }, options);
}

function watch(events: NodeJS.EventEmitter, state: State, options: AuditOptions): void {
  events.on('drop', (data: string) => {
    state.pending = Math.max(0, state.pending - Buffer.byteLength(data));
    options.metrics?.auditDropped(1);
  });
  events.on('write', (n: number) => {
    state.pending = Math.max(0, state.pending - n);
    state.errored = false;
  });
  events.on('ready', () => {
    state.opened = true;
  });
  // Listening also keeps an 'error' event from crashing the process.
  events.on('error', (err: NodeJS.ErrnoException) => {
    if (!state.errored) options.logger?.error({ err, file: options.file ?? 'stdout' }, 'audit destination failed');
    state.errored = true;
    // pino turns writes into no-ops after EPIPE: nothing will ever be written again.
    if (err.code === 'EPIPE') state.dead = true;
  });
}

class AuditTrail implements AuditLog {
  readonly #t: Trail;
  readonly #random: () => number;
  readonly #failClosed: boolean;
  readonly #metrics: Metrics | undefined;
  readonly #reopenable: boolean;

  constructor(trail: Trail, options: AuditOptions) {
    this.#t = trail;
    this.#random = options.random ?? Math.random;
    this.#failClosed = options.failClosed === true;
    this.#metrics = options.metrics;
    this.#reopenable = trail.owned && options.file !== undefined;
  }

  write(rec: DecisionRecord): void {
    const t = this.#t;
    if (rec.decision.verdict === 'allow' && t.sampleAllow < 1 && !(this.#random() < t.sampleAllow)) return;
    if (t.state.closed || t.state.dead) {
      this.#metrics?.auditDropped(1);
      return;
    }
    try {
      t.logger.info(auditFields(rec));
    } catch {
      this.#metrics?.auditDropped(1);
    }
  }

  writable(): boolean {
    if (!this.#failClosed) return true;
    const { state, owned, headroom, bufferBytes } = this.#t;
    const full = owned && state.pending + headroom > bufferBytes;
    return !state.closed && !state.dead && !state.errored && !full;
  }

  ready(): Promise<void> {
    return waitReady(this.#t.events, this.#t.state);
  }

  flush(): Promise<void> {
    return waitFlushed(this.#t.events, this.#t.state, this.#t.owned);
  }

  reopen(): void {
    if (this.#reopenable && !this.#t.state.closed) this.#t.dest.reopen?.();
  }

  async close(): Promise<void> {
    const { state, events, dest, owned } = this.#t;
    if (state.closed) return;
    await waitFlushed(events, state, owned);
    state.closed = true;
    await endStream(dest, events, state.errored || state.dead);
  }
}

function waitReady(events: NodeJS.EventEmitter, state: State): Promise<void> {
  if (state.opened) return Promise.resolve();
  if (state.errored) return Promise.reject(new Error('audit destination could not be opened'));
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      events.off('error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      events.off('ready', onReady);
      reject(err);
    };
    events.once('ready', onReady);
    events.once('error', onError);
  });
}

function waitFlushed(events: NodeJS.EventEmitter, state: State, owned: boolean): Promise<void> {
  if (!owned || state.pending === 0 || state.errored || state.dead) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      events.off('drain', done);
      events.off('error', done);
      resolve();
    };
    events.on('drain', done);
    events.on('error', done);
  });
}

// A destination that never opened would never emit 'close': do not wait for it then.
function endStream(dest: Destination, events: NodeJS.EventEmitter, failed: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (failed) {
      resolve();
      return;
    }
    events.once('close', () => resolve());
    events.once('finish', () => resolve());
    events.once('error', () => resolve());
    try {
      dest.end();
    } catch {
      resolve();
    }
  });
}
