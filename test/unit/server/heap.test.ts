// The heap growth setting of `tollgate serve`: applied by default, never over an operator's own
// --heap-growing-percent (command line or NODE_OPTIONS, either spelling), and a flag this Node's
// V8 really has (setFlagsFromString ignores unknown flags without a word).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tuneHeap } from '../../../src/server/heap.js';

describe('tuneHeap', () => {
  it("leaves an operator's own setting alone", () => {
    expect(tuneHeap(['--heap-growing-percent=50'], '')).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --heap_growing_percent=35')).toBe(false);
  });

  it('sets the growth when nothing else did', () => {
    expect(tuneHeap([], '--max-old-space-size=512')).toBe(true);
  });

  it("names a flag of this Node's V8", () => {
    const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    expect(options).toMatch(/--heap-growing-percent \(/);
  });
});
