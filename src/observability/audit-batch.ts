// Audit lines gathered and handed to the destination together: one write and one syscall (a
// thread-pool round trip, ~10 µs of CPU) per batch instead of per line. Each line is encoded
// (or copied) straight into the batch's buffer, once. A batch goes out when it reaches FLUSH_BYTES or
// FLUSH_DELAY_MS after its first line, whichever comes first; flush() hands over at once. Lines
// arrive here after their responses (audit.ts formats the records of a loop turn in its check phase).

export type BatchSink = (bytes: Buffer, lines: number) => void;

/** A batch this large goes out at once (about 25 lines). */
export const FLUSH_BYTES = 16 * 1024;
/** Longest a line waits in a batch (the trail lags the decision by at most this plus one loop turn). */
export const FLUSH_DELAY_MS = 20;
/** Room for a batch: a full batch plus one more long line. */
const BATCH_CAPACITY = 2 * FLUSH_BYTES;

export class LineBatch {
  #buf: Buffer | undefined;
  #len = 0;
  #lines = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: BatchSink) {}

  /** One line: text, or bytes copied at once (auditLine()'s view is reused by its next call). */
  add(line: string | Uint8Array): void {
    // Text takes at most 3 bytes of UTF-8 per UTF-16 unit: a line that might not fit starts a new batch.
    const most = typeof line === 'string' ? 3 * line.length : line.length;
    if (this.#buf !== undefined && this.#len + most > this.#buf.length) this.flush();
    const buf = (this.#buf ??= Buffer.allocUnsafe(Math.max(BATCH_CAPACITY, most)));
    if (typeof line === 'string') this.#len += buf.write(line, this.#len, 'utf8');
    else {
      buf.set(line, this.#len);
      this.#len += line.length;
    }
    this.#lines++;
    if (this.#len >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, FLUSH_DELAY_MS);
      // Never keeps a process alive: drain and close flush explicitly.
      this.#timer.unref();
    }
  }

  /** Bytes not yet handed over. */
  get pendingBytes(): number {
    return this.#len;
  }

  /** Hand over what is gathered now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const buf = this.#buf;
    if (buf === undefined || this.#lines === 0) return;
    const bytes = buf.subarray(0, this.#len);
    const lines = this.#lines;
    // A new buffer for the next batch: the destination keeps this one until it is written.
    this.#buf = undefined;
    this.#len = 0;
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
