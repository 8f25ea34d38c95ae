// Fuzzing through the real gRPC server (startTollgate on port 0): random bytes, and encoded
// hostile CheckRequests with bytes flipped, cut, inserted or a second message appended (protobuf
// merges it: duplicated fields). Every call must come back as a well-formed CheckResponse that
// the oracle accepts for whatever protobuf makes of the bytes, or — only for a message above
// --max-message-bytes — RESOURCE_EXHAUSTED; and the server keeps answering.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { authorizationService } from '../../src/ext-authz/proto.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { wireArb } from './arb-request.js';
import { judge } from './oracle.js';
import { fuzzParams, fuzzRuns, fuzzTimeout } from './runs.js';
import { sentOf, wellFormed } from './wellformed.js';
import { createWorld, type World } from './world.js';

const RUNS = Math.max(100, Math.floor(fuzzRuns(1000) / 5));
const MAX_MESSAGE = 65536;
const method = authorizationService().Check;

function encode(wire: unknown): Buffer | undefined {
  try {
    return method?.requestSerialize(wire);
  } catch {
    return undefined; // a shape protobuf refuses to encode (mistyped parts): the bytes case covers it
  }
}

function decodeRequest(bytes: Buffer): unknown {
  try {
    return method?.requestDeserialize(bytes);
  } catch {
    return undefined;
  }
}

const mutation = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
  cut: fc.option(fc.nat(), { nil: undefined, freq: 4 }),
  insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })), { nil: undefined, freq: 4 }),
});

function mutateBytes(bytes: Buffer, m: { flips: [number, number][]; cut?: number; insert?: [number, Uint8Array] }): Buffer {
  let out = Buffer.from(bytes);
  if (out.length === 0) return out;
  for (const [at, x] of m.flips) out[at % out.length] = (out[at % out.length] as number) ^ x;
  if (m.insert !== undefined) {
    const at = m.insert[0] % out.length;
    out = Buffer.concat([out.subarray(0, at), m.insert[1], out.subarray(at)]);
  }
  if (m.cut !== undefined) out = out.subarray(0, m.cut % (out.length + 1));
  return out;
}

function bytesArb(world: World): fc.Arbitrary<Buffer> {
  const encoded = wireArb(world).map(encode).filter((b): b is Buffer => b !== undefined);
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) },
    { weight: 3, arbitrary: encoded },
    { weight: 4, arbitrary: fc.tuple(encoded, mutation).map(([b, m]) => mutateBytes(b, m)) },
    { weight: 1, arbitrary: fc.tuple(encoded, encoded).map(([a, b]) => Buffer.concat([a, b])) },
  );
}

describe('fuzz: raw bytes through the real gRPC server', () => {
  let world: World;
  let server: RunningServer;
  let raw: Client;
  beforeAll(async () => {
    world = await createWorld();
    server = await startServer(world.dirs.plain, { 'max-message-bytes': String(MAX_MESSAGE) });
    raw = new Client(server.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    await server?.close();
    await world?.cleanup();
  });

  const call = (bytes: Buffer): Promise<Buffer | ServiceError> =>
    new Promise((resolve) => {
      raw.makeUnaryRequest('/envoy.service.auth.v3.Authorization/Check', (b: Buffer) => b, (b: Buffer) => b, bytes,
        (err, value) => resolve(err ?? (value as Buffer)));
    });

  it(`answers ${RUNS} random and mutated messages with decisions, never an allow the policy does not grant`, async () => {
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(bytesArb(world), async (bytes) => {
        const answer = await call(bytes);
        if (!Buffer.isBuffer(answer)) {
          expect(answer.code, answer.message).toBe(grpcStatus.RESOURCE_EXHAUSTED);
          expect(bytes.length).toBeGreaterThan(MAX_MESSAGE);
          return;
        }
        const res = method?.responseDeserialize(answer) as WireCheckResponse;
        const wire = decodeRequest(bytes);
        expect(wellFormed(res, sentOf(wire))).toBeUndefined();
        expect(res.dynamic_metadata.fields.reason?.stringValue).not.toBe('internal_error');
        if (wire === undefined) expect(res.dynamic_metadata.fields.reason?.stringValue).toBe('malformed_request');
        else expect(judge(wire, res, { goodTokens: world.goodTokens, revokedToken: world.revokedToken, trustXfcc: false })).toBeUndefined();
        decided++;
      }),
      fuzzParams(RUNS),
    );
    expect(decided).toBeGreaterThan(RUNS / 2);
    // Still healthy: a plain allowed check after all that.
    const ok = await server.client.check({ service: 'shop', http: 'GET /v1/items/1', principal: 'spiffe://example.org/ns/app/sa/reader' });
    expect(ok.status.code).toBe(0);
  }, fuzzTimeout(RUNS, 10));
});
