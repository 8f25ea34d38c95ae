// Holds the policy snapshot in force and replaces it: load() builds and validates the whole new
// set, then swaps one reference (its services compiled on first use, the rest in the background
// after the swap); on any problem the last good set stays and each problem is logged with
// file:line:col. watch() reloads on changes in the policy dir or JWKS files.
// Deciding is not its business; it only hands out the current snapshot.

import path from 'node:path';
import type { Metrics } from '../observability/metrics.js';
import { loadPolicyDir } from './load.js';
import { formatProblem } from './problems.js';
import type { Problem } from './problems.js';
import { ServiceTable } from './service-table.js';
import { EMPTY_TRUST } from './trust.js';
import type { CompiledService, PolicySnapshot } from './types.js';
import { createDirWatcher } from './watch.js';
import type { DirWatcher } from './watch.js';

/** The subset of a pino logger the store uses. */
export interface PolicyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PolicyStoreOptions {
  readonly dir: string;
  readonly metrics?: Metrics | undefined;
  readonly logger: PolicyLogger;
  /** Epoch ms for `loadedAt`; injectable for tests. */
  readonly now?: () => number;
  /** Quiet time after a file change before reloading (default 150 ms). */
  readonly debounceMs?: number;
  /**
   * Hold the work that follows a swap — compiling the services no request has asked for yet, then
   * the lint warnings — until releaseWarnings() (the server calls it once it is serving, so that
   * neither delays the start). Otherwise it starts right after each swap.
   */
  readonly holdWarnings?: boolean;
}

export type StoreLoadResult = { readonly ok: true; readonly generation: number } | { readonly ok: false; readonly problems: readonly Problem[] };

export interface PolicyStore {
  current(): PolicySnapshot;
  load(): Promise<StoreLoadResult>;
  watch(): void;
  close(): void;
  onSwap(listener: (snapshot: PolicySnapshot) => void): void;
  /** Start the held work of the set in force (see holdWarnings) and stop holding. */
  releaseWarnings(): void;
}

/** What is in force before the first good load: nothing, so everything denies `no_policy`. */
export const EMPTY_SNAPSHOT: PolicySnapshot = Object.freeze({
  generation: 0,
  loadedAt: 0,
  directory: '',
  trust: EMPTY_TRUST,
  services: new Map<string, CompiledService>(),
  byDestination: new Map<string, CompiledService>(),
});

export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  return new Store(options);
}

class Store implements PolicyStore {
  readonly #options: PolicyStoreOptions;
  readonly #listeners: ((s: PolicySnapshot) => void)[] = [];
  #snapshot: PolicySnapshot = EMPTY_SNAPSHOT;
  #chain: Promise<unknown> = Promise.resolve();
  #watcher: DirWatcher | undefined;
  #holding: boolean;
  #held: (() => void) | undefined;
  #closed = false;

  constructor(options: PolicyStoreOptions) {
    this.#options = options;
    this.#holding = options.holdWarnings === true;
  }

  releaseWarnings(): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) setImmediate(held);
  }

  /** Arrow properties: `current` and `load` are often handed around as plain functions. */
  readonly current = (): PolicySnapshot => this.#snapshot;

  readonly load = (): Promise<StoreLoadResult> => {
    // Loads run one after another, so an older set can never be swapped in after a newer one.
    const run = this.#chain.then(() => this.#loadOnce()).finally(() => this.#watcher?.set(this.#watchedDirs()));
    this.#chain = run.catch(() => undefined);
    return run;
  };

  watch(): void {
    if (this.#watcher !== undefined) return;
    const { logger } = this.#options;
    this.#watcher = createDirWatcher({
      debounceMs: this.#options.debounceMs ?? 150,
      onChange: () => void this.load(),
      onError: (d, err) => logger.warn({ dir: d, err: err.message }, 'cannot watch policy directory'),
    });
    this.#watcher.set(this.#watchedDirs());
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  onSwap(listener: (s: PolicySnapshot) => void): void {
    this.#listeners.push(listener);
  }

  async #loadOnce(): Promise<StoreLoadResult> {
    try {
      return await this.#swapIn();
    } catch (err) {
      // Only a logger or listener bug can land here; the set in force stays either way.
      this.#options.metrics?.policyReload('error');
      return { ok: false, problems: [{ file: this.#options.dir, line: 1, col: 1, severity: 'error', message: `internal error: ${(err as Error).message}` }] };
    }
  }

  async #swapIn(): Promise<StoreLoadResult> {
    const { dir, metrics, logger } = this.#options;
    const result = await loadPolicyDir(dir, { deferWarnings: true, compileLazily: true });
    const current = this.#snapshot;
    if (!result.ok) {
      for (const p of result.problems) this.#log(p);
      metrics?.policyReload('error');
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      logger.error({ dir, errors, generation: current.generation }, `policy load failed with ${errors} error(s); generation ${current.generation} stays in force`);
      return { ok: false, problems: result.problems };
    }
    const next: PolicySnapshot = Object.freeze({ ...result.snapshot, generation: current.generation + 1, loadedAt: (this.#options.now ?? Date.now)() });
    this.#snapshot = next;
    metrics?.policyReload('ok', next.generation);
    logger.info({ dir, generation: next.generation, services: [...next.services.keys()] }, 'policy set loaded');
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (err) {
        logger.error({ err }, 'policy swap listener failed');
      }
    }
    // Compiling and warnings never block a load, so they follow the swap, off the start-up path.
    const finish = (): void => this.#finish(next, result.lint);
    if (this.#holding) this.#held = finish;
    else setImmediate(finish);
    return { ok: true, generation: next.generation };
  }

  /**
   * Compile the services of `snapshot` that no request has compiled yet, one per turn of the event
   * loop (a 100-rule service takes a few ms; checks are answered in between), then lint it. A set
   * replaced meanwhile is not compiled further: whatever still holds it compiles on demand.
   */
  #finish(snapshot: PolicySnapshot, lint: () => readonly Problem[]): void {
    const table = snapshot.services;
    const started = performance.now();
    const step = (): void => {
      if (this.#closed) return;
      if (table instanceof ServiceTable && this.#snapshot === snapshot && table.compileNext()) {
        setImmediate(step);
        return;
      }
      try {
        if (table instanceof ServiceTable) this.#logCompiled(table, snapshot.generation, performance.now() - started);
      } catch {
        // A logger that throws must not take the process down from this timer; linting goes on.
      }
      this.#logWarnings(lint, snapshot.generation);
    };
    step();
  }

  #logCompiled(table: ServiceTable, generation: number, ms: number): void {
    const { dir, logger } = this.#options;
    for (const f of table.failures) {
      logger.error({ dir, generation, service: f.service, err: f.error }, `service ${f.service} failed to compile; its checks are denied internal_error`);
    }
    if (table.pending === 0) logger.info({ dir, generation, services: table.size, failed: table.failures.length, ms: Math.round(ms) }, 'policy set compiled');
  }

  #logWarnings(lint: () => readonly Problem[], generation: number): void {
    try {
      const warnings = lint();
      for (const p of warnings) this.#log(p);
      this.#options.logger.info({ dir: this.#options.dir, generation, warnings: warnings.length }, 'policy set linted');
    } catch (err) {
      this.#options.logger.error({ err }, 'policy lint failed');
    }
  }

  #log(p: Problem): void {
    const fields = { file: p.file, line: p.line, col: p.col, problem: formatProblem(p) };
    if (p.severity === 'error') this.#options.logger.error(fields, formatProblem(p));
    else this.#options.logger.warn(fields, formatProblem(p));
  }

  /** The policy dir plus every directory holding a JWKS file of the set in force. */
  #watchedDirs(): string[] {
    const dirs = new Set([path.resolve(this.#options.dir)]);
    for (const issuer of this.#snapshot.trust.issuers.values()) if (issuer.jwks.file !== undefined) dirs.add(path.dirname(issuer.jwks.file));
    return [...dirs];
  }
}
