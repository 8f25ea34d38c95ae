// The limits an operator sets, enforced by the real server over real gRPC: message size (to the
// byte), headers considered (count and characters), token size, path length; and backpressure —
// checks beyond --max-in-flight and checks arriving while the event loop lags past
// --max-event-loop-delay-ms are denied at once (internal_error, detail overloaded_*), the slots
// come back, and the audit trail says why.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { authorizationService } from '../../src/ext-authz/proto.js';
import { buildCheckRequest, type CheckRequestSpec } from '../../src/ext-authz/build.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { claims, generateKey, jwks, signToken } from '../helpers/tokens.js';
import { KeyServer } from './faults-keyserver.js';
import { Load, metric, metricReaches } from './faults-load.js';

const ISS = 'https://idp.example.org';
const READER = 'spiffe://example.org/ns/app/sa/reader';
const SVC = `kind: ServicePolicy
service: svc
rules:
  - name: read
    methods: [{ http: "GET /**" }]
    allow:
      - spiffe: ${READER}
      - token: { issuer: corp, subject: bot }
`;
const trust = (jwksSource: string): string =>
  `kind: Trust\ntrustDomains: [example.org]\nissuers:\n  corp:\n    issuer: ${ISS}\n    jwks: ${jwksSource}\n    algorithms: [ES256]\n`;

async function policyDir(jwksSource: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-faults-limits-'));
  await writeFile(join(dir, 'trust.yaml'), trust(jwksSource));
  await writeFile(join(dir, 'svc.yaml'), SVC);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const reasonOf = (res: { status: { code: number }; dynamic_metadata: { fields: Record<string, { stringValue: string }> } }): string =>
  res.status.code === 0 ? 'allow' : (res.dynamic_metadata.fields.reason?.stringValue ?? '?');

/** A request whose encoding is exactly `size` bytes (a context extension absorbs the difference). */
function requestOfSize(size: number): CheckRequestSpec {
  const encode = authorizationService().Check?.requestSerialize;
  const spec = (pad: number, id: string): CheckRequestSpec =>
    ({ service: 'svc', http: 'GET /x', principal: READER, requestId: id, contextExtensions: { pad: 'p'.repeat(pad) } });
  for (const id of ['r', 'r1', 'r12']) {
    let pad = Math.max(0, size - (encode?.(buildCheckRequest(spec(0, id))).length ?? 0));
    while (pad > 0 && (encode?.(buildCheckRequest(spec(pad, id))).length ?? 0) > size) pad--;
    if (encode?.(buildCheckRequest(spec(pad, id))).length === size) return spec(pad, id);
  }
  throw new Error(`no request of exactly ${size} bytes`);
}

describe('size and decode limits', () => {
  const MAX = 16_384;
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    const key = await generateKey('ES256', { kid: 'k1' });
    dir = await policyDir('{ file: corp.json }', { 'corp.json': JSON.stringify(jwks([key])) });
    server = await startServer(dir, {
      'max-message-bytes': String(MAX), 'max-headers': '32', 'max-header-bytes': '4096', 'max-token-bytes': '512',
    });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a message of exactly --max-message-bytes and refuses one byte more, without hurting calls beside it', async () => {
    const [exact, over, beside] = await Promise.all([
      server.client.check(requestOfSize(MAX)),
      server.client.check(requestOfSize(MAX + 1)).then(() => undefined, (e: ServiceError) => e.code),
      server.client.check({ service: 'svc', http: 'GET /x', principal: READER }),
    ]);
    expect(exact.status.code).toBe(0);
    expect(over).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(beside.status.code).toBe(0);
  });

  it.each([
    ['32 headers', 32 - 4, 10, 'allow'],
    ['more than --max-headers', 40, 10, 'malformed_request'],
    ['header characters within --max-header-bytes', 4, 3000, 'allow'],
    ['header characters above --max-header-bytes', 4, 4200, 'malformed_request'],
  ])('%s', async (_name, count, chars, reason) => {
    const headers = Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-h${i}`, 'v'.repeat(Math.floor(chars / count))]));
    expect(reasonOf(await server.client.check({ service: 'svc', http: 'GET /x', principal: READER, headers }))).toBe(reason);
  });

  it('refuses a token above --max-token-bytes before looking inside it, and a path above 8 KiB', async () => {
    const key = await generateKey('ES256', { kid: 'k1' });
    const big = await signToken({ key, claims: { ...claims({ iss: ISS, aud: 'svc', sub: 'bot' }), pad: 'x'.repeat(400) } });
    expect(big.length).toBeGreaterThan(512);
    const res = await server.client.check({ service: 'svc', http: 'GET /x', principal: READER, token: big });
    expect([reasonOf(res), res.denied_response?.status.code]).toEqual(['invalid_token', 401]);
    const long = buildCheckRequest({ service: 'svc', http: `GET /${'a'.repeat(8200)}`, principal: READER });
    delete (long.attributes?.request?.http?.headers as Record<string, string>)[':path']; // only the path field is long
    expect(reasonOf(await server.client.check({ wire: long }))).toBe('malformed_request');
  });
});

describe('backpressure: checks in flight', () => {
  let dir: string;
  let keys: KeyServer;
  let server: RunningServer;
  beforeAll(async () => {
    const k1 = await generateKey('ES256', { kid: 'k1' });
    keys = new KeyServer();
    keys.mode = 'ok';
    keys.body = JSON.stringify(jwks([k1]));
    await keys.start();
    dir = await policyDir(`{ url: ${keys.url}, refresh: 1h, cooldown: 1h, timeout: 30s }`);
    server = await startServer(dir, { 'max-in-flight': '8', 'key-wait-ms': '10000' });
  });
  afterAll(async () => {
    await server?.close();
    await keys?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('denies checks beyond --max-in-flight at once with internal_error, and takes them again when slots free up', async () => {
    const k2 = await generateKey('ES256', { kid: 'k2' });
    const t2 = await signToken({ key: k2, claims: claims({ iss: ISS, aud: 'svc', sub: 'bot' }) });
    keys.mode = 'hang';
    // Eight checks whose key (kid k2) is being fetched: they wait, holding all eight slots.
    const waiting = Array.from({ length: 8 }, () => server.client.check({ service: 'svc', http: 'GET /x', token: t2 }));
    await metricReaches(server.adminUrl, 'tollgate_checks_in_flight', (v) => v === 8);
    const shed = await server.client.check({ service: 'svc', http: 'GET /x', principal: READER, requestId: 'shed-1' });
    expect([shed.status.code, shed.denied_response?.status.code, reasonOf(shed)]).toEqual([7, 403, 'internal_error']);
    expect(await metric(server.adminUrl, 'tollgate_checks_shed_total{cause="in_flight"}')).toBe(1);
    // The key server answers (now with k2): the eight finish with their own decision.
    keys.body = JSON.stringify(jwks([k2]));
    keys.release();
    expect((await Promise.all(waiting)).map(reasonOf)).toEqual(Array(8).fill('allow'));
    await metricReaches(server.adminUrl, 'tollgate_checks_in_flight', (v) => v === 0);
    expect(reasonOf(await server.client.check({ service: 'svc', http: 'GET /x', principal: READER }))).toBe('allow');
    // The audit trail says why the shed check was denied.
    const decisionId = shed.dynamic_metadata.fields.decision_id?.stringValue;
    let line: { detail?: string } | undefined;
    for (let i = 0; i < 10_000 && line === undefined; i++) {
      const text = await readFile(server.auditFile, 'utf8');
      const found = text.split('\n').find((l) => l.includes(`"${decisionId}"`));
      line = found === undefined ? undefined : (JSON.parse(found) as { detail?: string });
      if (line === undefined) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(line?.detail).toBe('overloaded_in_flight');
  });
});

describe('backpressure: event-loop delay', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    const key = await generateKey('ES256', { kid: 'k1' });
    dir = await policyDir('{ file: corp.json }', { 'corp.json': JSON.stringify(jwks([key])) });
    server = await startServer(dir, { 'max-event-loop-delay-ms': '50' });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('denies checks at once while the event loop lags past --max-event-loop-delay-ms, and serves again after', async () => {
    const load = new Load(['any'], async () => reasonOf(await server.client.check({ service: 'svc', http: 'GET /x', principal: READER })), 1).start(4);
    await load.more(50);
    // Saturate this process's event loop (server and client share it) with blocks of 150 ms of
    // CPU, until a check has been shed (bounded: 40 blocks).
    const shed = (): boolean => load.results.some((r) => r.outcome === 'internal_error');
    let blocks = 0;
    await new Promise<void>((resolve) => {
      const block = (): void => {
        const end = performance.now() + 150;
        while (performance.now() < end);
        if (++blocks < 40 && !shed()) setImmediate(block);
        else resolve();
      };
      setImmediate(block);
    });
    expect(shed()).toBe(true);
    load.enter('recovered');
    await load.waitFor((o) => o.outcome === 'allow' && o.from === load.phase);
    await load.stop();
    const outcomes = new Set(load.results.map((r) => r.outcome));
    expect([...outcomes].sort()).toEqual(['allow', 'internal_error']);
    expect(await metric(server.adminUrl, 'tollgate_checks_shed_total{cause="event_loop"}')).toBeGreaterThan(0);
  });
});
