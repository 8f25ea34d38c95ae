// Audit lines gathered and handed to the destination together: one write, one byte count and one
// syscall (a thread-pool round trip, ~10 µs of CPU) per batch instead of per line. A batch goes
// out when it reaches FLUSH_CHARS or FLUSH_DELAY_MS after its first line, whichever comes first;
// flush() (drain, close, tests) hands over at once.

export type BatchSink = (text: string, lines: number) => void;

/** A batch this large goes out at once (about 25 lines). */
export const FLUSH_CHARS = 16 * 1024;
/** Longest a line waits in a batch (the audit trail lags the decision by at most this). */
export const FLUSH_DELAY_MS = 20;

export class LineBatch {
  #text = '';
  #lines = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: BatchSink) {}

  add(line: string): void {
    this.#text += line;
    this.#lines++;
    if (this.#text.length >= FLUSH_CHARS) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, FLUSH_DELAY_MS);
      // Never keeps a process alive: drain and close flush explicitly.
      this.#timer.unref();
    }
  }

  /** Characters not yet handed over (≈ bytes: audit lines are mostly ASCII). */
  get pendingChars(): number {
    return this.#text.length;
  }

  /** Hand over what is gathered now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines === 0) return;
    const text = this.#text;
    const lines = this.#lines;
    this.#text = '';
    this.#lines = 0;
    this.sink(text, lines);
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
