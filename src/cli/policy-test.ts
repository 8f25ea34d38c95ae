// `tollgate test [DIR]`: runs the PolicyTest cases (*.test.yaml) of a policy directory through the
// server's decision path and reports each failure with its file:line:col and the decision trace,
// ending with `N passed, N failed`. Exit 0 all passed, 1 a failure or policy errors, 2 usage.

import { createIdentifier } from '../identity/identify.js';
import { asSnapshot } from '../tooling/evaluate.js';
import { expectText, outcomeText, runPolicyTests, type CaseResult } from '../tooling/policy-tests.js';
import { renderTrace } from '../tooling/render.js';
import { EXIT_FINDING, EXIT_OK, loadOrReport, parseCommand, policiesDir, requireDirectory, usageFailure } from './args.js';

export const TEST_USAGE = `Usage: tollgate test [DIR] [--verbose]

Runs every case of the PolicyTest files (kind: PolicyTest, usually *.test.yaml) in a policy
directory (default: $TOLLGATE_POLICIES, else ./policies). Each case is a caller and a request
for the file's service; it is decided by the same code as the server (the request is built as
Envoy sends it, token claims in the case are taken as verified) and compared with its expect:
allow, { allow: RULE }, deny, { deny: REASON }, shadow_deny or { shadow_deny: REASON }.

A failure prints the case's position, what was expected, what happened and the trace:

  policies/payments.test.yaml:14:5: FAIL reporting token without the scope: expected deny not_allowed, got allow by rule ledger-read
    ✓ select   service payments selected by context_extensions["service"]
    ...

The last line is always "N passed, N failed".

  --verbose, -v   also print a line for each case that passed

Exit codes: 0 every case passed, 1 a case failed or the policy set has errors, 2 bad usage.
`;

const OPTIONS = {
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

function report(r: CaseResult, verbose: boolean): string[] {
  const at = `${r.case.position.file}:${r.case.position.line}:${r.case.position.col}`;
  if (r.passed) return verbose ? [`${at}: ok ${r.case.name}`] : [];
  return [
    `${at}: FAIL ${r.case.name}: expected ${expectText(r.case.expect)}, got ${outcomeText(r.evaluation)}`,
    ...renderTrace(r.evaluation.decision.trace, '    '),
  ];
}

export async function testCommand(argv: readonly string[]): Promise<number> {
  let dir: string;
  let verbose: boolean;
  try {
    const { values, positionals } = parseCommand(argv, OPTIONS, true);
    if (values.help === true) {
      process.stdout.write(TEST_USAGE);
      return EXIT_OK;
    }
    if (positionals.length > 1) throw new Error(`expects one directory, got ${positionals.length}`);
    dir = policiesDir(positionals[0]);
    verbose = values.verbose === true;
    await requireDirectory(dir);
  } catch (err) {
    return usageFailure('test', err);
  }
  const loaded = await loadOrReport('test', dir);
  if (loaded === undefined) return EXIT_FINDING;
  if (loaded.tests.length === 0) process.stderr.write(`tollgate test: no PolicyTest files in ${dir}\n`);
  const peers = createIdentifier();
  let results: CaseResult[];
  try {
    results = await runPolicyTests(loaded.tests, asSnapshot(loaded.snapshot), peers);
  } finally {
    peers.close();
  }
  for (const r of results) for (const line of report(r, verbose)) process.stdout.write(`${line}\n`);
  const failed = results.filter((r) => !r.passed).length;
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_FINDING : EXIT_OK;
}
