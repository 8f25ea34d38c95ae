// A strict protobuf wire-format reader for read-request.ts, with the field table of every message
// a CheckRequest can hold (our proto/ files and protobufjs's google.protobuf types). It gives up
// (throws GIVE_UP) wherever protobufjs might read the same bytes differently; it decides nothing.

export const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** Not a wire type: a varint protobufjs reads as 32 bits, always 5 bytes then 5 more unread. */
export const V32 = 8;

class GiveUp {}
export const GIVE_UP: unknown = new GiveUp();

/**
 * Buffer's own UTF-8 decoder, as protobufjs calls it (toString checks its arguments first). Called
 * as a method of the buffer: V8 then knows the target and makes the fast native call. Called
 * through a variable holding it, it took the slow path in the bundle (dist/tollgate.cjs), where a
 * module's constants are variables: ~200 more instructions for each of a request's ~40 strings.
 */
interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}

/**
 * Every field protobufjs knows, by message: the wire type it reads it with, or the message it
 * decodes from it (a map entry counts as a message). protobufjs reads a known field by its
 * declared type whatever wire type arrives, so a mismatch would put the two readers out of step;
 * and it decodes (and may refuse) every known message, so their contents are checked too even
 * where nothing is read. `Any` is refused: protobufjs unpacks one whose type it knows. A 32-bit
 * varint (V32) must fit in 5 bytes: past that protobufjs steps over 5 more bytes unread.
 */
export const FIELDS = {
  CheckRequest: { 1: 'AttributeContext' },
  AttributeContext: { 1: 'Peer', 2: 'Peer', 4: 'Request', 10: 'StringEntry', 11: 'Metadata', 12: 'TLSSession', 13: 'Metadata' },
  Peer: { 1: 'Address', 2: LEN, 3: 'StringEntry', 4: LEN, 5: LEN },
  Address: { 1: 'SocketAddress', 2: 'Pipe', 3: 'EnvoyInternalAddress' },
  SocketAddress: { 1: V32, 2: LEN, 3: V32, 4: LEN, 5: LEN, 6: V32 },
  Pipe: { 1: LEN, 2: V32 },
  EnvoyInternalAddress: { 1: LEN, 2: LEN },
  Request: { 1: 'Timestamp', 2: 'HttpRequest' },
  Timestamp: { 1: VARINT, 2: V32 },
  HttpRequest: { 1: LEN, 2: LEN, 3: 'StringEntry', 4: LEN, 5: LEN, 6: LEN, 7: LEN, 8: LEN, 9: VARINT, 10: LEN, 11: LEN, 12: LEN, 13: 'HeaderMap' },
  HeaderMap: { 1: 'HeaderValue' },
  HeaderValue: { 1: LEN, 2: LEN, 3: LEN },
  TLSSession: { 1: LEN },
  StringEntry: { 1: LEN, 2: LEN },
  Metadata: { 1: 'StructEntry', 2: 'Any' },
  StructEntry: { 1: LEN, 2: 'Struct' },
  Struct: { 1: 'ValueEntry' },
  ValueEntry: { 1: LEN, 2: 'Value' },
  Value: { 1: V32, 2: I64, 3: LEN, 4: V32, 5: 'Struct', 6: 'ListValue' },
  ListValue: { 1: 'Value' },
} as const satisfies Readonly<Record<string, Readonly<Record<number, number | string>>>>;

/** A message of the table (a misspelt name does not compile, rather than pass as unknown). */
export type MessageName = keyof typeof FIELDS;
const table: Readonly<Record<string, Readonly<Record<number, number | string>> | undefined>> = FIELDS;

/** Map entries whose value is a message: protobufjs refuses one without its value (toObject of null). */
const VALUE_REQUIRED: ReadonlySet<string> = new Set(['StructEntry', 'ValueEntry']);

/** Nesting checked below a skipped field (protobufjs refuses at 100 levels in all). */
const MAX_DEPTH = 32;

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** An unsigned varint of at most 32 bits that ends before `end`. */
  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw GIVE_UP;
      const b = buf[pos++] as number;
      if (i === 4 && b > 0x0f) throw GIVE_UP;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    throw GIVE_UP;
  }

  /** A field's tag; `end` bounds the enclosing message. */
  tag(end: number): number {
    const tag = this.varint(end);
    if (tag < 8) throw GIVE_UP;
    return tag;
  }

  /** The end of a length-delimited field's content, which must lie within `end`. */
  length(wire: number, end: number): number {
    if (wire !== LEN) throw GIVE_UP;
    const n = this.varint(end);
    if (n > end - this.pos) throw GIVE_UP;
    return this.pos + n;
  }

  string(wire: number, end: number): string {
    const stop = this.length(wire, end);
    const s = (this.buf as unknown as Utf8Sliceable).utf8Slice(this.pos, stop);
    this.pos = stop;
    return s;
  }

  bytes(wire: number, end: number): Uint8Array {
    const stop = this.length(wire, end);
    const b = this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return b;
  }

  /** A field of `message` that is not read: passed over, after the checks protobufjs's reading implies. */
  other(message: MessageName, tag: number, end: number, depth = 0): void {
    this.field(message, tag, end, depth);
  }

  private field(message: string, tag: number, end: number, depth: number): void {
    const wire = tag & 7;
    const known = table[message]?.[tag >>> 3];
    if (known === undefined) this.skip(wire, end);
    else if (known === V32) {
      if (wire !== VARINT) throw GIVE_UP;
      this.varint(end);
    } else if (typeof known === 'number') {
      if (wire !== known) throw GIVE_UP;
      this.skip(wire, end);
    } else this.check(known, this.length(wire, end), depth + 1);
  }

  /** A whole message that is not read, up to `end`: every field within bounds and of its type. */
  private check(message: string, end: number, depth: number): void {
    if (depth > MAX_DEPTH || table[message] === undefined) throw GIVE_UP;
    let valued = !VALUE_REQUIRED.has(message);
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag >>> 3 === 2) valued = true;
      this.field(message, tag, end, depth);
    }
    if (!valued) throw GIVE_UP;
  }

  private skip(wire: number, end: number): void {
    if (wire === LEN) this.pos = this.length(wire, end);
    else if (wire === VARINT) this.skipVarint(end);
    else if (wire === I64 || wire === I32) {
      const size = wire === I64 ? 8 : 4;
      if (size > end - this.pos) throw GIVE_UP;
      this.pos += size;
    } else throw GIVE_UP;
  }

  private skipVarint(end: number): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw GIVE_UP;
      if ((this.buf[this.pos++] as number) < 0x80) return;
    }
    throw GIVE_UP;
  }
}
