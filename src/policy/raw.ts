// Defensive accessors for not-yet-validated YAML data, so that cross-file checks can run (and
// report) even when other parts of a file are invalid. No validation rules live here.

export type Obj = Readonly<Record<string, unknown>>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NONE: readonly unknown[] = Object.freeze([]);

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : NONE;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function field(value: unknown, key: string): unknown {
  return isObj(value) ? value[key] : undefined;
}
