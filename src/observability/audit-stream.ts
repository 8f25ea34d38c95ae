// The audit destination's life cycle around sonic-boom (pino.destination): waiting until it is
// open, until what was handed over is written, and until it is closed, and giving up a failing
// one. It writes nothing itself; audit.ts owns the trail.

export interface Destination {
  write(s: string | Buffer): unknown;
  end(): unknown;
  reopen?(): void;
  destroy?(): void;
  destroyed?: boolean;
  fd?: number;
}

export interface State {
  /** Bytes handed to an owned destination and neither written nor dropped yet. */
  pending: number;
  errored: boolean;
  dead: boolean;
  opened: boolean;
  closed: boolean;
}

/**
 * Give up a destination that failed: drop what it still holds and make it destroyed, so that
 * pino's exit hook leaves it alone. That hook calls sonic-boom's flushSync(), which throws for a
 * file that never opened ("sonic boom is not ready yet") and sleeps and retries any write error
 * other than EAGAIN forever (a full disk: the process never exits).
 */
export function abandon(dest: Destination): void {
  if (dest.destroyed === true) return;
  // destroy() closes the descriptor: a file's, never stdout's. Without a descriptor it would wait
  // for an open that will never come.
  if (dest.fd !== undefined && dest.fd > 2 && dest.destroy !== undefined) dest.destroy();
  else dest.destroyed = true;
}

export function waitReady(events: NodeJS.EventEmitter, state: State): Promise<void> {
  if (state.opened) return Promise.resolve();
  if (state.errored) return Promise.reject(new Error('audit destination could not be opened'));
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      events.off('error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      events.off('ready', onReady);
      reject(err);
    };
    events.once('ready', onReady);
    events.once('error', onError);
  });
}

export function waitFlushed(events: NodeJS.EventEmitter, state: State, owned: boolean): Promise<void> {
  if (!owned || state.pending === 0 || state.errored || state.dead) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      events.off('drain', done);
      events.off('error', done);
      resolve();
    };
    events.on('drain', done);
    events.on('error', done);
  });
}

// A destination that never opened would never emit 'close': do not wait for it then.
export function endStream(dest: Destination, events: NodeJS.EventEmitter, failed: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (failed) {
      resolve();
      return;
    }
    events.once('close', () => resolve());
    events.once('finish', () => resolve());
    events.once('error', () => resolve());
    try {
      dest.end();
    } catch {
      resolve();
    }
  });
}
