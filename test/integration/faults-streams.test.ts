// Clients that misbehave at the transport level, against the real server: hundreds of calls
// cancelled while their checks wait for a key set, and raw HTTP/2 streams left half-open, cut
// mid-message, lying about their length or their compression. Nothing is allowed, the in-flight
// count returns to zero, the server keeps answering, and a drain completes without being forced
// (the drain bound is far above the test's own timeout, so a leaked stream would fail the test).

import { connect, type ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition, status as grpcStatus, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { authorizationService, loadExtAuthzPackage } from '../../src/ext-authz/proto.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { buildCheckRequest } from '../../src/ext-authz/build.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { claims, jwks, signToken } from '../helpers/tokens.js';
import { FAULTS_ISS as ISS, FAULTS_READER as READER, keyServerFixture, type KeyServer } from './faults-keyserver.js';
import { metricReaches } from './faults-load.js';

const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
const CHECK = authorizationService().Check;
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setUp(): Promise<{ server: RunningServer; keys: KeyServer; token: string }> {
  const { keys, dir, k1, k2 } = await keyServerFixture('tollgate-faults-streams-', cleanup);
  const server = await startServer(dir, { 'key-wait-ms': '10000', 'drain-timeout-ms': '600000' });
  let closed = false;
  const close = server.close.bind(server);
  cleanup.push(async () => {
    if (!closed) await close();
  });
  const token = await signToken({ key: k2, claims: claims({ iss: ISS, aud: 'svc', sub: 'bot' }) });
  keys.body = JSON.stringify(jwks([k1, k2]));
  return { server: { ...server, close: () => ((closed = true), close()) }, keys, token };
}

type RawCheck = (req: unknown, cb: (err: ServiceError | null) => void) => ClientUnaryCall;

describe('abandoned calls and broken streams', () => {
  it('survives hundreds of calls cancelled while their checks wait, with no slot leaked', async () => {
    const { server, keys, token } = await setUp();
    keys.mode = 'hang';
    const pkg = loadPackageDefinition(loadExtAuthzPackage()) as unknown as {
      envoy: { service: { auth: { v3: { Authorization: new (a: string, c: unknown) => { Check: RawCheck; close(): void } } } } };
    };
    const client = new pkg.envoy.service.auth.v3.Authorization(server.grpcAddress, credentials.createInsecure());
    const codes: Promise<number>[] = [];
    const calls = Array.from({ length: 300 }, () => {
      let settle: (code: number) => void = () => undefined;
      codes.push(new Promise((resolve) => (settle = resolve)));
      return client.Check(buildCheckRequest({ service: 'svc', http: 'GET /x', token }), (err) => settle(err?.code ?? grpcStatus.OK));
    });
    await metricReaches(server.adminUrl, 'tollgate_checks_in_flight', (v) => v === 300);
    for (const call of calls) call.cancel();
    expect(new Set(await Promise.all(codes))).toEqual(new Set([grpcStatus.CANCELLED]));
    client.close();
    keys.release(); // the abandoned checks finish server-side; their answers go nowhere
    await metricReaches(server.adminUrl, 'tollgate_checks_in_flight', (v) => v === 0);
    expect((await server.client.check({ service: 'svc', http: 'GET /x', token })).status.code).toBe(0);
    await server.close(); // completes without the 10-minute force: nothing is left open
  });

  it('answers lying, cut and half-open HTTP/2 streams with errors (never an allow) and stays healthy', async () => {
    const { server } = await setUp();
    const session: ClientHttp2Session = connect(`http://${server.grpcAddress}`);
    session.on('error', () => undefined);
    cleanup.push(async () => void session.destroy());
    const open = (): ReturnType<ClientHttp2Session['request']> => {
      const stream = session.request({ ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      return stream;
    };
    // A gRPC error (in the trailers, or the headers of a trailers-only answer), or the reason of
    // the CheckResponse when the call itself succeeded.
    const answerOf = (stream: ReturnType<typeof open>): Promise<string> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const take = (h: Record<string, unknown>): void => {
          const status = h['grpc-status'];
          if (status === undefined) return;
          if (status !== '0') return resolve(`error:${String(status)}`);
          const res = CHECK?.responseDeserialize(Buffer.concat(chunks).subarray(5)) as WireCheckResponse;
          resolve(res.status?.code ? `deny:${res.dynamic_metadata.fields.reason?.stringValue}` : 'allow');
        };
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('response', take);
        stream.on('trailers', take);
        stream.on('close', () => resolve('closed'));
      });
    const frame = (flag: number, length: number, body: Buffer): Buffer => {
      const prefix = Buffer.alloc(5);
      prefix[0] = flag;
      prefix.writeUInt32BE(length >>> 0, 1);
      return Buffer.concat([prefix, body]);
    };
    // Left open, never finished: headers only; part of a prefix; a prefix promising more than is sent.
    for (let i = 0; i < 50; i++) open();
    for (let i = 0; i < 50; i++) open().write(Buffer.from([0, 0, 0]));
    for (let i = 0; i < 50; i++) open().write(frame(0, 1000, Buffer.alloc(10)));
    // Finished, but wrong: compressed without an encoding; a length past the limit; a cut message.
    const compressed = open();
    compressed.end(frame(1, 3, Buffer.from([1, 2, 3])));
    const huge = open();
    huge.end(frame(0, 0xffffffff, Buffer.alloc(8)));
    const cut = open();
    cut.end(frame(0, 100, Buffer.alloc(10)));
    const answers = await Promise.all([answerOf(compressed), answerOf(huge), answerOf(cut)]);
    for (const a of answers) expect(a).toMatch(/^(error:[1-9]|deny:malformed_request|closed)/);
    // Meanwhile, on its own connection, Envoy's checks are answered as usual.
    expect((await server.client.check({ service: 'svc', http: 'GET /x', principal: READER })).status.code).toBe(0);
    session.destroy();
    await metricReaches(server.adminUrl, 'tollgate_checks_in_flight', (v) => v === 0);
    expect((await server.client.check({ service: 'svc', http: 'GET /x', principal: READER })).status.code).toBe(0);
    await server.close();
  });
});
