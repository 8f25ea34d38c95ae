// JSON text written straight into a byte buffer that grows as needed: printable ASCII byte by
// byte in JavaScript, anything else through JSON.stringify and Buffer's UTF-8 encoder. It serves
// the audit line's parts kept per object and the lines whose strings need escaping; a line of
// plain strings is joined as text instead (audit-json.ts).

const QUOTE = 0x22;

export class JsonOut {
  buf: Buffer;
  pos = 0;

  constructor(private readonly capacity = 4096) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Start over at 0, giving back a buffer that one huge line grew (it would stay for good). */
  reset(): void {
    this.pos = 0;
    if (this.buf.length > 16 * this.capacity) this.buf = Buffer.allocUnsafe(this.capacity);
  }

  /** Room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text known to be printable ASCII without quotes or backslashes (names, punctuation). */
  raw(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  /** Text already in JSON form (a part serialized before), as UTF-8. */
  json(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A JSON string literal, exactly as JSON.stringify writes it. */
  str(s: string): void {
    this.room(s.length + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) {
        this.escaped(s);
        return;
      }
      buf[pos++] = c;
    }
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /** `name` (printable ASCII, e.g. `,"sub":`) followed by the string literal of `value`. */
  member(name: string, value: string): void {
    this.raw(name);
    this.str(value);
  }

  /** A string literal, or null for undefined and ''. */
  strOrNull(s: string | undefined): void {
    if (s === undefined || s === '') this.raw('null');
    else this.str(s);
  }

  /** A number as JSON.stringify writes it (null when not finite); integers without a string. */
  num(n: number): void {
    if (!Number.isFinite(n)) this.raw('null');
    else if (Number.isSafeInteger(n) && n >= 0) this.uint(n);
    else this.raw(String(n));
  }

  list(values: readonly string[]): void {
    this.raw('[');
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.raw(',');
      this.str(values[i] as string);
    }
    this.raw(']');
  }

  /** The text written from `start` to here: a flat string, smaller to keep than a byte array. */
  textFrom(start: number): string {
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A safe non-negative integer: two int32 halves, since dividing a double is slow and an int32 by 10 is not. */
  private uint(n: number): void {
    if (n < 1e8) {
      this.digits(n, 1);
      return;
    }
    // Below 2^53 the high half stays under 1e8.
    const high = Math.floor(n / 1e8);
    this.digits(high, 1);
    this.digits(n - high * 1e8, 8);
  }

  /** `v` (an integer below 1e8) in decimal, with leading zeros up to `width` digits. */
  private digits(v: number, width: number): void {
    let count = 1;
    for (let p = 10; p <= v; p *= 10) count++;
    if (count < width) count = width;
    this.room(count);
    const buf = this.buf;
    let at = this.pos + count;
    this.pos = at;
    for (let i = 0; i < count; i++) {
      const q = (v / 10) | 0;
      buf[--at] = 0x30 + v - q * 10;
      v = q;
    }
  }

  private escaped(s: string): void {
    const json = JSON.stringify(s);
    this.room(Buffer.byteLength(json, 'utf8'));
    this.pos += this.buf.write(json, this.pos, 'utf8');
  }
}
