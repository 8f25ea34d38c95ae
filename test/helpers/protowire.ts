// A minimal protobuf wire-format writer and reader for tests: byte layouts are derived from field
// numbers here, independently of protobufjs, so a wrong field number in proto/ fails a test.

export type Field = { readonly no: number; readonly wire: 0 | 2; readonly value: bigint | Uint8Array };

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

/** Field number `no` as varint (wire type 0). */
export function vint(no: number, value: number | bigint): number[] {
  return [...varint(BigInt((no << 3) | 0)), ...varint(BigInt(value))];
}

/** Field number `no` as length-delimited bytes (wire type 2): a string or nested message. */
export function ld(no: number, body: string | number[]): number[] {
  const bytes = typeof body === 'string' ? [...Buffer.from(body, 'utf8')] : body;
  return [...varint(BigInt((no << 3) | 2)), ...varint(BigInt(bytes.length)), ...bytes];
}

/** Parse one message level into its fields in wire order. */
export function parseFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(readVarint());
    const wire = tag & 7;
    const no = tag >>> 3;
    if (wire === 0) fields.push({ no, wire: 0, value: readVarint() });
    else if (wire === 2) {
      const len = Number(readVarint());
      fields.push({ no, wire: 2, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${wire} for field ${no}`);
  }
  return fields;
}

/** All length-delimited values of field `no`. */
export function all(buf: Uint8Array, no: number): Uint8Array[] {
  return parseFields(buf).filter((f) => f.no === no && f.wire === 2).map((f) => f.value as Uint8Array);
}

/** The single length-delimited field `no` (throws when absent). */
export function one(buf: Uint8Array, no: number): Uint8Array {
  const found = all(buf, no);
  if (found.length !== 1 || found[0] === undefined) throw new Error(`expected exactly one field ${no}, found ${found.length}`);
  return found[0];
}

export function text(buf: Uint8Array, no: number): string {
  return Buffer.from(one(buf, no)).toString('utf8');
}

export function num(buf: Uint8Array, no: number): number {
  const f = parseFields(buf).find((x) => x.no === no && x.wire === 0);
  if (f === undefined) throw new Error(`no varint field ${no}`);
  return Number(f.value as bigint);
}
