// A CheckRequest in proto3 JSON (camelCase or original field names, as Envoy's debug output and
// `tollgate check --json` print them) → the object the gRPC server hands the Check handler: the
// JSON is converted along our protos, encoded and decoded with the server's own deserializer.
// Unknown fields are reported and skipped; wrong value types are errors. It decides nothing.

import path from 'node:path';
import protobuf from 'protobufjs';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadExtAuthzPackage, PROTO_DIR } from '../ext-authz/proto.js';
import { wellKnown } from './proto-wkt.js';

export type CheckJsonResult =
  | { readonly ok: true; readonly wire: unknown; readonly ignored: readonly string[] }
  | { readonly ok: false; readonly error: string };

interface Walk {
  readonly ignored: string[];
}

let requestType: protobuf.Type | undefined;

function checkRequestType(): protobuf.Type {
  if (requestType === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    root.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true });
    root.resolveAll();
    requestType = root.lookupType('envoy.service.auth.v3.CheckRequest');
  }
  return requestType;
}

/** Converts the parsed JSON; never throws. */
export function checkRequestFromJson(json: unknown): CheckJsonResult {
  try {
    const type = checkRequestType();
    const walk: Walk = { ignored: [] };
    const plain = convertMessage(type, json, '', walk);
    const bytes = type.encode(type.fromObject(plain)).finish();
    const pkg = loadExtAuthzPackage()['envoy.service.auth.v3.Authorization'] as unknown as { Check: MethodDefinition<unknown, unknown> };
    return { ok: true, wire: pkg.Check.requestDeserialize(Buffer.from(bytes)), ignored: walk.ignored };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldsByName(type: protobuf.Type): Map<string, protobuf.Field> {
  const out = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    out.set(field.name, field);
    out.set(protobuf.util.camelCase(field.name), field);
    const jsonName = (field.options as Record<string, unknown> | undefined)?.['json_name'];
    if (typeof jsonName === 'string') out.set(jsonName, field);
  }
  return out;
}

function convertMessage(type: protobuf.Type, json: unknown, at: string, walk: Walk): Record<string, unknown> {
  const known = wellKnown(type.fullName, json, at);
  if (known !== undefined) return known;
  if (!isRecord(json)) throw new Error(`${at || 'the request'}: expected a JSON object for ${type.fullName.slice(1)}`);
  const fields = fieldsByName(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const where = at === '' ? key : `${at}.${key}`;
    const field = fields.get(key);
    if (field === undefined) {
      walk.ignored.push(where);
      continue;
    }
    if (value === null) continue;
    out[field.name] = convertField(field, value, where, walk);
  }
  return out;
}

function convertField(field: protobuf.Field, value: unknown, at: string, walk: Walk): unknown {
  if (field.map) {
    if (!isRecord(value)) throw new Error(`${at}: expected a JSON object (a map)`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convertValue(field, v, `${at}.${k}`, walk);
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new Error(`${at}: expected a JSON array`);
    return value.map((v, i) => convertValue(field, v, `${at}[${i}]`, walk));
  }
  return convertValue(field, value, at, walk);
}

const NUMERIC = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function convertValue(field: protobuf.Field, value: unknown, at: string, walk: Walk): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    // Any cannot be resolved without the packed type's proto: skip it like an unknown field.
    if (resolved.fullName === '.google.protobuf.Any') {
      walk.ignored.push(at);
      return undefined;
    }
    return convertMessage(resolved, value, at, walk);
  }
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number' || (typeof value === 'string' && value in resolved.values)) return value;
    throw new Error(`${at}: ${JSON.stringify(value)} is not a value of ${resolved.name}`);
  }
  const type = field.type;
  if (type === 'string' || type === 'bytes') {
    if (typeof value === 'string') return value;
    throw new Error(`${at}: expected a string`);
  }
  if (type === 'bool') {
    if (typeof value === 'boolean') return value;
    throw new Error(`${at}: expected true or false`);
  }
  if (NUMERIC.has(type) && (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)))) return value;
  throw new Error(`${at}: expected a number`);
}
