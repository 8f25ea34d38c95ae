// read-request.ts against proto-loader, through the Check method's deserializer as the server uses
// it: for every input, the Request decode.ts makes of what the server reads equals the one it
// makes of proto-loader's object (header order included), and Envoy's requests are read directly.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
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

const entry = (no: number, key: string, value: string): number[] => ld(no, [...ld(1, key), ...ld(2, value)]);
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
