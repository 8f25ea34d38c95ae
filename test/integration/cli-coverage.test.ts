// `tollgate coverage` as a team runs it on its own API description: the built CLI as a child
// process with a .proto file and an OpenAPI document against the example and temp policy sets.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, TRUST, policyDir, tollgate } from './cli-run.js';

const PROTO = join(FIXTURES, 'api/payments.proto');
const OPENAPI = join(FIXTURES, 'api/payments.openapi.yaml');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface JsonReport {
  methods: { method: string; status: string; rules: string[]; partial_rules: string[]; callers: string[] }[];
  patterns: { rule: string; kind: string; pattern: string; status: string }[];
}

describe('tollgate coverage (child process)', () => {
  it('lists the uncovered gRPC method and the callers of the covered ones', async () => {
    const r = await tollgate(['coverage', '--proto', PROTO, '--service', 'payments']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  UNCOVERED  payments.v1.Ledger/Delete: no rule selects it; every call is denied (no_rule)');
    const post = lines.indexOf('  covered    payments.v1.Ledger/Post');
    expect(post).toBeGreaterThan(0);
    expect(lines[post + 1]).toMatch(/^ +ledger-write \(require mtls\+token\): spiffe=spiffe:\/\/example\.org\/ns\/checkout\/sa\/api token=corp-idp scopes=ledger\.write; never spiffe=spiffe:\/\/example\.org\/ns\/checkout\/sa\/legacy$/);
    // Without an OpenAPI document, HTTP patterns are not judged.
    expect(r.stdout).toMatch(/not checked \(the API description has no methods of their kind\):\n.*payments\.yaml:\d+:\d+: rule ledger-read: http: GET\|HEAD \/v1\/ledger\/\*\*/);
    expect(lines.at(-2)).toBe('4 methods: 3 covered, 0 partly covered, 1 uncovered; 0 dead patterns');
  });

  it('matches OpenAPI path templates, and --fail-on-uncovered exits 1', async () => {
    const r = await tollgate(['coverage', '--proto', PROTO, '--openapi', OPENAPI, '--service', 'payments', '--format', 'json', '--fail-on-uncovered']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as JsonReport;
    const status = Object.fromEntries(doc.methods.map((m) => [m.method, m.status]));
    expect(status).toEqual({
      'payments.v1.Ledger/GetEntry': 'covered',
      'payments.v1.Ledger/ListEntries': 'covered',
      'payments.v1.Ledger/Post': 'covered',
      'payments.v1.Ledger/Delete': 'uncovered',
      'GET /v1/ledger': 'covered',
      'POST /v1/ledger': 'covered',
      'GET /v1/ledger/{id}': 'covered',
      'DELETE /v1/ledger/{id}': 'uncovered',
      'POST /v1/refunds/{id}': 'covered',
      'GET /v1/exports/{name}.csv': 'covered',
    });
    expect(doc.patterns.every((p) => p.status === 'used')).toBe(true);
  });

  it('finds dead patterns and partly selected methods', async () => {
    const dir = await policyDir({
      'trust.yaml': TRUST,
      'shop.yaml': [
        'kind: ServicePolicy',
        'service: shop',
        'rules:',
        '  - name: read',
        '    methods:',
        '      - http: GET /v1/items/*',
        '      - http: GET /v1/itmes',
        '      - grpc: shop.v1.Items/Get*',
        '    allow: [{ spiffe: spiffe://example.org/ns/web/sa/front }]',
        '  - name: special',
        '    methods: [{ http: DELETE /v1/items/special }]',
        '    require: [mtls]',
        '    allow: [{ spiffe: spiffe://example.org/ns/ops/sa/* }]',
        '',
      ].join('\n'),
    });
    // Not in the policy directory: every *.yaml there is read as a policy file.
    const apiDir = await policyDir({
      'api.yaml': [
        'openapi: 3.1.0',
        'info: { title: shop, version: "1" }',
        'servers: [{ url: "https://{host}/shop", variables: { host: { default: shop.example.org } } }]',
        'paths:',
        '  /v1/items: { get: {} }',
        '  /v1/items/{id}: { get: {}, delete: {} }',
        '',
      ].join('\n'),
    });
    dirs.push(dir, apiDir);
    const api = join(apiDir, 'api.yaml');
    // The servers put the API under /shop: nothing matches until --base-path says otherwise.
    const based = JSON.parse((await tollgate(['coverage', '--policies', dir, '--openapi', api, '--format', 'json'])).stdout) as JsonReport;
    expect(based.methods.map((m) => [m.method, m.status])).toEqual([
      ['GET /shop/v1/items', 'uncovered'],
      ['GET /shop/v1/items/{id}', 'uncovered'],
      ['DELETE /shop/v1/items/{id}', 'uncovered'],
    ]);
    const r = await tollgate(['coverage', '--policies', dir, '--openapi', api, '--base-path', '/']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  UNCOVERED  GET /v1/items: no rule selects it');
    expect(r.stdout).toContain('  partial    DELETE /v1/items/{id}: only some of its paths are selected\n               (some paths) special (require mtls): spiffe=spiffe://example.org/ns/ops/sa/*');
    expect(r.stdout).toMatch(/rule patterns that select no method:\n.*shop\.yaml:4:5: rule read: http: GET \/v1\/itmes\n/);
    expect(r.stdout).toMatch(/not checked .*\n.*rule read: grpc: shop\.v1\.Items\/Get\*/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3 methods: 1 covered, 1 partly covered, 1 uncovered; 1 dead patterns');
  });

  it.each([
    [['coverage', '--service', 'payments'], /give the API description/],
    [['coverage', '--proto', PROTO], /several services \(admin-api, ledger, metrics, payments\): name one with --service/],
    [['coverage', '--proto', PROTO, '--service', 'nope'], /no ServicePolicy for service nope/],
    [['coverage', '--proto', 'missing.proto', '--service', 'payments'], /missing\.proto: /],
    [['coverage', '--openapi', PROTO, '--service', 'payments'], /payments\.proto/],
    [['coverage', '--proto', PROTO, '--bogus'], /unknown option --bogus/],
  ])('%j exits 2 with one line on stderr', async (args, message) => {
    const r = await tollgate(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
