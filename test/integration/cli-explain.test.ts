// `tollgate explain` as an operator runs it: the built CLI as a child process, on the example
// policies and on temp sets with real keys — flags, real token verification, --assume-verified,
// CheckRequest JSON (camelCase and original names) and audit lines written by the real server.

import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { claims, generateKey, jwks, signToken, type TestKey } from '../helpers/tokens.js';
import { EXAMPLES, FIXTURES, policyDir, tollgate } from './cli-run.js';

const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';
const INTRUDER = 'spiffe://example.org/ns/billing/sa/intruder';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const API_TRUST = [
  'kind: Trust',
  'trustDomains: [example.org]',
  'issuers:',
  '  corp:',
  '    issuer: https://corp.example.org',
  '    jwks: { file: jwks.json }',
  '    algorithms: [ES256]',
  '    maxLifetime: 1h',
  '',
].join('\n');
const apiPolicy = (scope: string): string =>
  `kind: ServicePolicy\nservice: api\nrules:\n  - name: read\n    methods: [{ http: GET /items/** }]\n    allow:\n      - token: { issuer: corp, scopes: [${scope}] }\n`;

describe('tollgate explain with flags (example policies)', () => {
  it('explains an allow: the rule, the entry that held, exit 0', async () => {
    const r = await tollgate(['explain', '--service', 'payments', '--http', 'GET /v1/ledger/7', '--spiffe', 'spiffe://example.org/ns/ops/sa/oncall']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('ALLOW  by payments/ledger-read allow[1]');
    expect(lines).toContain('  service   payments, selected by context_extensions["service"]');
    expect(lines).toContain('  ✓ allow    ledger-read allow[1] spiffe=spiffe://example.org/ns/ops/sa/*: holds');
  });

  it('explains a deny: every entry and why it did not hold, exit 1', async () => {
    const r = await tollgate(['explain', '--service', 'payments', '--http', 'GET /v1/ledger/7', '--spiffe', INTRUDER]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('DENY  not_allowed');
    expect(r.stdout).toContain(`✗ allow    ledger-read allow[0] spiffe=${REPORTER}: ${INTRUDER} does not match ${REPORTER}`);
    expect(r.stdout).toContain('✗ allow    ledger-read allow[2] token=corp-idp subject=svc-reporting scopes=ledger.read: no verified token');
    expect(r.stdout).toContain('response  denied: HTTP 403, gRPC status 7');
  });

  it('decides gRPC calls by their method, and reports no_rule for unknown ones', async () => {
    const ok = await tollgate(['explain', '--service', 'payments', '--grpc', 'payments.v1.Ledger/GetEntry', '--spiffe', REPORTER]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('selects POST /payments.v1.Ledger/GetEntry (gRPC payments.v1.Ledger/GetEntry) by payments.v1.Ledger/Get*');
    const none = await tollgate(['explain', '--service', 'payments', '--grpc', 'payments.v1.Ledger/Delete', '--spiffe', REPORTER]);
    expect(none.code).toBe(1);
    expect(none.stdout.split('\n')[0]).toBe('DENY  no_rule');
  });

  it('says when dry-run lets a deny through (exit 0) and when no policy exists', async () => {
    const shadow = await tollgate(['explain', '--service', 'admin-api', '--http', 'DELETE /admin/users/1', '--spiffe', INTRUDER]);
    expect(shadow.code).toBe(0);
    expect(shadow.stdout).toMatch(/^SHADOW_DENY {2}\w+ \(dry-run/);
    const missing = await tollgate(['explain', '--service', 'nope', '--http', 'GET /', '--spiffe', REPORTER]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('✗ select   no policy for service nope');
  });

  it('--assume-verified takes token claims as given and still checks scopes', async () => {
    const key = await generateKey('ES256');
    const token = await signToken({ key, claims: { ...claims({ iss: 'https://idp.example.org', sub: 'checkout', aud: 'payments' }), scope: 'profile' } });
    const args = ['explain', '--service', 'payments', '--http', 'POST /v1/ledger', '--spiffe', 'spiffe://example.org/ns/checkout/sa/api', '--token', token];
    const verified = await tollgate(args);
    expect(verified.code).toBe(1);
    expect(verified.stdout.split('\n')[0]).toBe('DENY  invalid_token');
    const assumed = await tollgate([...args, '--assume-verified']);
    expect(assumed.code).toBe(1);
    expect(assumed.stdout.split('\n')[0]).toBe('DENY  not_allowed');
    expect(assumed.stdout).toContain('scope ledger.write missing');
    expect(assumed.stdout).toContain('note: --assume-verified: the token claims are taken as verified');
  });
});

describe('tollgate explain --token (real verification against the JWKS file)', () => {
  let dir: string;
  let key: TestKey;
  let other: TestKey;
  beforeAll(async () => {
    key = await generateKey('ES256', { kid: 'k1' });
    other = await generateKey('ES256', { kid: 'k1' });
    dir = await policyDir({ 'trust.yaml': API_TRUST, 'api.yaml': apiPolicy('items.read'), 'jwks.json': JSON.stringify(jwks([key])) });
    dirs.push(dir);
  });
  const run = (token: string, ...extra: string[]) => tollgate(['explain', '--policies', dir, '--service', 'api', '--http', 'GET /items/1', '--token', token, ...extra]);
  const good = (k: TestKey, over: Record<string, unknown> = {}) =>
    signToken({ key: k, claims: { ...claims({ iss: 'https://corp.example.org', sub: 'svc-a', aud: 'api' }), scope: 'items.read', ...over } });

  it('allows a token signed by the configured key', async () => {
    const r = await run(await good(key));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ token    token from corp, sub svc-a, scopes items.read');
    expect(r.stdout).toContain('caller    token of corp, sub svc-a');
  });

  it('denies a token signed by another key, with the detail; --assume-verified lets the claims count', async () => {
    const forged = await good(other);
    const r = await run(forged);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^DENY {2}invalid_token\n/);
    expect(r.stdout).toMatch(/detail {4}\w+/);
    const assumed = await run(forged, '--assume-verified');
    expect(assumed.code).toBe(0);
  });

  it('notes an expired token under --assume-verified, and refuses a non-JWT', async () => {
    const expired = await good(key, { exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 600 });
    expect((await run(expired)).code).toBe(1);
    const assumed = await run(expired, '--assume-verified');
    expect(assumed.stdout).toMatch(/note: the token expired at \d{4}-/);
    const junk = await run('not-a-jwt', '--assume-verified');
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/^tollgate explain: the token is not a readable JWT/);
  });
});

describe('tollgate explain --request (proto3 JSON CheckRequest)', () => {
  it('reads camelCase and original field names alike, header_map included', async () => {
    const camel = await tollgate(['explain', '--request', join(FIXTURES, 'check-request.camel.json'), '--format', 'json']);
    const snake = await tollgate(['explain', '--request', join(FIXTURES, 'check-request.snake.json'), '--format', 'json']);
    expect(camel.code).toBe(1);
    expect(snake.code).toBe(1);
    const a = JSON.parse(camel.stdout) as Record<string, unknown>;
    const b = JSON.parse(snake.stdout) as Record<string, unknown>;
    expect(a).toMatchObject({ decision_id: 'req-camel-1', reason: 'missing_credential', selected_by: 'destination_principal', service: 'payments' });
    expect(b).toMatchObject({ decision_id: 'req-snake-1', reason: 'missing_credential', request: { method: 'POST', path: '/v1/ledger' } });
    expect(a['notes']).toEqual(['ignored fields unknown to the CheckRequest proto: attributes.someFutureField']);
    expect({ ...a, decision_id: '', notes: [] }).toEqual({ ...b, decision_id: '', notes: [] });
  });

  it('reads the request from stdin with -, and refuses a mistyped field', async () => {
    const text = await readFile(join(FIXTURES, 'check-request.camel.json'), 'utf8');
    const ok = await tollgate(['explain', '--request', '-'], { stdin: text });
    expect(ok.stdout.split('\n')[0]).toBe('DENY  missing_credential');
    const bad = await tollgate(['explain', '--request', '-'], { stdin: text.replace('"method": "POST"', '"method": 7') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('tollgate explain: -: not a CheckRequest: attributes.request.http.method: expected a string (see tollgate explain --help)\n');
  });
});

describe('tollgate explain --audit-line (lines written by the real server)', () => {
  let auditFile: string;
  beforeAll(async () => {
    const logs = await policyDir({});
    dirs.push(logs);
    auditFile = join(logs, 'audit.log');
    // The helper's close() removes its own temp dir: keep the audit file in ours.
    const server = await startServer(EXAMPLES, { 'audit-file': auditFile });
    await server.client.check({ service: 'payments', http: 'GET /v1/ledger/7', principal: INTRUDER, requestId: 'cli-replay-deny' });
    await server.client.check({ service: 'payments', grpc: 'payments.v1.Ledger/GetEntry', principal: REPORTER, requestId: 'cli-replay-allow' });
    await server.close();
  });

  it('replays a denied line as logged, and says whether another policy set would allow it', async () => {
    const same = await tollgate(['explain', '--audit-line', auditFile, '--decision-id', 'cli-replay-deny']);
    expect(same.code).toBe(1);
    expect(same.stdout).toMatch(/^logged: deny not_allowed, decision cli-replay-deny at \d{4}-.*policy generation 1\n/);
    expect(same.stdout.trimEnd().split('\n').at(-1)).toBe('now: deny not_allowed, as logged');
    const fixed = await policyDir({});
    dirs.push(fixed);
    await cp(EXAMPLES, fixed, { recursive: true });
    const payments = join(fixed, 'payments.yaml');
    await writeFile(payments, (await readFile(payments, 'utf8')).replace(`spiffe: ${REPORTER}\n`, 'spiffe: spiffe://example.org/ns/billing/sa/*\n'));
    const now = await tollgate(['explain', '--audit-line', auditFile, '--decision-id', 'cli-replay-deny', '--policies', fixed]);
    expect(now.code).toBe(0);
    expect(now.stdout).toContain(`replayed against ${fixed}:\nALLOW  by payments/ledger-read allow[0]`);
    expect(now.stdout.trimEnd().split('\n').at(-1)).toBe('now: allow, was deny not_allowed: the request would be let through now');
  });

  it('reads one line from stdin, and needs --decision-id for a log of several', async () => {
    const lines = (await readFile(auditFile, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const allow = lines.find((l) => l.includes('cli-replay-allow')) ?? '';
    const r = await tollgate(['explain', '--audit-line', '-'], { stdin: `${allow}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('now: allow, as logged');
    const many = await tollgate(['explain', '--audit-line', auditFile]);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('2 audit lines: pick one with --decision-id');
  });

  it('replays the logged token fields as verified claims', async () => {
    const key = await generateKey('ES256');
    const dir = await policyDir({ 'trust.yaml': API_TRUST, 'api.yaml': apiPolicy('items.read'), 'jwks.json': JSON.stringify(jwks([key])) });
    dirs.push(dir);
    const server = await startServer(dir, { 'audit-file': join(dir, 'audit.log') });
    const token = await signToken({ key, claims: { ...claims({ iss: 'https://corp.example.org', sub: 'svc-a', aud: 'api' }), scope: 'items.read' } });
    const res = await server.client.check({ service: 'api', http: 'GET /items/1', token, requestId: 'cli-token-1' });
    expect(res.status.code).toBe(0);
    await server.close();
    const line = await readFile(join(dir, 'audit.log'), 'utf8');
    expect(line).not.toContain(token);
    const same = await tollgate(['explain', '--audit-line', '-', '--policies', dir], { stdin: line });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('caller    token of corp, sub svc-a, scopes items.read');
    await writeFile(join(dir, 'api.yaml'), apiPolicy('items.write'));
    const stricter = await tollgate(['explain', '--audit-line', '-', '--policies', dir], { stdin: line });
    expect(stricter.code).toBe(1);
    expect(stricter.stdout).toContain('scope items.write missing');
    expect(stricter.stdout).toContain('now: deny not_allowed, was allow');
  });
});

describe('tollgate explain usage errors', () => {
  it.each([
    [['explain']],
    [['explain', '--http', 'GET /']],
    [['explain', '--service', 's', '--http', 'GET /', '--grpc', 'a.B/C']],
    [['explain', '--service', 's', '--http', 'nonsense']],
    [['explain', '--request', 'x.json', '--spiffe', 'spiffe://example.org/a']],
    [['explain', '--request', 'no-such-file.json']],
    [['explain', '--service', 's', '--http', 'GET /', '--header', 'novalue']],
    [['explain', '--service', 's', '--http', 'GET /', '--format', 'yaml']],
    [['explain', '--frobnicate']],
  ])('%j exits 2 with one line on stderr', async (args) => {
    const r = await tollgate(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tollgate explain: /);
    expect(r.stdout).toBe('');
  });
});
