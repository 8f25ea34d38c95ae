// The example policy set that `npm start` serves: it loads without errors or warnings, and
// every case of its *.test.yaml files gives the expected decision.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import { formatProblem, loadPolicyDir } from '../../../src/policy/load.js';
import { identityFromCase, requestFromCase } from '../../../src/policy/test-cases.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';

const dir = path.resolve(import.meta.dirname, '../../../policies');
const loaded = await loadPolicyDir(dir);

describe('policies/ (the example set)', () => {
  it('loads with no errors and no warnings', () => {
    expect(loaded.ok ? loaded.warnings.map(formatProblem) : loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.ok).toBe(true);
  });

  it('has the services the docs describe, selectable by spiffeId', () => {
    if (!loaded.ok) throw new Error('not loaded');
    expect([...loaded.snapshot.services.keys()].sort()).toEqual(['admin-api', 'ledger', 'metrics', 'payments']);
    expect(loaded.snapshot.byDestination.get('spiffe://example.org/ns/payments/sa/api')?.name).toBe('payments');
    expect(loaded.snapshot.trust.issuers.get('mesh')?.svid).toBe(true);
  });

  const cases = loaded.ok ? loaded.tests.flatMap((f) => f.cases.map((c) => ({ file: f, c }))) : [];
  it('has test cases for every service', () => {
    expect(new Set(cases.map((x) => x.file.service))).toEqual(new Set(['admin-api', 'ledger', 'metrics', 'payments']));
  });

  it.each(cases.map((x) => [`${x.file.service}: ${x.c.name}`, x] as const))('%s', (_name, { file, c }) => {
    if (!loaded.ok) throw new Error('not loaded');
    const snapshot: PolicySnapshot = { ...loaded.snapshot, generation: 1, loadedAt: 0 };
    const request = requestFromCase(c, file.service);
    const selection = selectService(request, snapshot, undefined);
    const identity = identityFromCase(c, snapshot.trust, selection.service?.audience ?? file.service);
    const decision = decide(request, identity, snapshot, selection, { trace: true });
    const got = { verdict: decision.verdict, reason: c.expect.reason === undefined ? undefined : decision.reason, rule: c.expect.rule === undefined ? undefined : decision.rule };
    expect(got, decision.trace.map((s) => s.message).join('\n')).toEqual({ verdict: c.expect.verdict, reason: c.expect.reason, rule: c.expect.rule });
  });
});
