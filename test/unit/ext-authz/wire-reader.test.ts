// wire-reader.ts's field table against the descriptors proto-loader builds from proto/ (and
// protobufjs's google.protobuf types): every field the reference knows is in the table, with the
// wire type the reference reads it with, so a proto change cannot leave the direct reader behind.

import { describe, expect, it } from 'vitest';
import { loadExtAuthzPackage } from '../../../src/ext-authz/proto.js';
import { FIELDS, V32 } from '../../../src/ext-authz/wire-reader.js';

interface FieldDescriptor { name: string; number: number; type: string; typeName: string }
interface MessageDescriptor { name: string; field: FieldDescriptor[]; nestedType?: MessageDescriptor[]; options?: { mapEntry?: boolean } | null }

const pkg = loadExtAuthzPackage() as unknown as Record<string, { type?: MessageDescriptor }>;

/** Every message descriptor by its simple name (nested ones included). */
const byName = new Map<string, MessageDescriptor>();
const collect = (m: MessageDescriptor): void => {
  if (!byName.has(m.name)) byName.set(m.name, m);
  for (const n of m.nestedType ?? []) collect(n);
};
for (const def of Object.values(pkg)) if (def.type?.field !== undefined) collect(def.type);

const WIRE: Record<string, number> = {
  TYPE_STRING: 2, TYPE_BYTES: 2, TYPE_INT64: 0, TYPE_UINT64: 0, TYPE_SINT64: 0, TYPE_DOUBLE: 1,
  TYPE_INT32: V32, TYPE_UINT32: V32, TYPE_ENUM: V32, TYPE_BOOL: V32,
};
const simple = (typeName: string): string => typeName.split('.').pop() ?? '';

/** What the table must say for a field: a wire type, the message's name, or the map entry's. */
function expected(owner: MessageDescriptor, f: FieldDescriptor): number | string {
  if (f.type !== 'TYPE_MESSAGE') return WIRE[f.type] ?? -1;
  const entry = owner.nestedType?.find((n) => n.name === simple(f.typeName) && n.options?.mapEntry === true);
  if (entry === undefined) return simple(f.typeName);
  const value = entry.field.find((x) => x.number === 2);
  if (value?.type === 'TYPE_STRING') return 'StringEntry';
  return value === undefined ? '?' : simple(value.typeName) === 'Any' ? 'Any' : `${simple(value.typeName)}Entry`;
}

const messages = Object.keys(FIELDS).filter((name) => !name.endsWith('Entry'));

describe('wire-reader field table', () => {
  it('covers the messages a CheckRequest can hold', () => {
    expect(messages.sort()).toEqual([
      'Address', 'AttributeContext', 'CheckRequest', 'EnvoyInternalAddress', 'HeaderMap', 'HeaderValue', 'HttpRequest',
      'ListValue', 'Metadata', 'Peer', 'Pipe', 'Request', 'SocketAddress', 'Struct', 'TLSSession', 'Timestamp', 'Value',
    ]);
  });

  for (const name of messages) {
    it(`has every field of ${name} with the wire type protobufjs reads it with`, () => {
      const descriptor = byName.get(name);
      expect(descriptor, name).toBeDefined();
      const fromProto = Object.fromEntries((descriptor?.field ?? []).map((f) => [f.number, expected(descriptor as MessageDescriptor, f)]));
      expect({ ...(FIELDS as Record<string, object>)[name] }).toEqual(fromProto);
    });
  }

  it('has the map entries the messages name', () => {
    expect(FIELDS.StringEntry).toEqual({ 1: 2, 2: 2 });
    expect(FIELDS.StructEntry).toEqual({ 1: 2, 2: 'Struct' });
    expect(FIELDS.ValueEntry).toEqual({ 1: 2, 2: 'Value' });
  });
});
