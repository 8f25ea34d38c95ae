// Lint warnings (policy-format.md "Lint warnings"): each one at its position, none for a clean
// set, and the pattern containment the shadowing warning relies on.

import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { canWrite, covers, specCovers } from '../../../src/policy/lint-shadow.js';
import { formatProblem, loadPolicyDir } from '../../../src/policy/load.js';
import { parseGrpcSpec, parseHttpSpec } from '../../../src/policy/method-spec.js';
import type { MethodSpec } from '../../../src/policy/method-spec.js';
import { compileSegments } from '../../../src/policy/patterns.js';
import { writePolicyDir } from '../decision/fixtures.js';

const V = 'test/fixtures/policies/valid';

describe('collectWarnings (through loadPolicyDir)', async () => {
  const loaded = await loadPolicyDir(V);
  const warnings = loaded.ok ? loaded.warnings.map(formatProblem) : [];

  it('loads despite warnings', () => {
    expect(loaded.ok).toBe(true);
    expect(warnings.every((w) => w.includes(': warning: '))).toBe(true);
  });

  it.each([
    [`${V}/shop.yaml:21:5: warning: rule empty allows nobody: its allow list is empty`],
    [`${V}/shop.yaml:29:17: warning: spiffe://example.org/** matches every workload of example.org`],
    [`${V}/shop.yaml:11:9: warning: GET /items/* is shadowed by rule read (GET /items/**) with the same entries: it grants nothing new`],
    [`${V}/shop.yaml:17:9: warning: rule write: POST /items can write but the rule has no require (e.g. require: [mtls])`],
    [`${V}/shop.yaml:18:9: warning: rule write: shop.v1.Items/Create can write but the rule has no require (e.g. require: [mtls])`],
    [`${V}/trust.yaml:8:18: warning: issuer corp-idp accepts tokens living up to 48h (more than 24h)`],
    [`${V}/trust.yaml:9:3: warning: issuer unused is never referenced by a service policy`],
    [`${V}/shop.yaml:12:9: warning: HTTP method get is compared case-sensitively: it never matches GET`],
    [`${V}/trust.yaml:6:19: warning: jwks file jwks/corp.json: key 0 holds private key material ("d"); publish public keys only`],
  ])('%s', (line) => {
    expect(warnings).toContain(line);
  });

  it('says nothing else', () => {
    expect(warnings).toHaveLength(9);
  });

  it('reads gRPC Get*/List*/Watch* as reads and warns about nothing in a clean set', async () => {
    const dir = await writePolicyDir({
      'svc.yaml': `kind: ServicePolicy
service: svc
rules:
  - name: read
    methods: [{ grpc: a.v1.S/Get* }, { grpc: a.v1.S/ListThings }, { http: GET|HEAD /x/** }]
    allow: [{ spiffe: spiffe://example.org/ns/a/sa/b }]
  - name: write
    methods: [{ grpc: a.v1.S/Put }, { http: "* /y" }]
    require: [mtls]
    allow: [{ spiffe: spiffe://example.org/ns/a/sa/b }, { token: { issuer: corp-idp } }, { token: { issuer: mesh, subject: "spiffe://example.org/ns/a/**" } }]
`,
    });
    const clean = await loadPolicyDir(dir);
    await rm(dir, { recursive: true, force: true });
    expect(clean.ok ? clean.warnings.map(formatProblem) : ['failed']).toEqual([]);
  });
});

const segs = (p: string) => compileSegments(p.slice(1).split('/'));
const spec = (t: string): MethodSpec => {
  const parsed = t.includes(' ') ? parseHttpSpec(t) : parseGrpcSpec(t);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe('pattern containment', () => {
  it.each([
    ['/a/**', '/a/b/c', true],
    ['/a/**', '/a/*/**', true],
    ['/a/*', '/a/**', false],
    ['/a/*', '/a/b', true],
    ['/a/b*', '/a/bc', true],
    ['/a/b*', '/a/*', false],
    ['/**', '/x/**/y', true],
    ['/a/**/z', '/a/b/z', true],
    ['/a/**/z', '/a/b/y', false],
  ])('%s covers %s: %s', (a, b, expected) => {
    expect(covers(segs(a), segs(b))).toBe(expected);
  });

  it('compares methods as sets and kinds separately', () => {
    expect(specCovers(spec('* /a'), spec('GET|POST /a'))).toBe(true);
    expect(specCovers(spec('GET|HEAD /a'), spec('GET /a'))).toBe(true);
    expect(specCovers(spec('GET /a'), spec('* /a'))).toBe(false);
    expect(specCovers(spec('p.S/*'), spec('p.S/Get'))).toBe(true);
    expect(specCovers(spec('POST /p.S/*'), spec('p.S/Get'))).toBe(false);
  });

  it('knows writes', () => {
    expect(['GET /a', 'DELETE /a', '* /a', 'p.S/GetX', 'p.S/List*', 'p.S/*', 'p.S/Delete'].map((t) => canWrite(spec(t)))).toEqual([
      false, true, true, false, false, true, true,
    ]);
  });
});
