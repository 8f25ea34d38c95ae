// Runs a zod schema over one parsed file and turns every issue into a Problem at the line:col
// of the YAML node it concerns (the key for unknown keys, the parent for missing keys).

import type { z } from 'zod';
import { problem } from './problems.js';
import type { Problem } from './problems.js';
import { pathText } from './yaml-source.js';
import type { DataPath, SourceFile } from './yaml-source.js';

/**
 * `fast`, when given, is a hand-written path that returns exactly the schema's output for the
 * documents it vouches for and undefined otherwise (fast-validate.ts); the schema then decides
 * and explains.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  source: SourceFile,
  fast?: (data: unknown) => z.output<S> | undefined,
): { value: z.output<S> | undefined; problems: Problem[] } {
  const quick = fast?.(source.data);
  if (quick !== undefined) return { value: quick, problems: [] };
  const result = schema.safeParse(source.data);
  if (result.success) return { value: result.data, problems: [] };
  return { value: undefined, problems: result.error.issues.flatMap((issue) => issueProblems(issue, source)) };
}

function where(path: DataPath): string {
  return path.length === 0 ? '' : ` in ${pathText(path)}`;
}

function clean(message: string): string {
  return message.replace(/^Invalid input: /, '');
}

function issueProblems(issue: z.core.$ZodIssue, source: SourceFile): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const error = (at: DataPath, message: string, key = false) =>
    problem(source.file, key ? source.keyAt(at) : source.at(at), 'error', message);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => error([...path, key], `unknown key ${key}${where(path)}`, true));
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [error(path, `${pathText(path)}: ${clean(inner)}`, true)];
    }
    default: {
      if (path.length > 0 && !source.has(path)) {
        const parent = path.slice(0, -1);
        return [error(parent, `missing required key ${String(path[path.length - 1])}${where(parent)}`)];
      }
      const prefix = path.length === 0 ? '' : `${pathText(path)}: `;
      return [error(path, `${prefix}${clean(issue.message)}`)];
    }
  }
}
