// The real server on port 0 over real gRPC: a known mix of checks, then the audit file, /metrics,
// /inventory and /inventory/unused must tell the same story.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRequestSpec } from '../../src/ext-authz/build.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { claims, generateKey, jwks, signToken, type TestKey } from '../helpers/tokens.js';

const ISS = 'https://idp.example.org';
const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';
const RUNNER = 'spiffe://example.org/ns/ci/sa/runner';

const TRUST = `kind: Trust
trustDomains: [example.org]
issuers:
  corp-idp:
    issuer: ${ISS}
    jwks: { file: jwks/corp-idp.json }
    algorithms: [ES256]
    maxLifetime: 1h
revoked:
  spiffeIds: [spiffe://example.org/ns/legacy/sa/shared]
`;

const PAYMENTS = `kind: ServicePolicy
service: payments
rules:
  - name: ledger-read
    methods:
      - grpc: payments.v1.Ledger/Get*
      - http: GET /v1/ledger/**
    allow:
      - spiffe: ${REPORTER}
      - spiffe: spiffe://example.org/ns/ops/*
      - token: { issuer: corp-idp, subject: svc-reporting, scopes: [ledger.read] }
  - name: ledger-write
    methods:
      - http: POST /v1/ledger
    require: [mtls, token]
    allow:
      - spiffe: spiffe://example.org/ns/checkout/sa/api
        token: { issuer: corp-idp, scopes: [ledger.write] }
    deny:
      - spiffe: spiffe://example.org/ns/checkout/sa/legacy
`;

const ORDERS = `kind: ServicePolicy
service: orders
mode: dry-run
rules:
  - name: list-orders
    methods:
      - http: GET /orders
    allow:
      - spiffe: spiffe://example.org/ns/shop/sa/web
`;

/** request id → [spec, expected decision, expected reason] */
type Case = readonly [CheckRequestSpec, 'allow' | 'deny' | 'shadow_deny', string];

let dir: string;
let auditDir: string;
let server: RunningServer;
let key: TestKey;
let token: string;
const responses = new Map<string, WireCheckResponse>();
let cases: Record<string, Case>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-obs-'));
  key = await generateKey('ES256');
  await mkdir(join(dir, 'jwks'));
  await writeFile(join(dir, 'jwks', 'corp-idp.json'), JSON.stringify(jwks([key])));
  await writeFile(join(dir, 'trust.yaml'), TRUST);
  await writeFile(join(dir, 'payments.yaml'), PAYMENTS);
  await writeFile(join(dir, 'orders.yaml'), ORDERS);
  token = await signToken({ key, claims: { ...claims({ iss: ISS, sub: 'svc-reporting', aud: 'payments' }), scope: 'ledger.read' } });
  const other = await generateKey('ES256', { kid: key.kid });
  const forged = await signToken({ key: other, claims: { ...claims({ iss: ISS, aud: 'payments' }), scope: 'ledger.read' } });
  const p = (over: Partial<CheckRequestSpec>): CheckRequestSpec => ({ service: 'payments', http: 'GET /v1/ledger/42', ...over });
  cases = {
    'allow-grpc': [p({ http: undefined, grpc: 'payments.v1.Ledger/GetEntry', principal: REPORTER }), 'allow', 'allow'],
    'allow-token': [p({ http: 'GET /v1/ledger/42?access=secret-query-value', token }), 'allow', 'allow'],
    'no-credentials': [p({}), 'deny', 'no_credentials'],
    'invalid-token': [p({ token: forged }), 'deny', 'invalid_token'],
    'not-allowed': [p({ principal: RUNNER }), 'deny', 'not_allowed'],
    'no-rule': [p({ http: 'DELETE /v1/ledger/42', principal: REPORTER }), 'deny', 'no_rule'],
    'no-policy': [p({ service: 'no-such-service', principal: REPORTER }), 'deny', 'no_policy'],
    'explicit-deny': [p({ http: 'POST /v1/ledger', principal: 'spiffe://example.org/ns/checkout/sa/legacy' }), 'deny', 'explicit_deny'],
    'missing-credential': [p({ http: 'POST /v1/ledger', principal: 'spiffe://example.org/ns/checkout/sa/api' }), 'deny', 'missing_credential'],
    revoked: [p({ principal: 'spiffe://example.org/ns/legacy/sa/shared' }), 'deny', 'revoked'],
    'untrusted-domain': [p({ principal: 'spiffe://evil.example/ns/x/sa/y' }), 'deny', 'untrusted_domain'],
    'invalid-spiffe-id': [p({ principal: 'spiffe://Example.org/ns/x' }), 'deny', 'invalid_spiffe_id'],
    'ambiguous-path': [p({ http: 'GET /v1/ledger/%2e%2e/admin', principal: REPORTER }), 'deny', 'ambiguous_path'],
    'shadow-deny': [{ service: 'orders', http: 'GET /orders', principal: RUNNER }, 'shadow_deny', 'not_allowed'],
  };
  auditDir = await mkdtemp(join(tmpdir(), 'tollgate-obs-audit-'));
  server = await startServer(dir, { 'audit-file': join(auditDir, 'audit.log') });
  for (const [id, [spec]] of Object.entries(cases)) responses.set(id, await server.client.check({ ...spec, requestId: id }));
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(auditDir, { recursive: true, force: true });
});

async function getJson(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.adminUrl}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('observability of the real server', () => {
  it('answers each check as the policy says (the mix the records must reflect)', () => {
    for (const [id, [, decision]] of Object.entries(cases)) {
      expect(responses.get(id)?.status.code === 0, id).toBe(decision !== 'deny');
    }
  });

  it('serves per-service, per-decision, per-reason counts and a latency histogram on /metrics', async () => {
    const res = await fetch(`${server.adminUrl}/metrics`);
    const text = await res.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
    };
    expect(value('tollgate_decisions_total{service="payments",decision="allow",reason="allow"}')).toBe(2);
    for (const [id, [spec, decision, reason]] of Object.entries(cases)) {
      if (decision === 'allow') continue;
      // No policy: no configured name to label with. A request problem is denied before a service is selected.
      const service = id === 'no-policy' ? '' : spec.service;
      expect(value(`tollgate_decisions_total{service="${service}",decision="${decision}",reason="${reason}"}`), id).toBe(1);
    }
    expect(text).not.toContain('no-such-service');
    const counts = text.split('\n').filter((l) => l.startsWith('tollgate_check_duration_seconds_count{')).map((l) => Number(l.split(' ')[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(Object.keys(cases).length);
    expect(text).toContain('tollgate_check_duration_seconds_bucket{le="0.00001",service="payments",decision="allow"}');
    expect(text).toMatch(/^tollgate_cache_requests_total\{cache="token",result="miss"\} [1-9]/m);
    expect(value('tollgate_policy_generation')).toBe(1);
    expect(value('tollgate_audit_dropped_total')).toBe(0);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('serves the trust paths on /inventory', async () => {
    const body = await getJson('/inventory');
    const edges = body.edges as { service: string; rule: string | null; method: string | null; caller: string; count: number; last_decision: string }[];
    expect(edges).toContainEqual(expect.objectContaining({ service: 'payments', rule: 'ledger-read', caller: REPORTER, count: 1, last_decision: 'allow' }));
    expect(edges).toContainEqual(expect.objectContaining({ service: 'payments', rule: 'ledger-read', caller: 'corp-idp:svc-reporting', last_decision: 'allow' }));
    expect(edges).toContainEqual(expect.objectContaining({ service: 'payments', rule: null, method: 'DELETE /v1/ledger/42', caller: REPORTER, last_decision: 'deny' }));
    expect(edges).toContainEqual(expect.objectContaining({ service: 'orders', rule: 'list-orders', caller: RUNNER, last_decision: 'shadow_deny' }));
    expect(edges).toContainEqual(expect.objectContaining({ caller: 'anonymous', last_decision: 'deny' }));
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it('lists on /inventory/unused exactly the grants no allowed request used', async () => {
    const body = await getJson('/inventory/unused');
    const unused = (body.unused as { service: string; rule: string; entry: number }[]).map((g) => `${g.service}/${g.rule}#${g.entry}`).sort();
    expect(unused).toEqual(['orders/list-orders#0', 'payments/ledger-read#1', 'payments/ledger-write#0']);
  });

  it('writes one audit line per check with the documented fields, never the token or the query', async () => {
    await server.close();
    const text = await readFile(server.auditFile, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[2]!);
    expect(text).not.toContain('secret-query-value');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(Object.keys(cases).length);
    const byId = new Map(lines.map((l) => [l.decision_id as string, l]));
    for (const [id, [, decision, reason]] of Object.entries(cases)) {
      expect(byId.get(id), id).toMatchObject({ name: 'audit', decision, reason, policy_generation: 1 });
    }
    expect(byId.get('allow-grpc')).toMatchObject({
      service: 'payments', rule: 'ledger-read', cache: 'miss',
      caller: { spiffe_id: REPORTER, token: null },
      request: { method: 'POST', path: '/payments.v1.Ledger/GetEntry', grpc_method: 'payments.v1.Ledger/GetEntry', source_address: '127.0.0.1:43210' },
    });
    expect(byId.get('allow-token')).toMatchObject({
      rule: 'ledger-read',
      caller: { spiffe_id: null, token: { issuer: 'corp-idp', iss: ISS, sub: 'svc-reporting', aud: ['payments'], scopes: ['ledger.read'] } },
      request: { method: 'GET', path: '/v1/ledger/42' },
    });
    expect(byId.get('no-policy')).toMatchObject({ service: null, rule: null });
    expect(byId.get('shadow-deny')).toMatchObject({ service: 'orders', rule: null, caller: { spiffe_id: RUNNER } });
    for (const line of lines) expect(typeof line.latency_us).toBe('number');
  });
});
