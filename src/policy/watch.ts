// Watches directories (the policy dir itself, and the dirs of JWKS files) with fs.watch and calls
// back once per burst of changes (debounced). Watching the directory, not the files, is what
// catches Kubernetes ConfigMap updates, which swap the `..data` symlink instead of writing files.
// The parent directory is watched too (for that one name), and a directory whose identity changed
// (deleted and recreated, or a symlink to it swapped) is watched afresh on the next set(): an
// inotify watch follows the old inode, not the path. It does not load anything itself.

import { statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

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

interface Watched {
  /** The directory's own watcher; undefined while it does not exist. */
  dir: FSWatcher | undefined;
  /** Its parent, for events about the directory's name (deleted, recreated, symlink swapped). */
  parent: FSWatcher | undefined;
  /** dev:ino of what the path resolves to now ('' when missing). */
  identity: string;
}

function identityOf(dir: string): string {
  try {
    const st = statSync(dir);
    return `${st.dev}:${st.ino}`;
  } catch {
    return '';
  }
}

class Watcher implements DirWatcher {
  readonly #options: DirWatcherOptions;
  readonly #watchers = new Map<string, Watched>();
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
        closeAll(w);
        this.#watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      const w = this.#watchers.get(dir);
      if (w === undefined) this.#add(dir);
      else if (w.dir === undefined || identityOf(dir) !== w.identity) this.#rearm(dir, w);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#watchers.values()) closeAll(w);
    this.#watchers.clear();
  }

  #add(dir: string): void {
    const w: Watched = { dir: undefined, parent: undefined, identity: '' };
    const name = basename(dir);
    if (dirname(dir) !== dir) {
      w.parent = this.#open(dirname(dir), (changed) => {
        if (changed === null || changed === name) this.#schedule();
      });
    }
    this.#watchers.set(dir, w);
    this.#rearm(dir, w);
  }

  /** Watch what the path names now (again). A missing directory is left to the parent's watch. */
  #rearm(dir: string, w: Watched): void {
    w.dir?.close();
    w.identity = identityOf(dir);
    w.dir = w.identity === '' ? undefined : this.#open(dir, () => this.#schedule(), () => (w.dir = undefined));
    if (w.dir === undefined) this.#options.onError(dir, new Error(`cannot watch ${dir}`));
  }

  #open(dir: string, onEvent: (changed: string | null) => void, onFailed?: () => void): FSWatcher | undefined {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, changed) => onEvent(changed === null ? null : String(changed)));
      watcher.on('error', (err) => {
        watcher.close();
        onFailed?.();
        this.#options.onError(dir, err);
        // The directory may be gone or replaced: reload, which also re-arms through set().
        this.#schedule();
      });
      return watcher;
    } catch (err) {
      if (onFailed === undefined) this.#options.onError(dir, err as Error);
      return undefined;
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

function closeAll(w: Watched): void {
  w.dir?.close();
  w.parent?.close();
}
