// The shared command-line helpers: strict parsing with short one-line messages, the policy
// directory default, and --format values.

import { afterEach, describe, expect, it } from 'vitest';
import { formatOf, parseCommand, policiesDir, UsageError } from '../../../src/cli/args.js';

const OPTIONS = { strict: { type: 'boolean' }, policies: { type: 'string' } } as const;

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

describe('parseCommand', () => {
  it('parses flags and positionals', () => {
    const { values, positionals } = parseCommand(['--strict', 'dir'], OPTIONS, true);
    expect(values.strict).toBe(true);
    expect(positionals).toEqual(['dir']);
  });

  it.each([
    [['--nope'], true, 'unknown option --nope'],
    [['dir'], false, 'unexpected argument dir'],
    [['--policies'], true, "option '--policies <value>' argument missing"],
    [['--strict=yes'], true, "option '--strict' does not take an argument"],
  ])('%j → %s', (argv, positionals, want) => {
    const got = message(() => parseCommand(argv, OPTIONS, positionals));
    expect(got).toBe(want);
    expect(got).not.toContain('\n');
  });
});

describe('policiesDir', () => {
  const saved = process.env['TOLLGATE_POLICIES'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TOLLGATE_POLICIES'];
    else process.env['TOLLGATE_POLICIES'] = saved;
  });

  it('prefers the argument, then $TOLLGATE_POLICIES, then ./policies', () => {
    process.env['TOLLGATE_POLICIES'] = '/etc/tollgate';
    expect(policiesDir('mine')).toBe('mine');
    expect(policiesDir(undefined)).toBe('/etc/tollgate');
    delete process.env['TOLLGATE_POLICIES'];
    expect(policiesDir(undefined)).toBe('policies');
  });
});

describe('formatOf', () => {
  it('defaults to the first format and refuses others', () => {
    expect(formatOf(undefined, ['text', 'json'] as const)).toBe('text');
    expect(formatOf('json', ['text', 'json'] as const)).toBe('json');
    expect(message(() => formatOf('xml', ['text', 'json'] as const))).toBe('--format must be one of text, json, got "xml"');
  });
});
