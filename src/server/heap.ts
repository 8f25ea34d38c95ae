// Keeps the V8 heap of a long-running authorizer near what is live once it has grown large.
// After each full collection V8 lets the old generation grow by a factor it picks (up to 4×), so a
// flood of new tokens left a server with a 40 MB live heap at 250 MB resident. A fixed small
// factor all the time cost the warm path ~10 % CPU (a full collection every half second, driven
// by per-request buffers), so the small factor applies only while the heap is over a threshold,
// checked once a second, with hysteresis; on crossing it one full collection is run at once (the
// new factor only applies from the next one; a pause of some milliseconds). An operator's own
// `node --heap-growing-percent=N` wins (Node refuses that flag in NODE_OPTIONS).

import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Heap size (MB) above which growth is held to GROWING_PERCENT; below 3/4 of it, V8 decides again.
 * serve raises it to twice the heap in use once the policies are loaded, so a large policy set
 * (60 MB for 10,000 rules) does not hold growth all the time.
 */
export const HEAP_THRESHOLD_MB = 96;
export const GROWING_PERCENT = 20;
const CHECK_MS = 1000;

const FLAG = /--heap[-_]growing[-_]percent\b/;

export interface HeapGovernor {
  /** Look at the heap now (the timer does this every second); true while growth is held. */
  check(heapMb?: number): boolean;
  stop(): void;
}

/** Whether node was started with its own growth setting (on its command line). */
export function operatorSetGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => FLAG.test(arg));
}

/** The threshold for a server whose heap, policies loaded, holds `usedMb`. */
export function thresholdFor(usedMb: number): number {
  return Math.max(HEAP_THRESHOLD_MB, 2 * usedMb);
}

export interface GovernorOptions {
  /** MB, or a function asked at the first check (after start-up's own garbage is gone). */
  readonly thresholdMb?: number | (() => number);
  readonly setFlag?: (flag: string) => void;
  readonly collect?: () => void;
}

/** Start governing the heap growth (a no-op governor when the operator set it). */
export function governHeap(options: GovernorOptions = {}): HeapGovernor {
  if (operatorSetGrowth()) return { check: () => false, stop: () => undefined };
  let thresholdOf = options.thresholdMb ?? HEAP_THRESHOLD_MB;
  const setFlag = options.setFlag ?? ((flag: string) => v8.setFlagsFromString(flag));
  const collect = options.collect ?? fullCollection;
  let held = false;
  const check = (heapMb = v8.getHeapStatistics().total_heap_size / 2 ** 20): boolean => {
    if (typeof thresholdOf === 'function') thresholdOf = thresholdOf();
    const threshold = thresholdOf;
    if (!held && heapMb > threshold) {
      setFlag(`--heap-growing-percent=${GROWING_PERCENT}`);
      held = true;
      collect();
    } else if (held && heapMb < threshold * 0.75) {
      setFlag('--heap-growing-percent=0'); // 0: V8's own heuristics
      held = false;
    }
    return held;
  };
  const timer = setInterval(() => check(), CHECK_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

let gc: (() => void) | undefined;

/** One full collection, through V8's gc() (exposed on demand, in a context of its own). */
function fullCollection(): void {
  try {
    if (gc === undefined) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
  } catch {
    // Only memory is at stake: the held factor applies from V8's own next collection instead.
  }
}
