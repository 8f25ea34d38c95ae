import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLUSH_CHARS, FLUSH_DELAY_MS, LineBatch, countLines } from '../../../src/observability/audit-batch.js';

afterEach(() => {
  vi.useRealTimers();
});

function collecting(): { batch: LineBatch; out: [string, number][] } {
  const out: [string, number][] = [];
  return { batch: new LineBatch((text, lines) => out.push([text, lines])), out };
}

describe('LineBatch', () => {
  it('hands lines over together after the delay, in order', () => {
    vi.useFakeTimers();
    const { batch, out } = collecting();
    batch.add('a\n');
    batch.add('b\n');
    expect(out).toEqual([]);
    expect(batch.pendingChars).toBe(4);
    vi.advanceTimersByTime(FLUSH_DELAY_MS);
    expect(out).toEqual([['a\nb\n', 2]]);
    expect(batch.pendingChars).toBe(0);
  });

  it('hands a full batch over at once, and everything on flush()', () => {
    vi.useFakeTimers();
    const { batch, out } = collecting();
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < FLUSH_CHARS / 1024; i++) batch.add(line);
    expect(out).toHaveLength(1);
    expect(out[0]?.[1]).toBe(FLUSH_CHARS / 1024);
    batch.add('tail\n');
    batch.flush();
    expect(out[1]).toEqual(['tail\n', 1]);
    vi.advanceTimersByTime(FLUSH_DELAY_MS * 2);
    expect(out).toHaveLength(2);
  });

  it('counts the lines of a chunk', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a\nb\n')).toBe(2);
    expect(countLines('{"x":"a\\nb"}\n')).toBe(1);
  });
});
