// Audit lines gathered and handed to the destination together: one write and one syscall (a
// thread-pool round trip, ~10 µs of CPU) per batch instead of per line. Each line is encoded
// straight into the batch's buffer (writer()/commit()), once. A batch goes out when it reaches
// FLUSH_BYTES or FLUSH_DELAY_MS after its first line, whichever comes first; flush() hands over
// at once.

import { JsonOut } from './json-out.js';

export type BatchSink = (bytes: Buffer, lines: number) => void;

/** A batch this large goes out at once (about 25 lines). */
export const FLUSH_BYTES = 16 * 1024;
/** Longest a line waits in a batch (the audit trail lags the decision by at most this). */
export const FLUSH_DELAY_MS = 20;
/** Room for a batch: a full batch plus one more long line. */
const BATCH_CAPACITY = 2 * FLUSH_BYTES;

export class LineBatch {
  /** The batch being gathered: its buffer and length. */
  #out: JsonOut | undefined;
  #lines = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: BatchSink) {}

  /**
   * The batch's writer, positioned after the lines gathered so far: write one whole line into it,
   * then commit(). A line is thus encoded straight into the batch, with no copy and no view of
   * its own. A line that outgrows the buffer makes it grow (room()); a failed line is taken back
   * with `out.pos = start`.
   */
  writer(): JsonOut {
    return (this.#out ??= new JsonOut(BATCH_CAPACITY));
  }

  /** The line just written into writer() is complete. */
  commit(): void {
    this.#lines++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, FLUSH_DELAY_MS);
      // Never keeps a process alive: drain and close flush explicitly.
      this.#timer.unref();
    }
  }

  /** One line, text or bytes, copied at once (the caller may reuse its buffer). */
  add(line: string | Uint8Array): void {
    // Text takes at most 3 bytes of UTF-8 per UTF-16 unit: a line that might not fit starts a new batch.
    const most = typeof line === 'string' ? 3 * line.length : line.length;
    const out = this.#out;
    if (out !== undefined && out.pos + most > out.buf.length) this.flush();
    const o = this.writer();
    if (typeof line === 'string') o.json(line);
    else o.bytes(line);
    this.commit();
  }

  /** Bytes not yet handed over. */
  get pendingBytes(): number {
    return this.#out?.pos ?? 0;
  }

  /** Hand over what is gathered now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const out = this.#out;
    if (out === undefined || this.#lines === 0) return;
    const bytes = out.buf.subarray(0, out.pos);
    const lines = this.#lines;
    // A new buffer for the next batch: the destination keeps this one until it is written.
    this.#out = undefined;
    this.#lines = 0;
    this.sink(bytes, lines);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };
}

/** Lines in a chunk of audit text or bytes (one '\n' each). */
export function countLines(chunk: string | Uint8Array): number {
  let n = 0;
  if (typeof chunk === 'string') {
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) n++;
  } else {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}
