// The services of a loaded set, each compiled when first asked for: by a request, by an iteration
// (inventory, coverage), or by the store's background pass once the server is serving. The set was
// validated as a whole before this table exists, so compiling is only building matchers; with
// 10,000 rules it was a fifth of the start-up. It decides nothing and reads no files.

import type { EngineService } from './compiled.js';
import type { CompiledService } from './types.js';

export interface PendingService {
  readonly compile: () => EngineService;
  /** What stands in if compile throws (a bug): no rules and no index, so decide.ts denies internal_error. */
  readonly uncompiled: () => CompiledService;
}

export interface CompileFailure {
  readonly service: string;
  readonly error: Error;
}

export class ServiceTable implements ReadonlyMap<string, CompiledService> {
  readonly #names: readonly string[];
  readonly #pending: Map<string, PendingService>;
  readonly #compiled = new Map<string, CompiledService>();
  readonly #failures: CompileFailure[] = [];

  /** `pending`: in file order, which is the order of iteration. */
  constructor(pending: Map<string, PendingService>) {
    this.#names = Object.freeze([...pending.keys()]);
    this.#pending = pending;
  }

  get size(): number {
    return this.#names.length;
  }

  /** Services not compiled yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Services whose compile threw (each answered by its uncompiled stand-in). */
  get failures(): readonly CompileFailure[] {
    return this.#failures;
  }

  get(name: string): CompiledService | undefined {
    return this.#compiled.get(name) ?? this.#compile(name);
  }

  has(name: string): boolean {
    return this.#compiled.has(name) || this.#pending.has(name);
  }

  /** Compile the next service in file order; whether any is left after it. */
  compileNext(): boolean {
    const next = this.#pending.keys().next();
    if (next.done !== true) this.#compile(next.value);
    return this.#pending.size > 0;
  }

  /** Compile every service left; the failures so far. */
  compileAll(): readonly CompileFailure[] {
    while (this.compileNext());
    return this.#failures;
  }

  keys(): MapIterator<string> {
    return this.#names.values();
  }

  values(): MapIterator<CompiledService> {
    this.compileAll();
    return this.#inOrder().values();
  }

  entries(): MapIterator<[string, CompiledService]> {
    this.compileAll();
    return this.#names.map((n): [string, CompiledService] => [n, this.#compiled.get(n) as CompiledService]).values();
  }

  [Symbol.iterator](): MapIterator<[string, CompiledService]> {
    return this.entries();
  }

  forEach(each: (service: CompiledService, name: string, map: ReadonlyMap<string, CompiledService>) => void): void {
    for (const [name, service] of this.entries()) each(service, name, this);
  }

  #inOrder(): CompiledService[] {
    return this.#names.map((n) => this.#compiled.get(n) as CompiledService);
  }

  #compile(name: string): CompiledService | undefined {
    const pending = this.#pending.get(name);
    if (pending === undefined) return undefined;
    this.#pending.delete(name);
    let service: CompiledService;
    try {
      service = pending.compile();
    } catch (err) {
      this.#failures.push({ service: name, error: err instanceof Error ? err : new Error(String(err)) });
      service = standIn(name, pending);
    }
    this.#compiled.set(name, service);
    return service;
  }
}

/** The uncompiled service, or, should even that throw, one with the name alone: never a throw. */
function standIn(name: string, pending: PendingService): CompiledService {
  try {
    return pending.uncompiled();
  } catch {
    return Object.freeze({
      name, spiffeId: undefined, audience: name, mode: 'enforce', forwardToken: false,
      position: Object.freeze({ file: '', line: 1, col: 1 }), rules: Object.freeze([]),
    });
  }
}

/** Services by their `spiffeId`, through the table (so compiled on first use as well). */
export class DestinationTable implements ReadonlyMap<string, CompiledService> {
  readonly #table: ServiceTable;
  readonly #names: ReadonlyMap<string, string>;

  /** `names`: spiffeId → service name. */
  constructor(table: ServiceTable, names: ReadonlyMap<string, string>) {
    this.#table = table;
    this.#names = names;
  }

  get size(): number {
    return this.#names.size;
  }

  get(spiffeId: string): CompiledService | undefined {
    const name = this.#names.get(spiffeId);
    return name === undefined ? undefined : this.#table.get(name);
  }

  has(spiffeId: string): boolean {
    return this.#names.has(spiffeId);
  }

  keys(): MapIterator<string> {
    return this.#names.keys();
  }

  values(): MapIterator<CompiledService> {
    return [...this.entries()].map(([, s]) => s).values();
  }

  entries(): MapIterator<[string, CompiledService]> {
    return [...this.#names].map(([id, name]): [string, CompiledService] => [id, this.#table.get(name) as CompiledService]).values();
  }

  [Symbol.iterator](): MapIterator<[string, CompiledService]> {
    return this.entries();
  }

  forEach(each: (service: CompiledService, spiffeId: string, map: ReadonlyMap<string, CompiledService>) => void): void {
    for (const [id, service] of this.entries()) each(service, id, this);
  }
}
