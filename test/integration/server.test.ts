// The spine end to end: the real server on an ephemeral port, called over a real gRPC
// connection — allow and deny responses as Envoy reads them, bad input, size limits, health,
// admin endpoints and the unix socket listener.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition, Client, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { checkClient, startServer, type RunningServer } from '../helpers/server.js';
import { claims, generateKey, jwks, signToken, type TestKey } from '../helpers/tokens.js';

const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';
const POLICIES: Record<string, string> = {
  'trust.yaml': `kind: Trust
trustDomains: [example.org]
issuers:
  corp-idp:
    issuer: https://idp.example.org
    jwks: { file: corp-idp.json }
    algorithms: [ES256]
    maxLifetime: 1h
`,
  'payments.yaml': `kind: ServicePolicy
service: payments
spiffeId: spiffe://example.org/ns/payments/sa/api
forwardToken: false
rules:
  - name: ledger-read
    methods:
      - grpc: payments.v1.Ledger/Get*
      - http: GET /v1/ledger/**
    allow:
      - spiffe: ${REPORTER}
      - token: { issuer: corp-idp, subject: svc-reporting }
`,
};
let key: TestKey | undefined;

async function policyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-spine-'));
  for (const [name, text] of Object.entries(POLICIES)) await writeFile(join(dir, name), text);
  key ??= await generateKey('ES256');
  await writeFile(join(dir, 'corp-idp.json'), JSON.stringify(jwks([key])));
  return dir;
}

function headersOf(list: { header: { key: string; value: string } }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((h) => [h.header.key, h.header.value]));
}

describe('the ext_authz server over real gRPC', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = await policyDir();
    server = await startServer(dir, { 'max-message-bytes': '65536' });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('allows a listed workload with OK, overwritten audit headers, spoof removal and metadata', async () => {
    const res = await server.client.check({
      service: 'payments', http: 'GET /v1/ledger/entries?page=2', principal: REPORTER, requestId: 'req-42',
      headers: { 'x-tollgate-rule': 'payments/forged', 'x-tollgate-admin': 'yes' },
    });
    expect(res.status.code).toBe(0);
    expect(res.denied_response).toBeUndefined();
    expect(headersOf(res.ok_response?.headers)).toEqual({
      'x-tollgate-decision-id': 'req-42', 'x-tollgate-caller': REPORTER, 'x-tollgate-rule': 'payments/ledger-read',
    });
    expect(res.ok_response?.headers.every((h) => (h as unknown as { append_action: string | number }).append_action === 2)).toBe(true);
    expect(res.ok_response?.headers_to_remove).toEqual(['x-tollgate-admin']);
    const meta = Object.fromEntries(Object.entries(res.dynamic_metadata.fields).map(([k, v]) => [k, v.stringValue]));
    expect(meta).toEqual({ decision_id: 'req-42', decision: 'allow', service: 'payments', rule: 'ledger-read', caller: REPORTER, reason: 'allow' });
  });

  it('names a token-only caller <issuer>:<sub> and strips the token when forwardToken is false', async () => {
    const token = await signToken({ key: key!, claims: claims({ iss: 'https://idp.example.org', sub: 'svc-reporting', aud: 'payments' }) });
    const res = await server.client.check({ service: 'payments', http: 'GET /v1/ledger/entries', token });
    expect(res.status.code).toBe(0);
    expect(headersOf(res.ok_response?.headers)['x-tollgate-caller']).toBe('corp-idp:svc-reporting');
    expect(res.ok_response?.headers_to_remove).toEqual(['authorization']);
    const forged = await server.client.check({ service: 'payments', http: 'GET /v1/ledger/entries', principal: REPORTER, token: `${token}x` });
    expect(JSON.parse(forged.denied_response?.body ?? '{}').reason).toBe('invalid_token');
  });

  it('selects the service by destination principal when context_extensions has none', async () => {
    const res = await server.client.check({ grpc: 'payments.v1.Ledger/GetEntry', principal: REPORTER, destinationPrincipal: 'spiffe://example.org/ns/payments/sa/api' });
    expect(res.status.code).toBe(0);
  });

  it.each([
    [{ service: 'payments', http: 'GET /v1/ledger/x' }, 'no_credentials', 401, 16],
    [{ service: 'payments', http: 'GET /v1/ledger/x', principal: 'spiffe://example.org/ns/ci/sa/runner' }, 'not_allowed', 403, 7],
    [{ service: 'payments', http: 'DELETE /v1/ledger/x', principal: REPORTER }, 'no_rule', 403, 7],
    [{ service: 'payments', http: 'get /v1/ledger/x', principal: REPORTER }, 'no_rule', 403, 7],
    [{ service: 'nobody', http: 'GET /v1/ledger/x', principal: REPORTER }, 'no_policy', 403, 7],
    [{ service: 'payments', http: 'GET /v1/ledger/%2e%2e/admin', principal: REPORTER }, 'ambiguous_path', 403, 7],
    [{ service: 'payments', http: 'GET /v1//ledger/x', principal: REPORTER }, 'ambiguous_path', 403, 7],
    [{ service: 'payments', http: 'GET /v1/ledger/x', principal: 'spiffe://example.org/ns/billing/sa/reporter/' }, 'invalid_spiffe_id', 403, 7],
    [{ service: 'payments', http: 'GET /v1/ledger/x', principal: 'spiffe://evil.org/ns/billing/sa/reporter' }, 'untrusted_domain', 403, 7],
  ])('denies %j with %s (HTTP %i, gRPC %i)', async (spec, reason, http, grpc) => {
    const res = await server.client.check(spec);
    expect(res.status.code).toBe(grpc);
    expect(res.ok_response).toBeUndefined();
    expect(res.denied_response?.status.code).toBe(http);
    const headers = headersOf(res.denied_response?.headers);
    expect(headers['content-type']).toBe('application/json');
    expect('www-authenticate' in headers).toBe(http === 401);
    const body = JSON.parse(res.denied_response?.body ?? '{}');
    expect(body).toEqual({ error: http === 401 ? 'unauthenticated' : 'forbidden', reason, decision_id: headers['x-tollgate-decision-id'] });
    expect(res.dynamic_metadata.fields.reason?.stringValue).toBe(reason);
  });

  it.each([
    [{}],
    [{ attributes: {} }],
    [{ attributes: { request: { http: { path: '/x' } } } }],
    [{ attributes: { request: { http: { method: 'GET' } } } }],
  ] as [unknown][])('answers malformed CheckRequest %j with a malformed_request deny', async (wire) => {
    const res = await server.client.check({ wire });
    expect(res.status.code).toBe(7);
    expect(JSON.parse(res.denied_response?.body ?? '{}').reason).toBe('malformed_request');
  });

  it('answers bytes that are not a CheckRequest with a deny, not a gRPC error', async () => {
    const raw = new Client(server.grpcAddress, credentials.createInsecure());
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const res = await new Promise<Buffer>((resolve, reject) => {
      raw.makeUnaryRequest('/envoy.service.auth.v3.Authorization/Check', (b: Buffer) => b, (b: Buffer) => b, garbage, (err, value) => (err ? reject(err) : resolve(value as Buffer)));
    });
    raw.close();
    expect(res.length).toBeGreaterThan(0);
    expect(res.includes(Buffer.from('malformed_request'))).toBe(true);
  });

  it('refuses a message above --max-message-bytes with RESOURCE_EXHAUSTED (Envoy then denies)', async () => {
    const err = await server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER, headers: { big: 'x'.repeat(70_000) } }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(err?.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    // ...and the server keeps answering afterwards.
    expect((await server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER })).status.code).toBe(0);
  });

  it('serves grpc.health.v1 on the same listener', async () => {
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as any;
    const health = new pkg.grpc.health.v1.Health(server.grpcAddress, credentials.createInsecure());
    const ask = (service: string) => new Promise<string>((resolve, reject) => health.Check({ service }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r.status))));
    expect(await ask('')).toBe('SERVING');
    expect(await ask('envoy.service.auth.v3.Authorization')).toBe('SERVING');
    health.close();
  });

  it('serves /healthz, /readyz and /metrics on the admin port', async () => {
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_decisions_total\{service="payments",decision="allow",reason="allow"\} [1-9]/);
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`${server.adminUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${server.adminUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('listeners and drain', () => {
  it('listens on a unix socket', async () => {
    const dir = await policyDir();
    const sock = join(dir, 'tollgate.sock');
    const server = await startServer(dir, { grpc: `unix:${sock}` });
    const client = checkClient(`unix:${sock}`);
    const res = await client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER });
    expect(res.status.code).toBe(0);
    client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('turns health NOT_SERVING and /readyz 503 when draining, and stops accepting checks', async () => {
    const dir = await policyDir();
    const server = await startServer(dir);
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as any;
    const health = new pkg.grpc.health.v1.Health(server.grpcAddress, credentials.createInsecure());
    const watched: string[] = [];
    const stream = health.Watch({ service: '' });
    const notServing = new Promise<void>((resolve) => {
      stream.on('data', (r: { status: string }) => {
        watched.push(r.status);
        if (r.status === 'NOT_SERVING') resolve();
      });
      stream.on('error', () => undefined);
    });
    await server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER }); // connect first
    const burst = Array.from({ length: 50 }, () =>
      server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER }).then((r) => r.status.code, (e: ServiceError) => `error:${e.code}`));
    await burst[0];
    const drained = server.tollgate.drain();
    const outcomes = await Promise.all(burst);
    // Every call the server took is answered with its decision; none is cut off half-way.
    for (const o of outcomes) expect([0, `error:${grpcStatus.UNAVAILABLE}`]).toContain(o);
    expect(outcomes[0]).toBe(0);
    await notServing;
    expect(watched).toContain('NOT_SERVING');
    await drained;
    await expect(fetch(`${server.adminUrl}/readyz`)).rejects.toThrow(); // admin closed after the drain
    const after = await server.client.check({ service: 'payments', http: 'GET /v1/ledger/x', principal: REPORTER }).then(() => 'answered', (e: ServiceError) => e.code);
    expect(after).toBe(grpcStatus.UNAVAILABLE);
    health.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
});
