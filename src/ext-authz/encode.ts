// CheckResponse (the WireCheckResponse respond.ts builds) → protobuf bytes, written directly: the
// same bytes @grpc/proto-loader's serializer writes (a test holds them equal), without its
// fromObject copy of every header and metadata value, which cost more than the decision itself.
// It encodes exactly the fields respond.ts sets; anything else is the generic serializer's job.

import type { WireCheckResponse, WireHeaderOption, WireStruct } from './respond.js';

const VARINT = 0;
const LEN = 2;

/**
 * Written back to front, so that every length is known when its prefix is written and each
 * string is scanned once; the finished bytes are copied out of a scratch buffer.
 */
export class Backwards {
  buf: Buffer;
  pos: number;

  constructor(capacity: number) {
    this.buf = scratch.length >= capacity ? scratch : (scratch = Buffer.allocUnsafe(capacity));
    this.pos = this.buf.length;
  }

  varint(n: number): void {
    let size = 1;
    for (let v = n; v >= 0x80; v = Math.floor(v / 128)) size++;
    let at = (this.pos -= size);
    while (n >= 0x80) {
      this.buf[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[at] = n;
  }

  /** Tag and length of a length-delimited field whose content ends at `end` (already written). */
  close(field: number, end: number): void {
    this.varint(end - this.pos);
    this.buf[--this.pos] = (field << 3) | LEN;
  }

  uint(field: number, n: number): void {
    // No response code is negative or fractional; such a value is left to the generic serializer.
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot encode ${n} here`);
    this.varint(n);
    this.buf[--this.pos] = (field << 3) | VARINT;
  }

  string(field: number, s: string): void {
    const end = this.pos;
    let at = end - s.length;
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: Node's own UTF-8 encoder (lone surrogates become U+FFFD, as in Buffer.from).
        const bytes = Buffer.from(s, 'utf8');
        at = end - bytes.length;
        bytes.copy(buf, at);
        break;
      }
      buf[at + i] = c;
    }
    this.pos = at;
    this.close(field, end);
  }
}

let scratch = Buffer.allocUnsafe(16 * 1024);

export function option(w: Backwards, field: number, h: WireHeaderOption): void {
  const end = w.pos;
  if (h.append_action !== undefined) w.uint(3, h.append_action);
  const header = w.pos;
  w.string(2, h.header.value);
  w.string(1, h.header.key);
  w.close(1, header);
  w.close(field, end);
}

/** The struct's fields from the `from`-th on (map entries, each a key and a string Value). */
export function structFields(w: Backwards, s: WireStruct, from = 0): void {
  const keys = Object.keys(s.fields);
  for (let i = keys.length - 1; i >= from; i--) {
    const key = keys[i] as string;
    const entry = w.pos;
    const value = w.pos;
    const text = s.fields[key]?.stringValue;
    if (text !== undefined) w.string(3, text);
    w.close(2, value);
    w.string(1, key);
    w.close(1, entry);
  }
}

function struct(w: Backwards, field: number, s: WireStruct): void {
  const end = w.pos;
  structFields(w, s);
  w.close(field, end);
}

function options(w: Backwards, field: number, list: readonly WireHeaderOption[]): void {
  for (let i = list.length - 1; i >= 0; i--) option(w, field, list[i] as WireHeaderOption);
}

/** An upper bound of the encoded size: 3 bytes per UTF-16 unit plus framing for every string. */
export function bound(r: WireCheckResponse): number {
  let n = 64 + 3 * (r.status.message?.length ?? 0);
  const each = (list: readonly WireHeaderOption[]): void => {
    for (const h of list) n += 3 * (h.header.key.length + h.header.value.length) + 32;
  };
  if (r.ok_response !== undefined) {
    each(r.ok_response.headers);
    for (const name of r.ok_response.headers_to_remove) n += 3 * name.length + 12;
  }
  if (r.denied_response !== undefined) {
    each(r.denied_response.headers);
    n += 3 * r.denied_response.body.length + 24;
  }
  const fields = r.dynamic_metadata?.fields ?? {};
  for (const key in fields) n += 3 * (key.length + (fields[key]?.stringValue.length ?? 0)) + 32;
  return n;
}

export function encodeCheckResponse(r: WireCheckResponse): Buffer {
  const w = new Backwards(bound(r));
  const end = w.pos;
  if (r.dynamic_metadata !== undefined) struct(w, 4, r.dynamic_metadata);
  const ok = r.ok_response;
  if (ok !== undefined) {
    const okEnd = w.pos;
    for (let i = ok.headers_to_remove.length - 1; i >= 0; i--) w.string(5, ok.headers_to_remove[i] as string);
    options(w, 2, ok.headers);
    w.close(3, okEnd);
  }
  const denied = r.denied_response;
  if (denied !== undefined) {
    const deniedEnd = w.pos;
    w.string(3, denied.body);
    options(w, 2, denied.headers);
    const status = w.pos;
    w.uint(1, denied.status.code);
    w.close(1, status);
    w.close(2, deniedEnd);
  }
  const status = w.pos;
  if (r.status.message !== undefined) w.string(2, r.status.message);
  w.uint(1, r.status.code);
  w.close(1, status);
  return Buffer.from(w.buf.subarray(w.pos, end));
}
