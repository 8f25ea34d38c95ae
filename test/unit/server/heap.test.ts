// The heap governor of `tollgate serve`: growth held once the heap passes the threshold, V8's own
// heuristics back below three quarters of it (hysteresis), a threshold asked for at the first
// check, never over an operator's own --heap-growing-percent, and a flag this Node's V8 really has
// (setFlagsFromString ignores unknown flags without a word).

import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { governHeap, operatorSetGrowth, thresholdFor, type HeapGovernor } from '../../../src/server/heap.js';

let governor: HeapGovernor | undefined;
afterEach(() => governor?.stop());

describe('heap governor', () => {
  it('holds growth above the threshold and lets V8 decide again below three quarters of it', () => {
    const flags: string[] = [];
    let collections = 0;
    governor = governHeap({ thresholdMb: 100, setFlag: (f) => flags.push(f), collect: () => collections++ });
    expect(governor.check(90)).toBe(false);
    expect(governor.check(101)).toBe(true);
    expect(governor.check(90)).toBe(true); // hysteresis: still above 75
    expect(governor.check(70)).toBe(false);
    expect(flags).toEqual(['--heap-growing-percent=20', '--heap-growing-percent=0']);
    expect(collections).toBe(1); // once, on crossing the threshold
  });

  it('raises the threshold for a server whose policies take a large heap', () => {
    expect(thresholdFor(20)).toBe(96);
    expect(thresholdFor(70)).toBe(140);
  });

  it('asks for a threshold given as a function once, at the first check', () => {
    let asked = 0;
    governor = governHeap({ thresholdMb: () => (asked++, 50), setFlag: () => undefined, collect: () => undefined });
    expect(asked).toBe(0);
    expect(governor.check(60)).toBe(true);
    expect(governor.check(30)).toBe(false);
    expect(asked).toBe(1);
  });

  it("leaves an operator's own setting alone", () => {
    expect(operatorSetGrowth(['--heap-growing-percent=50'])).toBe(true);
    expect(operatorSetGrowth(['--max-old-space-size=512', '--heap_growing_percent=35'])).toBe(true);
    expect(operatorSetGrowth(['--max-old-space-size=512'])).toBe(false);
  });

  it("names a flag of this Node's V8", () => {
    const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    expect(options).toMatch(/--heap-growing-percent \(/);
  });
});
