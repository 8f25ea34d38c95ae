// `tollgate lint` as CI runs it: the built CLI as a child process on good, broken and warning-only
// policy directories — file:line:col lines, JSON and GitHub formats, --strict, and exit codes.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, PROBLEM_LINE, TRUST, policyDir, tollgate } from './cli-run.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function broken(): Promise<string> {
  const dir = await policyDir({
    'trust.yaml': TRUST,
    'svc.yaml': [
      'kind: ServicePolicy',
      'service: svc',
      'rules:',
      '  - name: r',
      '    methods: [{ http: GET /x }]',
      '    allow:',
      '      - spiffe: not-a-spiffe-id',
      '    alow: []',
      '',
    ].join('\n'),
  });
  dirs.push(dir);
  return dir;
}

describe('tollgate lint (child process)', () => {
  it('exits 0 and prints nothing on stdout for the example policies', async () => {
    const r = await tollgate(['lint', 'policies']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('0 errors, 0 warnings');
  });

  it('reads $TOLLGATE_POLICIES when no directory is given', async () => {
    const dir = await broken();
    const r = await tollgate(['lint'], { env: { TOLLGATE_POLICIES: dir } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(join(dir, 'svc.yaml'));
  });

  it('prints every error as file:line:col: error: message and exits 1', async () => {
    const dir = await broken();
    const r = await tollgate(['lint', dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${join(dir, 'svc.yaml')}:7:\\d+: error: .*not-a-spiffe-id`)));
    expect(lines).toContainEqual(expect.stringMatching(/svc\.yaml:8:5: error: unknown key alow/));
    expect(r.stderr).toMatch(/2 errors, 0 warnings \(failed\)/);
  });

  it('passes warnings alone, and fails them with --strict', async () => {
    const dir = join(FIXTURES, 'warnings');
    const plain = await tollgate(['lint', dir]);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/orders\.yaml:6:9: warning: rule place: POST \/v1\/orders can write but the rule has no require/);
    expect(lines[1]).toMatch(/orders\.yaml:9:5: warning: rule nobody-yet allows nobody/);
    const strict = await tollgate(['lint', '--strict', dir]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe(plain.stdout);
  });

  it('--format json gives one document with counts and positions', async () => {
    const dir = await broken();
    const r = await tollgate(['lint', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; errors: number; warnings: number; problems: { file: string; line: number; col: number; severity: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.errors).toBe(2);
    expect(doc.problems.map((p) => [p.line, p.severity])).toEqual([[7, 'error'], [8, 'error']]);
    const warn = JSON.parse((await tollgate(['lint', join(FIXTURES, 'warnings'), '--format=json', '--strict'])).stdout) as { ok: boolean; warnings: number };
    expect(warn).toMatchObject({ ok: false, warnings: 2 });
  });

  it('--format github prints workflow annotations', async () => {
    const r = await tollgate(['lint', join(FIXTURES, 'warnings'), '--format', 'github']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^::warning file=.*orders\.yaml,line=6,col=9::rule place: POST \/v1\/orders can write/);
  });

  it.each([
    [['lint', '--nope']],
    [['lint', 'a', 'b']],
    [['lint', '--format', 'xml', 'policies']],
    [['lint', 'no/such/dir']],
  ])('exits 2 with one line on stderr for %j', async (args) => {
    const r = await tollgate(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tollgate lint: /);
  });
});
