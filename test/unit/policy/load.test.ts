// loadPolicyDir on real files: broken sets report every problem at its exact file:line:col (the
// named fixtures in test/fixtures/policies), good sets compile into a snapshot and tests.

import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, loadPolicyDir } from '../../../src/policy/load.js';
import type { LoadResult } from '../../../src/policy/load.js';

const FIXTURES = 'test/fixtures/policies';

function problemsOf(result: LoadResult): string[] {
  if (result.ok) throw new Error('expected the load to fail');
  return result.problems.map(formatProblem);
}

describe('loadPolicyDir: a broken set reports every problem with its position', () => {
  let lines: string[] = [];
  it('fails', async () => {
    lines = problemsOf(await loadPolicyDir(`${FIXTURES}/broken`));
    expect(lines.every((l) => /^test\/fixtures\/policies\/broken\/[\w.-]+\.yaml:\d+:\d+: (error|warning): /.test(l))).toBe(true);
  });

  it.each([
    ['syntax.yaml:6:1: error: Flow sequence in block collection must be sufficiently indented and end with a ]', 'YAML syntax'],
    ['notes.yaml:1:7: error: unknown kind "Notes"', 'unknown kind'],
    ['orders.yaml:17:5: error: unknown key alow in rules[1]', 'unknown key'],
    ['trust.yaml:15:5: error: unknown key colour in issuers.mesh', 'unknown key in a nested map'],
    ['trust.yaml:3:12: error: trustXfcc: expected boolean, received string', 'wrong type'],
    ['orders-copy.yaml:4:8: error: rules: expected array, received number', 'wrong type of a list'],
    ['orders.yaml:4:7: error: mode: mode must be enforce or dry-run', 'bad enum'],
    ['orders.yaml:12:17: error: rules[0].allow[0].spiffe: SPIFFE pattern "spiffe://*.example.org/ns/a": the trust domain is never a wildcard', 'invalid SPIFFE pattern'],
    ['trust.yaml:17:15: error: revoked.spiffeIds[0]: "spiffe://example.org" names a trust domain, not a workload', 'invalid SPIFFE ID'],
    ['trust.yaml:2:29: error: trustDomains[1]: invalid trust domain "Example.COM"', 'invalid trust domain'],
    ['orders.yaml:13:26: error: unknown issuer nobody (trust.yaml defines: corp-idp, mesh)', 'unknown issuer name'],
    ['orders.yaml:15:11: error: duplicate rule name read (also rules[0], line 6)', 'duplicate rule name'],
    ['orders.yaml:2:10: error: service orders is already used by test/fixtures/policies/broken/orders-copy.yaml:2', 'duplicate service'],
    ['orders.yaml:3:11: error: spiffeId spiffe://example.org/ns/orders/sa/api is already used by', 'duplicate spiffeId'],
    ['trust.yaml:8:25: error: issuers.corp-idp.algorithms[1]: algorithm HS256 is refused', 'HS algorithm'],
    ['trust.yaml:8:32: error: issuers.corp-idp.algorithms[2]: algorithm none is refused', 'none algorithm'],
    ['trust.yaml:9:18: error: issuers.corp-idp.maxLifetime: a duration is like', 'bad duration'],
    ['trust.yaml:7:19: error: jwks file jwks/missing.json not found', 'missing JWKS file'],
    ['trust.yaml:13:19: error: jwks file jwks/mesh.json: key 0 is a shared secret (kty oct)', 'symmetric key in a JWKS'],
    ['trust.yaml:13:44: error: issuers.mesh.jwks.refresh: refresh applies to a jwks url only', 'url-only option on a file'],
    ['trust.yaml:11:13: error: issuer https://idp.example.org is already configured as corp-idp', 'duplicate iss'],
    ['trust.yaml:14:18: error: issuers.mesh.algorithms[0]: a JWT-SVID issuer accepts RS*, ES* and PS* algorithms only', 'EdDSA for SVIDs'],
    ['orders.yaml:8:15: error: rules[0].methods[0].http: path pattern "orders" must start with /', 'bad path pattern'],
    ['orders.yaml:9:9: error: rules[0].methods[1]: a method item has exactly one of grpc or http', 'grpc and http in one item'],
    ['orders.yaml:13:43: error: rules[0].allow[1].token.scopes[0]: a scope has no spaces', 'scope with a space'],
    ['orders.yaml:14:9: error: rules[0].allow[2]: an entry needs spiffe, token or both', 'empty entry'],
    ['orders.yaml:16:14: error: rules[1].methods: a rule selects at least one method', 'empty methods'],
    ['orders.yaml:21:17: error: trust domain other.org is not in trust.yaml trustDomains', 'foreign trust domain'],
    ['orders.yaml:22:46: error: samePeer needs a JWT-SVID issuer (svid: true); corp-idp is not one', 'samePeer without SVID'],
    ['orders.test.yaml:2:10: error: no ServicePolicy for service shipping', 'test for an unknown service'],
    ['orders.test.yaml:5:14: error: cases[0].request: a test request has exactly one of http', 'test request'],
    ['orders.test.yaml:6:13: error: cases[0].expect: expect is allow, deny, shadow_deny', 'test expectation'],
    ['orders.test.yaml:7:5: error: missing required key name in cases[1]', 'missing key'],
  ])('%s (%s)', (line) => {
    expect(lines.filter((l) => l.startsWith(`${FIXTURES}/broken/${line}`))).toHaveLength(1);
  });

  it('reports nothing else', () => {
    expect(lines).toHaveLength(34);
  });
});

describe('loadPolicyDir: the Trust file', () => {
  it('requires one', async () => {
    expect(problemsOf(await loadPolicyDir(`${FIXTURES}/no-trust`))).toEqual([
      `${FIXTURES}/no-trust:1:1: error: no Trust file (kind: Trust) in ${FIXTURES}/no-trust`,
    ]);
  });

  it('refuses a second one', async () => {
    expect(problemsOf(await loadPolicyDir(`${FIXTURES}/two-trusts`))).toEqual([
      `${FIXTURES}/two-trusts/b-trust.yaml:2:7: error: more than one Trust file (the first is ${FIXTURES}/two-trusts/a-trust.yaml)`,
    ]);
  });

  it('reports a directory that cannot be read', async () => {
    expect(problemsOf(await loadPolicyDir(`${FIXTURES}/does-not-exist`))[0]).toContain('cannot read policy directory');
  });
});

describe('loadPolicyDir: a good set', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('compiles services, trust (JWKS paths resolved against the dir, public keys only) and tests', async () => {
    const loaded = await loadPolicyDir(`${FIXTURES}/valid`);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const corp = loaded.snapshot.trust.issuers.get('corp-idp');
    expect(corp?.jwks.file).toBe(path.resolve(`${FIXTURES}/valid/jwks/corp.json`));
    expect(corp?.maxLifetimeSec).toBe(48 * 3600);
    expect(corp?.clockSkewSec).toBe(30);
    expect(corp?.jwks.fileKeys).toEqual([expect.not.objectContaining({ d: expect.anything() })]);
    expect(loaded.snapshot.trust.issuers.get('unused')?.jwks).toMatchObject({ url: 'https://unused.example.org/jwks.json', refreshMs: 600_000, cooldownMs: 30_000, timeoutMs: 2000 });
    expect(loaded.snapshot.trust.issuersByIss.get('https://idp.example.org')?.name).toBe('corp-idp');
    expect(loaded.snapshot.jwksFiles).toEqual([path.resolve(`${FIXTURES}/valid/jwks/corp.json`)]);
    const shop = loaded.snapshot.services.get('shop');
    expect(shop).toMatchObject({ name: 'shop', audience: 'shop', mode: 'enforce', forwardToken: true });
    expect(shop?.rules.map((r) => [r.name, r.position.line])).toEqual([['read', 4], ['read-one', 9], ['write', 15], ['empty', 21], ['everyone', 25]]);
    expect(shop?.rules[0]?.allowEntries).toEqual(['spiffe=spiffe://example.org/ns/app/*']);
    expect(Object.isFrozen(shop)).toBe(true);
  });

  it('exposes the parsed test cases with their positions', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-load-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'trust.yaml'), 'kind: Trust\ntrustDomains: [example.org]\n');
    await writeFile(path.join(dir, 's.yaml'), 'kind: ServicePolicy\nservice: s\nrules:\n  - name: r\n    methods: [{ http: GET /a }]\n    allow: [{ spiffe: spiffe://example.org/a }]\n');
    await writeFile(
      path.join(dir, 's.test.yaml'),
      'kind: PolicyTest\nservice: s\ncases:\n  - name: one\n    request: { http: GET /a }\n    caller: { spiffe: spiffe://example.org/a }\n    expect: { allow: r }\n  - name: two\n    request: { grpc: a.B/C }\n    expect: { deny: no_rule }\n',
    );
    const loaded = await loadPolicyDir(dir);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    expect(loaded.tests).toEqual([
      {
        file: path.join(dir, 's.test.yaml'),
        service: 's',
        cases: [
          { name: 'one', position: { file: path.join(dir, 's.test.yaml'), line: 4, col: 5 }, request: { kind: 'http', method: 'GET', path: '/a' }, caller: { spiffe: 'spiffe://example.org/a', token: undefined }, expect: { verdict: 'allow', reason: undefined, rule: 'r' } },
          { name: 'two', position: { file: path.join(dir, 's.test.yaml'), line: 8, col: 5 }, request: { kind: 'grpc', grpcMethod: 'a.B/C' }, caller: { spiffe: undefined, token: undefined }, expect: { verdict: 'deny', reason: 'no_rule', rule: undefined } },
        ],
      },
    ]);
  });

  it('reads a ConfigMap layout (files are symlinks into ..data) and skips hidden entries', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cm-'));
    dirs.push(dir);
    await mkdir(path.join(dir, '..2024_01'));
    await writeFile(path.join(dir, '..2024_01', 'trust.yaml'), 'kind: Trust\ntrustDomains: [example.org]\n');
    await symlink('..2024_01', path.join(dir, '..data'));
    await symlink('..data/trust.yaml', path.join(dir, 'trust.yaml'));
    const loaded = await loadPolicyDir(dir);
    expect(loaded.ok && loaded.snapshot.files).toEqual([path.join(dir, 'trust.yaml')]);
  });

  it('refuses an empty file and a file that is not a mapping', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-empty-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'trust.yaml'), 'kind: Trust\ntrustDomains: [example.org]\n');
    await writeFile(path.join(dir, 'a.yaml'), '# nothing yet\n');
    await writeFile(path.join(dir, 'b.yml'), '- a\n- b\n');
    expect(problemsOf(await loadPolicyDir(dir))).toEqual([
      `${path.join(dir, 'a.yaml')}:1:1: error: missing kind: a policy file has kind Trust, ServicePolicy or PolicyTest`,
      `${path.join(dir, 'b.yml')}:1:1: error: missing kind: a policy file has kind Trust, ServicePolicy or PolicyTest`,
    ]);
  });
});
