// What the policy tooling commands share: strict flag parsing with one-line usage errors (exit 2),
// the policy directory default (flag or argument > TOLLGATE_POLICIES > ./policies), and loading a
// policy set with its problems printed as `file:line:col: severity: message`.

import { stat } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatProblem, loadPolicyDir, type LoadResult } from '../policy/load.js';

export const EXIT_OK = 0;
export const EXIT_FINDING = 1;
export const EXIT_USAGE = 2;

/** A bad command line: printed as one line, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode; its long messages become short single lines. */
export function parseCommand<O extends Options>(argv: readonly string[], options: O, allowPositionals: boolean) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quoted}`);
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${quoted}`);
    const first = e.message.split('. ')[0] ?? e.message;
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
  }
}

/** Writes `tollgate <command>: <message>` (one line) and returns exit code 2. */
export function usageFailure(command: string, err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tollgate ${command}: ${message.replace(/\s*\n\s*/g, ' ')} (see tollgate ${command} --help)\n`);
  return EXIT_USAGE;
}

export function policiesDir(given: string | undefined): string {
  return given ?? process.env['TOLLGATE_POLICIES'] ?? 'policies';
}

/** Throws a UsageError when `dir` is not a directory. */
export async function requireDirectory(dir: string): Promise<void> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new UsageError(`${dir} is not a policy directory`);
}

/** Loads `dir`; on errors prints every problem (stderr) and returns undefined. */
export async function loadOrReport(command: string, dir: string): Promise<Extract<LoadResult, { ok: true }> | undefined> {
  const loaded = await loadPolicyDir(dir);
  if (loaded.ok) return loaded;
  for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
  const errors = loaded.problems.filter((p) => p.severity === 'error').length;
  process.stderr.write(`tollgate ${command}: the policy set in ${dir} has ${errors} error${errors === 1 ? '' : 's'} (run tollgate lint ${dir})\n`);
  return undefined;
}

/** A `--format` value among `allowed`, else a UsageError. */
export function formatOf<F extends string>(value: string | undefined, allowed: readonly F[]): F {
  const chosen = value ?? allowed[0];
  if (chosen === undefined || !(allowed as readonly string[]).includes(chosen)) {
    throw new UsageError(`--format must be one of ${allowed.join(', ')}, got "${value ?? ''}"`);
  }
  return chosen as F;
}
