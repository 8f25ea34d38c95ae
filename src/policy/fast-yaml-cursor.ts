// Parse state shared by the fast YAML parser's files: the cursor over the text, the scratch stacks
// that collections are gathered on, and the position tape (offsets of every node, kept off the JS
// heap). It knows no YAML beyond the characters it names.

/** Thrown (one shared instance, no stack work) to abandon the fast path. */
export const UNSUPPORTED = new Error('outside the fast YAML subset');
export function bail(): never {
  throw UNSUPPORTED;
}

export const C = { TAB: 9, NL: 10, SP: 32, DQ: 34, HASH: 35, SQ: 39, COMMA: 44, DASH: 45, COLON: 58, LBRACK: 91, BSLASH: 92, RBRACK: 93, LBRACE: 123, RBRACE: 125 } as const;

// Deeper than any policy; also keeps hostile nesting far from the stack limit.
const MAX_DEPTH = 64;

/** A growable Int32Array: offsets need no GC work, unlike one small JS array per collection. */
class Ints {
  buf: Int32Array;
  top = 0;
  constructor(capacity: number) {
    this.buf = new Int32Array(capacity);
  }
  push(value: number): void {
    if (this.top === this.buf.length) this.reserve(1);
    this.buf[this.top++] = value;
  }
  reserve(more: number): void {
    if (this.top + more <= this.buf.length) return;
    const next = new Int32Array(Math.max(this.buf.length * 2, this.top + more));
    next.set(this.buf.subarray(0, this.top));
    this.buf = next;
  }
}

/**
 * The position tape. A scalar's ref is its offset (>= 0). A collection's record, written when it
 * closes (children first), is [own offset, count * 2 + (map ? 1 : 0), entries...] where a
 * sequence entry is an item's ref and a map entry is [key offset, value ref]; its ref is
 * -(index + 1). Keys are not stored: they are read again from the text on the rare lookup.
 */
export type Tape = Int32Array;

/** Parse state; every parse function leaves the ref of what it returned in `pos`. */
/** Keys of one map the fast path takes (see addKey). */
const MAX_MAP_KEYS = 256;

export class Cursor {
  i = 0;
  lineStart = 0;
  depth = 0;
  /** Where the last scanned plain scalar ends (trailing spaces excluded). */
  end = 0;
  pos = 0;
  // Scratch stacks for open collections: sequence items (copied out at exact size, since an
  // array grown by push reserves ~17 slots and most policy lists hold 1 to 4), map keys (for
  // the duplicate check) and record entries (copied to the tape when the collection closes).
  private readonly items: unknown[] = [];
  private itemTop = 0;
  private readonly keys: string[] = [];
  private keyTop = 0;
  private readonly slots = new Ints(64);
  // The last key seen per (first char, last char, length) slot: policy files repeat a few dozen
  // keys thousands of times, and reusing one string skips a slice and the engine's interning.
  private readonly keyCache: (string | undefined)[] = new Array<string | undefined>(256);
  private readonly tape: Ints;

  /** `withTape` is false for a cursor that only reads (fast-yaml-locate.ts). */
  constructor(
    readonly s: string,
    withTape = true,
  ) {
    this.tape = new Ints(withTape ? Math.max(64, s.length >> 3) : 0);
  }

  /** The text from `start` to `end` (non-empty), as a string shared with earlier equal keys. */
  keyText(start: number, end: number): string {
    const s = this.s;
    const len = end - start;
    const slot = (s.charCodeAt(start) * 31 + s.charCodeAt(end - 1) * 7 + len) & 255;
    const seen = this.keyCache[slot];
    if (seen !== undefined && seen.length === len && s.startsWith(seen, start)) return seen;
    const key = s.slice(start, end);
    this.keyCache[slot] = key;
    return key;
  }
  enter(): void {
    if (++this.depth > MAX_DEPTH) bail();
  }
  itemBase(): number {
    return this.itemTop;
  }
  addItem(value: unknown): void {
    this.items[this.itemTop++] = value;
  }
  closeItems(base: number): unknown[] {
    const out = this.items.slice(base, this.itemTop);
    this.itemTop = base;
    return out;
  }
  /** Start a record with the collection's own offset; returns the base to close it at. */
  openRecord(at: number): number {
    this.slots.push(at);
    return this.slots.top - 1;
  }
  /** Append an entry (a ref, or a key offset and a ref) to the innermost open record. */
  addSlot(slot: number): void {
    this.slots.push(slot);
  }
  /**
   * A map's key: refused (UNSUPPORTED) when the open map `keyBase` already has it. The check is a
   * scan, so a map with more keys than policy files have goes to `yaml` (no quadratic blow-up).
   */
  addKey(keyBase: number, key: string): void {
    if (this.keyTop - keyBase >= MAX_MAP_KEYS) bail();
    for (let k = keyBase; k < this.keyTop; k++) if (this.keys[k] === key) bail();
    this.keys[this.keyTop++] = key;
  }
  keyBase(): number {
    return this.keyTop;
  }
  /** Move the record opened at `base` to the tape; cur.pos becomes its ref. */
  closeRecord(base: number, map: boolean, keyBase = this.keyTop): void {
    const entries = this.slots.top - base - 1;
    const count = map ? entries / 2 : entries;
    const tape = this.tape;
    tape.reserve(entries + 2);
    const at = tape.top;
    tape.buf[at] = this.slots.buf[base] ?? 0;
    tape.buf[at + 1] = count * 2 + (map ? 1 : 0);
    // A loop, not set(subarray(...)): records are short and subarray allocates.
    for (let k = 0; k < entries; k++) tape.buf[at + 2 + k] = this.slots.buf[base + 1 + k] ?? 0;
    tape.top = at + 2 + entries;
    this.slots.top = base;
    this.keyTop = keyBase;
    this.depth--;
    this.pos = -(at + 1);
  }
  /** The tape at its exact size (the growth slack would stay allocated with the source). */
  finish(): Tape {
    return this.tape.buf.slice(0, this.tape.top);
  }
}

/** Space, tab, newline or end of input: what ends an indicator like `-` or `:`. */
export function isBlank(c: number): boolean {
  return c === C.SP || c === C.NL || c === C.TAB || Number.isNaN(c);
}

export function skipSpaces(cur: Cursor): void {
  while (cur.s.charCodeAt(cur.i) === C.SP) cur.i++;
}
