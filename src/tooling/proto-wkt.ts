// The proto3 JSON forms of the google.protobuf well-known types our protos use (Timestamp,
// Duration, Struct, Value, ListValue, the wrappers) → the message objects protobufjs' fromObject
// takes (protobufjs bundles these types with camelCase field names). Conversion only; other message types are check-json.ts's job.

type Plain = Record<string, unknown>;

const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (n) => `.google.protobuf.${n}`,
  ),
);

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

function fail(at: string, message: string): never {
  throw new Error(`${at}: ${message}`);
}

function nanos(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(9, '0'));
}

function timestamp(json: unknown, at: string): Plain {
  const m = typeof json === 'string' ? TIMESTAMP.exec(json) : null;
  const ms = m === null ? NaN : Date.parse(`${m[1] ?? ''}${m[3] ?? ''}`);
  if (m === null || Number.isNaN(ms)) fail(at, 'expected an RFC 3339 time like "2024-03-01T12:00:00Z"');
  return { seconds: String(Math.floor(ms / 1000)), nanos: nanos(m[2]) };
}

function duration(json: unknown, at: string): Plain {
  const m = typeof json === 'string' ? DURATION.exec(json) : null;
  if (m === null) fail(at, 'expected a duration like "1.5s"');
  const sign = m[1] === '-' ? -1 : 1;
  return { seconds: String(sign * Number(m[2])), nanos: sign * nanos(m[3]) };
}

function value(json: unknown, at: string): Plain {
  if (json === null) return { nullValue: 0 };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: list(json, at) };
  if (typeof json === 'object') return { structValue: struct(json, at) };
  return fail(at, 'expected a JSON value');
}

function list(json: unknown, at: string): Plain {
  if (!Array.isArray(json)) fail(at, 'expected a JSON array');
  return { values: json.map((v, i) => value(v, `${at}[${i}]`)) };
}

function struct(json: unknown, at: string): Plain {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(at, 'expected a JSON object');
  const fields: Record<string, Plain> = {};
  for (const [k, v] of Object.entries(json)) fields[k] = value(v, `${at}.${k}`);
  return { fields };
}

/** The fromObject form of a well-known type's JSON, or undefined when `fullName` is not one. */
export function wellKnown(fullName: string, json: unknown, at: string): Plain | undefined {
  switch (fullName) {
    case '.google.protobuf.Timestamp':
      return timestamp(json, at);
    case '.google.protobuf.Duration':
      return duration(json, at);
    case '.google.protobuf.Struct':
      return struct(json, at);
    case '.google.protobuf.Value':
      return value(json, at);
    case '.google.protobuf.ListValue':
      return list(json, at);
    default:
      return WRAPPERS.has(fullName) ? { value: json } : undefined;
  }
}
