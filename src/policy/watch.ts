// Watches directories (the policy dir itself, and the dirs of JWKS files) with fs.watch and calls
// back once per burst of changes (debounced). Watching the directory, not the files, is what
// catches Kubernetes ConfigMap updates, which swap the `..data` symlink instead of writing files.
// It does not load anything itself.

import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

export interface DirWatcherOptions {
  /** Quiet time after the last event before `onChange` runs. */
  readonly debounceMs: number;
  readonly onChange: () => void;
  readonly onError: (dir: string, err: Error) => void;
}

export interface DirWatcher {
  /** Watch exactly these directories (adds and removes watchers as needed). */
  set(dirs: readonly string[]): void;
  close(): void;
}

export function createDirWatcher(options: DirWatcherOptions): DirWatcher {
  return new Watcher(options);
}

class Watcher implements DirWatcher {
  readonly #options: DirWatcherOptions;
  readonly #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #firstEvent = 0;
  #closed = false;

  constructor(options: DirWatcherOptions) {
    this.#options = options;
  }

  set(dirs: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set(dirs);
    for (const [dir, w] of this.#watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of wanted) if (!this.#watchers.has(dir)) this.#add(dir);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  #add(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, () => this.#schedule());
      w.on('error', (err) => {
        w.close();
        this.#watchers.delete(dir);
        this.#options.onError(dir, err);
      });
      this.#watchers.set(dir, w);
    } catch (err) {
      this.#options.onError(dir, err as Error);
    }
  }

  /** Trailing debounce, but never postponed beyond a few periods by a steady stream of events. */
  #schedule(): void {
    if (this.#closed) return;
    const now = Date.now();
    const wait = this.#options.debounceMs;
    if (this.#timer === undefined) this.#firstEvent = now;
    else if (now - this.#firstEvent >= wait * 4) return;
    else clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fire(), wait);
    this.#timer.unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    if (!this.#closed) this.#options.onChange();
  }
}
