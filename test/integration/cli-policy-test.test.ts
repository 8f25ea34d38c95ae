// `tollgate test` as CI runs it: the built CLI as a child process on the example policies (whose
// *.test.yaml files must pass), on a set with a failing case, and on a broken set.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyDir } from '../../src/policy/load.js';
import { EXAMPLES, FIXTURES, TRUST, policyDir, tollgate } from './cli-run.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('tollgate test (child process)', () => {
  it('passes every case of the example policies and ends with the count line', async () => {
    const loaded = await loadPolicyDir(EXAMPLES);
    const cases = loaded.ok ? loaded.tests.reduce((n, f) => n + f.cases.length, 0) : -1;
    expect(cases).toBeGreaterThan(0);
    const r = await tollgate(['test', 'policies']);
    expect(r.stdout).toBe(`${cases} passed, 0 failed\n`);
    expect(r.code).toBe(0);
  });

  it('--verbose lists each passing case with its position', async () => {
    const r = await tollgate(['test', '-v', join(FIXTURES, 'failing-tests')]);
    expect(r.stdout).toMatch(/orders\.test\.yaml:4:5: ok the shop reads orders\n/);
  });

  it('reports a failing case at file:line:col with the trace, and exits 1', async () => {
    const dir = join(FIXTURES, 'failing-tests');
    const r = await tollgate(['test', dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${join(dir, 'orders.test.yaml')}:8:5: FAIL billing reads orders (wrong on purpose, the rule does not allow it): expected allow, got deny not_allowed`,
    );
    expect(lines).toContain('    ✗ allow    read allow[0] spiffe=spiffe://example.org/ns/shop/sa/*: spiffe://example.org/ns/billing/sa/api does not match spiffe://example.org/ns/shop/sa/*');
    expect(lines.at(-1)).toBe('1 passed, 1 failed');
  });

  it('runs cases through the request decoder: an ambiguous path is denied as the server would', async () => {
    const dir = await policyDir({
      'trust.yaml': TRUST,
      'files.yaml': 'kind: ServicePolicy\nservice: files\nrules:\n  - name: all\n    methods: [{ http: GET /pub/** }]\n    allow: [{ spiffe: spiffe://example.org/ns/a/sa/b }]\n',
      'files.test.yaml': [
        'kind: PolicyTest',
        'service: files',
        'cases:',
        '  - name: dot segments never match',
        '    request: { http: GET /pub/../etc/passwd }',
        '    caller: { spiffe: spiffe://example.org/ns/a/sa/b }',
        '    expect: { deny: ambiguous_path }',
        '  - name: the query string is not part of the path',
        '    request: { http: GET /pub/a%2Db?download=1 }',
        '    caller: { spiffe: spiffe://example.org/ns/a/sa/b }',
        '    expect: { allow: all }',
        '',
      ].join('\n'),
    });
    dirs.push(dir);
    const r = await tollgate(['test', dir]);
    expect(r.stdout).toBe('2 passed, 0 failed\n');
    expect(r.code).toBe(0);
  });

  it('prints the policy errors and exits 1 when the set does not load', async () => {
    const dir = await policyDir({ 'trust.yaml': 'kind: Trust\ntrustDomains: [Example.ORG]\n' });
    dirs.push(dir);
    const r = await tollgate(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/trust\.yaml:2:\d+: error: /);
    expect(r.stderr).toContain('has 1 error');
  });

  it.each([[['test', '--bad']], [['test', 'x', 'y']], [['test', 'no/such/dir']]])('exits 2 on bad usage %j', async (args) => {
    const r = await tollgate(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
