// The audit trail (product.md §5): one JSON line per decision through the pino logger `audit`, on
// an asynchronous destination (stdout or a file), formatted after the response unless fail-closed.
// Denies always, allows sampled. When the destination cannot keep up, lines are dropped and
// counted; writable() tells a fail-closed handler when to deny. It does not decide anything and
// never throws on the request path.

import { pino } from 'pino';
import { auditLine } from './audit-json.js';
import { LineBatch, countLines } from './audit-batch.js';
import type { Metrics } from './metrics.js';
import type { DecisionRecord } from './record.js';
import { abandon, endStream, waitFlushed, waitReady, type Destination, type State } from './audit-stream.js';

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

interface Trail {
  readonly dest: Destination;
  readonly events: NodeJS.EventEmitter;
  readonly state: State;
  readonly owned: boolean;
  /** `{"level":30,"pid":…,"hostname":…,"name":"audit"`: pino's own opening of an info line. */
  readonly prefix: string;
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
    // Buffers, not strings: each batch is encoded once here, not measured twice and encoded again.
    pino.destination({ dest: options.file ?? 1, sync: false, maxLength: bufferBytes, append: true, mkdir: false, contentMode: 'buffer' })) as Destination;
  const state: State = { pending: 0, errored: false, dead: false, opened: !(owned && options.file !== undefined), closed: false };
  const events = dest as unknown as NodeJS.EventEmitter;
  watch(dest, events, state, options);
  // The `audit` logger gives the line its pino opening (level, pid, hostname, name); the members
  // are serialized by audit-json.ts, and the line goes to the logger's destination (see write()).
  const logger = pino({ name: 'audit', level: 'info', timestamp: false }, dest as pino.DestinationStream);
  const chindings = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  // A fail-closed handler must stop allowing before the buffer is full, so that the line of the
  // request it allows still fits: keep room for a good many of the largest lines.
  const headroom = Math.min(64 * 1024, Math.floor(bufferBytes / 4));
  const prefix = `{"level":${logger.levels.values.info ?? 30}${typeof chindings === 'string' ? chindings : ''}`;
  return new AuditTrail({ dest, events, state, owned, prefix, sampleAllow, bufferBytes, headroom }, options);
}

/** `events` is `dest` itself, seen as the emitter it is. */
function watch(dest: Destination, events: NodeJS.EventEmitter, state: State, options: AuditOptions): void {
  events.on('drop', (data: string | Buffer) => {
    state.pending = Math.max(0, state.pending - (typeof data === 'string' ? Buffer.byteLength(data) : data.length));
    options.metrics?.auditDropped(countLines(data));
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
    // A failed open is not retried: the stream has no descriptor and never will.
    if (!state.opened) {
      state.dead = true;
      abandon(dest);
    }
  });
}

class AuditTrail implements AuditLog {
  readonly #t: Trail;
  readonly #random: () => number;
  readonly #failClosed: boolean;
  readonly #metrics: Metrics | undefined;
  readonly #reopenable: boolean;
  readonly #batch: LineBatch;

  constructor(trail: Trail, options: AuditOptions) {
    this.#t = trail;
    this.#random = options.random ?? Math.random;
    this.#failClosed = options.failClosed === true;
    this.#metrics = options.metrics;
    this.#reopenable = trail.owned && options.file !== undefined;
    this.#batch = new LineBatch((text, lines) => this.#handOver(text, lines));
  }

  #handOver(bytes: Buffer, lines: number): void {
    const t = this.#t;
    if (t.state.closed || t.state.dead) {
      this.#count(lines);
      return;
    }
    // A batch that would overflow the buffer goes line by line, so that only the lines that do
    // not fit are dropped (and counted), as if each had been written on its own.
    if (t.owned && lines > 1 && t.state.pending + bytes.length > t.bufferBytes) {
      for (let at = 0, nl = bytes.indexOf(10); nl !== -1; at = nl + 1, nl = bytes.indexOf(10, at)) this.#handOver(bytes.subarray(at, nl + 1), 1);
      return;
    }
    try {
      // Bytes handed over minus those written or dropped is the buffer's fill, without reading
      // sonic-boom's private fields. A test stream gets the text, as pino would write it.
      if (t.owned) t.state.pending += bytes.length;
      t.dest.write(t.owned ? bytes : bytes.toString('utf8'));
    } catch {
      this.#count(lines);
    }
  }


  write(rec: DecisionRecord): void {
    const t = this.#t;
    if (rec.decision.verdict === 'allow' && t.sampleAllow < 1 && !(this.#random() < t.sampleAllow)) return;
    if (t.state.closed || t.state.dead) {
      this.#count(1);
      return;
    }
    // Fail-closed: formatted at once, so that writable() counts every line exactly (a queued
    // line's size is not known; a request can make it ~20 KiB).
    if (this.#failClosed) {
      this.#format(rec);
      return;
    }
    // Otherwise after the response: the records of one turn of the event loop are queued and
    // formatted in its check phase (setImmediate), so no Check waits for its own line or for the
    // lines of the checks before it. Records are immutable values; flush() and close() drain first.
    this.#queued.push(rec);
    if (this.#queued.length === 1) setImmediate(this.#drain);
  }

  readonly #queued: DecisionRecord[] = [];

  /** Formats every queued record into the batch. Never throws (it runs from setImmediate). */
  readonly #drain = (): void => {
    const queued = this.#queued;
    try {
      for (let i = 0; i < queued.length; i++) this.#format(queued[i] as DecisionRecord);
    } finally {
      queued.length = 0;
    }
  };

  #format(rec: DecisionRecord): void {
    try {
      // The line pino's logger.info(auditFields(rec)) writes, serialized directly (audit-json.ts)
      // and handed to the same destination: pino's serializer was the largest cost of a Check.
      this.#batch.add(auditLine(this.#t.prefix, rec));
    } catch {
      this.#count(1);
    }
  }

  /** Lines dropped, counted; counting must not throw either. */
  #count(lines: number): void {
    try {
      this.#metrics?.auditDropped(lines);
    } catch {
      // A failing metric must not stop the audit trail.
    }
  }

  writable(): boolean {
    if (!this.#failClosed) return true;
    const { state, owned, headroom, bufferBytes } = this.#t;
    const full = owned && state.pending + this.#batch.pendingBytes + headroom > bufferBytes;
    return !state.closed && !state.dead && !state.errored && !full;
  }

  ready(): Promise<void> {
    return waitReady(this.#t.events, this.#t.state);
  }

  flush(): Promise<void> {
    this.#drain();
    this.#batch.flush();
    return waitFlushed(this.#t.events, this.#t.state, this.#t.owned);
  }

  reopen(): void {
    // Not a stream that never opened: it is marked destroyed (see watch()), and reopening it throws.
    if (this.#reopenable && !this.#t.state.closed && !this.#t.state.dead) this.#t.dest.reopen?.();
  }

  async close(): Promise<void> {
    const { state, events, dest, owned } = this.#t;
    if (state.closed) return;
    this.#drain();
    this.#batch.flush();
    await waitFlushed(events, state, owned);
    // Lines of checks that ended while that was written (a forced shutdown's last in-flight
    // checks): handed over now, and written by the stream's end below.
    this.#drain();
    this.#batch.flush();
    state.closed = true;
    const failed = state.errored || state.dead;
    // What a failing destination still holds cannot be written: give it up (see abandon()).
    if (failed && owned) abandon(dest);
    await endStream(dest, events, failed);
  }
}
