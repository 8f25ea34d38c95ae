// Problems found while loading a policy set (errors and lint warnings), each tied to a
// `file:line:col`, and their one-line rendering. No loading or validation happens here.

export type Severity = 'error' | 'warning';

export interface Problem {
  /** The file as the user named it: the policy dir as passed, joined with the file name. */
  readonly file: string;
  /** 1-based; a problem about the directory as a whole points at 1:1 of the directory path. */
  readonly line: number;
  readonly col: number;
  readonly severity: Severity;
  readonly message: string;
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

export const START: Position = Object.freeze({ line: 1, col: 1 });

export function problem(file: string, at: Position, severity: Severity, message: string): Problem {
  return Object.freeze({ file, line: at.line, col: at.col, severity, message });
}

/** `file:line:col: error: message`, the format editors and CI annotators understand. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`;
}

/** Stable order for output: by file, then position, errors before warnings at the same spot. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}
