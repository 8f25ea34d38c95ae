// One issuer's key set, kept current in the background: a file (re-read when it changes: watch +
// stat polling) or an http(s) URL (refreshed every `refreshMs`; an unknown kid may force one
// refetch per `cooldownMs`). A failed load keeps the last good set; a good one applies at once,
// even when it removes keys. Verification never waits here longer than the caller allows.

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Metrics } from '../observability/metrics.js';
import type { IssuerConfig } from '../policy/types.js';
import { parseKeySet, warmKeySet, type KeySet } from './jwks-document.js';
import { fetchKeySetText, fileStamp, readKeySetFile } from './jwks-fetch.js';

export type { KeySet } from './jwks-document.js';

export interface IdentityLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface KeySourceDeps {
  readonly metrics?: Metrics | undefined;
  readonly logger?: IdentityLogger | undefined;
  readonly now: () => number;
}

export type LoadResult = 'ok' | 'error' | 'unchanged';

/** How often a key file is stat()ed, as a backstop for file-system events that never come (NFS). */
export const FILE_POLL_MS = 5000;

const keys = new WeakMap<IssuerConfig, string>();

/** What a key source depends on: two issuer configs with equal keys can share one source. */
export function sourceKey(issuer: IssuerConfig): string {
  let key = keys.get(issuer);
  if (key === undefined) {
    const { file, url, refreshMs, cooldownMs, timeoutMs } = issuer.jwks;
    key = JSON.stringify([issuer.name, issuer.svid, file ?? null, url ?? null, refreshMs, cooldownMs, timeoutMs]);
    keys.set(issuer, key);
  }
  return key;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class KeySource {
  readonly key: string;
  private keySet: KeySet | undefined;
  private text: string | undefined;
  private stamp = '';
  private confirmedAt = 0;
  private lastResult: LoadResult | undefined;
  private inflight: Promise<void> | undefined;
  private rerun = false;
  private lastMissRefetch = Number.NEGATIVE_INFINITY;
  private started: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(readonly issuer: IssuerConfig, private readonly deps: KeySourceDeps) {
    this.key = sourceKey(issuer);
  }

  /** Start loading and refreshing; resolves once the first load has finished, well or not. */
  start(): Promise<void> {
    if (this.started === undefined) {
      this.started = this.reload();
      if (this.issuer.jwks.file !== undefined) this.watchFile(this.issuer.jwks.file);
      void this.started.then(() => this.scheduleNext());
    }
    return this.started;
  }

  /** The key set in force (undefined until a first good load). */
  current(): KeySet | undefined {
    return this.keySet;
  }

  /**
   * For a kid the set lacks (or no set at all): join the load under way, or start one unless one
   * was started for this reason within the cooldown. undefined means: no fresher keys coming.
   */
  refetchForMissingKey(): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.inflight !== undefined) return this.inflight;
    const now = this.deps.now();
    if (now - this.lastMissRefetch < this.issuer.jwks.cooldownMs) return undefined;
    this.lastMissRefetch = now;
    return this.reload();
  }

  /** Load now (single flight). `rerun`: if a load is under way, load once more after it. */
  reload(rerun = false): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.inflight !== undefined) {
      if (rerun) this.rerun = true;
      return this.inflight;
    }
    const run = async (): Promise<void> => {
      do {
        this.rerun = false;
        await this.loadOnce();
      } while (this.rerun && !this.closed);
    };
    const inflight = run().finally(() => {
      if (this.inflight === inflight) this.inflight = undefined;
    });
    this.inflight = inflight;
    return inflight;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async loadOnce(): Promise<void> {
    let result: LoadResult;
    try {
      result = await this.fetchAndApply();
    } catch (err) {
      result = 'error';
      this.deps.logger?.warn({ issuer: this.issuer.name, err: errorText(err) }, 'key set load failed; the last good key set stays in force');
    }
    if (this.closed) return;
    this.lastResult = result;
    this.deps.metrics?.jwksRefresh(this.issuer.name, result);
    this.reportAge();
  }

  private async fetchAndApply(): Promise<LoadResult> {
    const { file, url, timeoutMs } = this.issuer.jwks;
    let text: string;
    if (file !== undefined) {
      const read = await readKeySetFile(file);
      // Remembered even if the content is bad, so a broken file is reported once, not every poll.
      this.stamp = read.stamp;
      text = read.text;
    } else if (url !== undefined) {
      text = await fetchKeySetText(url, timeoutMs);
    } else {
      throw new Error('the issuer has neither jwks.file nor jwks.url');
    }
    if (text === this.text && this.keySet !== undefined) {
      this.confirmedAt = this.deps.now();
      return 'unchanged';
    }
    const parsed = parseKeySet(text, this.issuer.svid);
    if (!parsed.ok) throw new Error(parsed.error);
    const unusable = await warmKeySet(parsed.keySet, parsed.keys);
    if (this.closed) return 'unchanged';
    this.keySet = parsed.keySet;
    this.text = text;
    this.confirmedAt = this.deps.now();
    this.deps.logger?.info(
      { issuer: this.issuer.name, keys: parsed.keySet.size, skipped: parsed.skipped, unusable },
      'key set loaded',
    );
    return 'ok';
  }

  private reportAge(): void {
    if (this.confirmedAt > 0) this.deps.metrics?.jwksAge(this.issuer.name, Math.max(0, this.deps.now() - this.confirmedAt) / 1000);
  }

  private scheduleNext(): void {
    if (this.closed) return;
    const { file, refreshMs, cooldownMs } = this.issuer.jwks;
    const delay = file !== undefined ? Math.min(FILE_POLL_MS, refreshMs)
      : this.lastResult === 'error' ? Math.min(refreshMs, cooldownMs) : refreshMs;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.scheduleNext());
    }, Math.max(delay, 10));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const file = this.issuer.jwks.file;
    if (file === undefined) return this.reload();
    try {
      if ((await fileStamp(file)) === this.stamp) {
        if (this.keySet !== undefined) this.confirmedAt = this.deps.now();
        this.reportAge();
        return undefined;
      }
    } catch {
      // A missing file is reported by the load below.
    }
    return this.reload(true);
  }

  /** Watch the directory, not the file: editors and ConfigMaps replace files by renaming. */
  private watchFile(file: string): void {
    const name = basename(file);
    try {
      this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name || String(changed).startsWith('..')) void this.reload(true);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.deps.logger?.warn({ issuer: this.issuer.name, err: errorText(err) }, 'cannot watch the key file; polling it instead');
    }
  }
}
