import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLUSH_BYTES, FLUSH_DELAY_MS, LineBatch, countLines } from '../../../src/observability/audit-batch.js';

afterEach(() => {
  vi.useRealTimers();
});

function collecting(): { batch: LineBatch; out: [string, number][] } {
  const out: [string, number][] = [];
  return { batch: new LineBatch((bytes, lines) => out.push([bytes.toString('utf8'), lines])), out };
}

describe('LineBatch', () => {
  it('hands lines over together after the delay, in order', () => {
    vi.useFakeTimers();
    const { batch, out } = collecting();
    batch.add('a\n');
    batch.add('b\n');
    expect(out).toEqual([]);
    expect(batch.pendingBytes).toBe(4);
    vi.advanceTimersByTime(FLUSH_DELAY_MS);
    expect(out).toEqual([['a\nb\n', 2]]);
    expect(batch.pendingBytes).toBe(0);
  });

  it('hands a full batch over at once, and everything on flush()', () => {
    vi.useFakeTimers();
    const { batch, out } = collecting();
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < FLUSH_BYTES / 1024; i++) batch.add(line);
    expect(out).toHaveLength(1);
    expect(out[0]?.[1]).toBe(FLUSH_BYTES / 1024);
    batch.add('tail\n');
    batch.flush();
    expect(out[1]).toEqual(['tail\n', 1]);
    vi.advanceTimersByTime(FLUSH_DELAY_MS * 2);
    expect(out).toHaveLength(2);
  });

  it('copies a line given as bytes at once, so the caller may reuse its buffer', () => {
    const { batch, out } = collecting();
    const scratch = Buffer.from('one\n');
    batch.add(scratch.subarray(0, 4));
    scratch.write('two\n');
    batch.add(scratch.subarray(0, 4));
    batch.add(new Uint8Array(Buffer.from(`${'y'.repeat(3 * FLUSH_BYTES)}\n`)));
    batch.flush();
    expect(out.map(([text, lines]) => [text.slice(0, 12), lines])).toEqual([['one\ntwo\n', 2], ['y'.repeat(12), 1]]);
    expect(out[1]?.[0]).toHaveLength(3 * FLUSH_BYTES + 1);
  });

  it('encodes each line as UTF-8 into the batch, whatever its characters', () => {
    const { batch, out } = collecting();
    batch.add('é€😀\n');
    batch.add('"\\\n');
    batch.flush();
    expect(out).toEqual([['é€😀\n"\\\n', 2]]);
    expect(batch.pendingBytes).toBe(0);
  });

  it('starts a new batch when a line might not fit, and holds lines longer than a batch', () => {
    const { batch, out } = collecting();
    batch.add(`${'a'.repeat(FLUSH_BYTES - 10)}\n`);
    const long = `${'é'.repeat(2 * FLUSH_BYTES)}\n`;
    batch.add(long);
    batch.flush();
    expect(out.map(([text, lines]) => [text.length, lines])).toEqual([[FLUSH_BYTES - 9, 1], [long.length, 1]]);
    expect(out[1]?.[0]).toBe(long);
  });

  it('counts the lines of a chunk', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a\nb\n')).toBe(2);
    expect(countLines('{"x":"a\\nb"}\n')).toBe(1);
    expect(countLines(Buffer.from('a\nb\nc'))).toBe(2);
  });
});
