// `tollgate lint [DIR]`: every error and warning of a policy set, as `file:line:col: severity:
// message` lines (or JSON, or GitHub Actions annotations). Exit 0 clean, 1 errors (or warnings
// with --strict), 2 bad usage. It reports what the loader finds and judges nothing itself.

import { loadPolicyDir, type Problem } from '../policy/load.js';
import { EXIT_FINDING, EXIT_OK, formatOf, parseCommand, policiesDir, requireDirectory, usageFailure } from './args.js';
import { formatProblem } from '../policy/problems.js';

export const LINT_USAGE = `Usage: tollgate lint [DIR] [--strict] [--format text|json|github]

Checks a policy directory (default: $TOLLGATE_POLICIES, else ./policies) the way the server
loads it, and prints every problem, errors and warnings, one per line:

  policies/orders.yaml:17:5: error: unknown key alow in rules[1]
  policies/trust.yaml:15:5: warning: issuer mesh is never referenced by a service policy

  --strict          warnings fail too (exit 1)
  --format FORMAT   text (default), json (one document, for CI tools), or github
                    (::error/::warning workflow commands that annotate a pull request)

Exit codes: 0 no errors (warnings alone are fine unless --strict), 1 errors, 2 bad usage or
no such directory. The summary line goes to stderr; stdout holds only the problems.
`;

const OPTIONS = {
  strict: { type: 'boolean' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `%`, CR, LF, and (in properties) `:` and `,` must be escaped in workflow commands. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function githubLine(p: Problem): string {
  return `::${p.severity} file=${escapeProperty(p.file)},line=${p.line},col=${p.col}::${escapeData(p.message)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export async function lintCommand(argv: readonly string[]): Promise<number> {
  let dir: string;
  let format: 'text' | 'json' | 'github';
  let strict: boolean;
  try {
    const { values, positionals } = parseCommand(argv, OPTIONS, true);
    if (values.help === true) {
      process.stdout.write(LINT_USAGE);
      return EXIT_OK;
    }
    if (positionals.length > 1) throw new Error(`expects one directory, got ${positionals.length}`);
    dir = policiesDir(positionals[0]);
    format = formatOf(values.format, ['text', 'json', 'github'] as const);
    strict = values.strict === true;
    await requireDirectory(dir);
  } catch (err) {
    return usageFailure('lint', err);
  }
  const loaded = await loadPolicyDir(dir);
  const problems = loaded.ok ? loaded.warnings : loaded.problems;
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const failed = errors > 0 || (strict && warnings > 0);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ ok: !failed, errors, warnings, problems }, null, 2)}\n`);
  } else {
    const line = format === 'github' ? githubLine : formatProblem;
    for (const p of problems) process.stdout.write(`${line(p)}\n`);
  }
  const verdict = failed ? 'failed' : 'ok';
  process.stderr.write(`tollgate lint: ${dir}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')} (${verdict}${strict ? ', --strict' : ''})\n`);
  return failed ? EXIT_FINDING : EXIT_OK;
}
