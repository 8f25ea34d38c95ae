// read-request.ts against proto-loader, through the Check method's deserializer as the server uses
// it: for every input, the Request decode.ts makes of what the server reads equals the one it
// makes of proto-loader's object (header order included), and Envoy's requests are read directly.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckRequest, UNDECODABLE } from '../../../src/ext-authz/decode.js';
import { readCheckRequest } from '../../../src/ext-authz/read-request.js';
import { authorizationService } from '../../../src/ext-authz/proto.js';
import { tolerantService } from '../../../src/server/grpc.js';
import type { Request } from '../../../src/decision/types.js';
import { ld, vint } from '../../helpers/protowire.js';
import { wireArb } from '../../fuzz/arb-request.js';
import { fuzzParams, fuzzRuns } from '../../fuzz/runs.js';
import { createWorld, type World } from '../../fuzz/world.js';

type Method = { requestDeserialize(b: Buffer): unknown; requestSerialize(v: unknown): Buffer };
const generic = authorizationService().Check as unknown as Method;
const served = tolerantService().Check as unknown as Method;

function reference(bytes: Buffer): unknown {
  try {
    return generic.requestDeserialize(bytes);
  } catch {
    return UNDECODABLE;
  }
}

/** A Request with its Maps as entry lists, so that order counts too. */
const plain = (r: Request): unknown => ({ ...r, headers: [...r.headers], contextExtensions: [...r.contextExtensions] });

function expectSame(bytes: Buffer): void {
  expect(plain(decodeCheckRequest(served.requestDeserialize(bytes)))).toEqual(plain(decodeCheckRequest(reference(bytes))));
}

const entry = (no: number, key: string, value: string | number[]): number[] => ld(no, [...ld(1, key), ...ld(2, value)]);
const GET = [...ld(2, 'GET'), ...ld(4, '/public')];
/** A CheckRequest whose AttributeContext holds an HTTP GET /public plus `fields`. */
const attributes = (...fields: number[][]): Buffer => Buffer.from(ld(1, [...ld(4, ld(2, GET)), ...fields.flat()]));
/** A Struct value nested `depth` times (Value.struct_value → Struct.fields entry → Value). */
const nested = (depth: number): number[] => {
  let v: number[] = ld(3, 'leaf');
  for (let i = 0; i < depth; i++) v = ld(5, entry(1, 'k', v));
  return v;
};
const metadata = (value: number[]): number[] => ld(11, entry(1, 'envoy.filters.http.jwt_authn', entry(1, 'k', value)));
const http = (...fields: number[][]): Buffer => Buffer.from(ld(1, ld(4, ld(2, [...ld(2, 'GET'), ...ld(4, '/v1/a'), ...fields.flat()]))));
const source = (...fields: number[][]): Buffer => Buffer.from(ld(1, [...ld(1, fields.flat()), ...ld(4, ld(2, [...ld(2, 'GET'), ...ld(4, '/v1/a')]))]));

// What Envoy sends: lower-case names in the `headers` map, every other attribute besides.
const ENVOY = Buffer.from(ld(1, [
  ...ld(1, [...ld(1, ld(1, [...ld(2, '10.1.2.3'), ...vint(3, 40123)])), ...ld(4, 'spiffe://example.org/ns/a/sa/b'), ...ld(5, '-----BEGIN%20CERTIFICATE-----')]),
  ...ld(2, [...ld(1, ld(1, [...ld(2, '10.0.0.9'), ...vint(3, 8443)])), ...ld(4, 'spiffe://example.org/ns/p/sa/api')]),
  ...ld(4, [...ld(1, [...vint(1, 1700000000), ...vint(2, 5)]), ...ld(2, [
    ...ld(1, 'req-1'), ...ld(2, 'POST'), ...entry(3, ':authority', 'pay.local'), ...entry(3, 'content-type', 'application/grpc'),
    ...entry(3, 'authorization', 'Bearer a.b.c'), ...entry(3, 'x-request-id', 'abc'), ...ld(4, '/pay.v1.Pay/Charge?x=1'),
    ...ld(5, 'pay.local'), ...ld(6, 'https'), ...vint(9, 120), ...ld(10, 'HTTP/2'),
  ])]),
  ...entry(10, 'service', 'payments'),
  ...ld(11, entry(1, 'envoy.filters.http.jwt', '')),
  ...ld(12, ld(1, 'pay.local')),
]));

describe('readCheckRequest', () => {
  it('reads what Envoy sends, and the Request is the one proto-loader leads to', () => {
    expect(readCheckRequest(ENVOY)).toBeDefined();
    expectSame(ENVOY);
    const request = decodeCheckRequest(served.requestDeserialize(ENVOY));
    expect(request.grpcMethod).toBe('pay.v1.Pay/Charge');
    expect(request.headers.get('authorization')).toBe('Bearer a.b.c');
    expect(request.sourceAddress).toBe('10.1.2.3:40123');
    expect(request.contextExtensions.get('service')).toBe('payments');
  });

  const odd: Record<string, Buffer> = {
    'a repeated header name: the last value wins': http(entry(3, 'x-a', '1'), entry(3, 'x-b', '2'), entry(3, 'x-a', '3')),
    'upper-case names, merged with their lower-case twins': http(entry(3, 'X-A', '1'), entry(3, 'x-a', '2'), entry(3, 'Accept', '*/*')),
    'a header named __proto__': http(entry(3, '__proto__', 'x'), entry(3, 'x-a', '1')),
    'a map entry without a key or a value': http(ld(3, ld(2, 'v')), ld(3, ld(1, 'k')), ld(3, [])),
    'header_map with raw bytes, besides the map': http(entry(3, 'x-a', '1'), ld(13, [...ld(1, [...ld(1, 'X-A'), ...ld(3, [0xff, 0x41])]), ...ld(1, ld(2, 'no key'))])),
    'two header_maps: the second replaces the first': http(ld(13, ld(1, entry(1, 'x-a', '1').slice(2))), ld(13, ld(1, [...ld(1, 'x-b'), ...ld(2, '2')]))),
    'a second source Peer replaces the first': Buffer.concat([source(ld(4, 'spiffe://a/x')), source(ld(5, 'cert'))]),
    'a socket address and a pipe': source(ld(1, [...ld(1, [...ld(2, '::1'), ...vint(3, 1)]), ...ld(2, ld(1, '/run/s'))])),
    'a pipe alone': source(ld(1, ld(2, [...ld(1, '/run/s'), ...vint(2, 0o600)]))),
    'invalid UTF-8 in a string': http(ld(1, [0xc3, 0x28, 0xed, 0xa0, 0x80]), entry(3, 'x-\u00e9', '\u{1f600}')),
    'unknown fields of every wire type, at every level': Buffer.from([
      ...vint(7, 2n ** 63n), 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4,
      ...ld(1, [...vint(99, 1), ...ld(4, [...ld(7, 'x'), ...ld(2, [...vint(15, 3), ...ld(2, 'GET'), ...ld(4, '/v1/a'), ...ld(14, 'y')])])]),
    ]),
    'an empty message': Buffer.alloc(0),
    'a time, a TLS session, metadata and an internal address (read past, checked)': attributes(
      ld(12, ld(1, 'pay.local')), metadata(nested(5)), ld(13, entry(1, 'route', entry(1, 'k', vint(4, 1)))),
      ld(1, ld(1, ld(3, [...ld(1, 'listener'), ...ld(2, 'ep')]))), ld(4, ld(1, [...vint(1, 2n ** 40n), ...vint(2, 7)])),
    ),
  };
  for (const [name, bytes] of Object.entries(odd)) {
    it(`reads ${name} as proto-loader does`, () => {
      expect(readCheckRequest(bytes)).toBeDefined();
      expectSame(bytes);
    });
  }

  const giveUp: Record<string, Buffer> = {
    'a known string field sent as a varint': source(vint(4, 7)),
    'a port sent as a string': source(ld(1, ld(1, ld(3, '80')))),
    'a port wider than 32 bits': source(ld(1, ld(1, vint(3, 2n ** 33n)))),
    'a length past the end of its message': Buffer.from([0x0a, 0x05, 0x22, 0x09, 0x12, 0x01]),
    'a length past the end of the bytes': Buffer.from([0x0a, 0x7f, 0x22]),
    'a varint cut short': Buffer.from([0x0a, 0x80]),
    'field number 0': Buffer.from([0x02, 0x00]),
    'a group': Buffer.from([0x0b, 0x0c]),
    'a header name that starts with a digit (a plain object lists those first)': http(entry(3, 'x-a', '1'), entry(3, '7up', '2')),
    // Fields read past, whose bytes protobufjs would read another way (found by review):
    'a string field passed over, sent as a varint (protobufjs takes it for a length and swallows the path)':
      http(vint(6, ld(4, '/admin').length), ld(4, '/admin')),
    'an int64 field passed over, sent length-delimited (protobufjs parses the body as fields)':
      http(ld(9, entry(3, 'authorization', 'Bearer x.y.z'))),
    'a Peer field passed over, sent as a varint, before the principal': source(vint(2, 33), ld(4, 'spiffe://example.org/ns/a/sa/b')),
    'a TLS session holding wire type 7 (protobufjs refuses the request)': attributes(ld(12, [0x17])),
    'a time with a varint cut short (protobufjs refuses the request)': Buffer.from(ld(1, ld(4, [...ld(1, [0x08, 0x80]), ...ld(2, GET)]))),
    'metadata nested deeper than protobufjs decodes': attributes(metadata(nested(60))),
    'a 32-bit varint longer than 5 bytes (protobufjs steps over 5 more bytes unread)':
      source(ld(1, ld(2, [...ld(1, '/run/s'), 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x22, 0x01, 0x41]))),
    'a metadata entry without its Struct (protobufjs fails on the null)': attributes(ld(13, ld(1, ld(1, 'route')))),
    'an Any in typed metadata (protobufjs unpacks one whose type it knows)': attributes(ld(11, entry(2, 'x', [...ld(1, 'type.googleapis.com/google.protobuf.Struct'), ...ld(2, [0xff])]))),
  };
  for (const [name, bytes] of Object.entries(giveUp)) {
    it(`gives up on ${name}, and the generic deserializer decides`, () => {
      expect(readCheckRequest(bytes)).toBeUndefined();
      expectSame(bytes);
    });
  }
});

describe('readCheckRequest, property', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  // The world's CA and policy directories live in the temp dir; leave none behind.
  afterAll(async () => {
    await world?.cleanup();
  });
  const runs = fuzzRuns(300);

  const encoded = (): fc.Arbitrary<Buffer> =>
    wireArb(world).chain((wire) => {
      try {
        return fc.constant(generic.requestSerialize(wire));
      } catch {
        return fc.constant(Buffer.alloc(0)); // a shape protobuf refuses to encode
      }
    });

  it('reads every encoded request, except names that start with a digit', () => {
    fc.assert(
      fc.property(encoded(), (bytes) => {
        expectSame(bytes);
        const wire = reference(bytes) as { attributes?: { request?: { http?: { headers?: object } }; context_extensions?: object } };
        const names = [...Object.keys(wire.attributes?.request?.http?.headers ?? {}), ...Object.keys(wire.attributes?.context_extensions ?? {})];
        if (!names.some((n) => /^[0-9]/.test(n))) expect(readCheckRequest(bytes)).toBeDefined();
      }),
      fuzzParams(runs),
    );
  });

  // Known fields the reader passes over, with any wire type and content, at the levels it reads.
  const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(Math.floor(n / 128))]);
  const rawField = fc.tuple(fc.integer({ min: 1, max: 14 }), fc.constantFrom(0, 1, 2, 5), fc.uint8Array({ maxLength: 12 }), fc.integer({ min: 1, max: 11 }))
    .map(([no, wire, body, n]) => {
      const tag = varint((no << 3) | wire);
      const pad = (k: number): number[] => Array.from({ length: k }, (_, i) => body[i] ?? 0);
      if (wire === 0) return [...tag, ...Array.from({ length: n - 1 }, (_, i) => 0x80 | (body[i] ?? 0)), (body[n] ?? 0) & 0x7f];
      if (wire === 1) return [...tag, ...pad(8)];
      if (wire === 5) return [...tag, ...pad(4)];
      return [...tag, ...varint(body.length), ...body];
    });

  it('agrees with proto-loader on known fields of any wire type and content, at every level it reads', () => {
    const placed = fc.tuple(fc.constantFrom('http', 'peer', 'attributes', 'request', 'socket'), fc.array(rawField, { minLength: 1, maxLength: 3 }))
      .map(([where, fields]) => {
        const f = fields.flat();
        if (where === 'http') return http(f, ld(4, '/admin'));
        if (where === 'peer') return source(f, ld(4, 'spiffe://example.org/ns/a/sa/b'));
        if (where === 'socket') return source(ld(1, ld(1, [...f, ...ld(2, '10.0.0.1'), ...vint(3, 80)])));
        if (where === 'request') return Buffer.from(ld(1, ld(4, [...f, ...ld(2, GET)])));
        return attributes(f, ld(1, ld(4, 'spiffe://example.org/ns/a/sa/b')));
      });
    fc.assert(fc.property(placed, expectSame), fuzzParams(runs * 3));
  });

  it('agrees with proto-loader on mutated, concatenated and random bytes', () => {
    const mutated = fc.tuple(encoded(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), fc.option(fc.nat()))
      .map(([b, flips, cut]) => {
        const out = Buffer.from(b);
        for (const [at, x] of flips) if (out.length > 0) out[at % out.length] = (out[at % out.length] as number) ^ x;
        return cut === null ? out : out.subarray(0, cut % (out.length + 1));
      });
    const bytes = fc.oneof(mutated, fc.tuple(encoded(), encoded()).map(([a, b]) => Buffer.concat([a, b])), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));
    fc.assert(fc.property(bytes, expectSame), fuzzParams(runs * 3));
  });
});
