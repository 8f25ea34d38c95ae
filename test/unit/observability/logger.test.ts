import { describe, expect, it } from 'vitest';
import { LOG_LEVELS, createLogger } from '../../../src/observability/logger.js';
import { Capture } from './capture.js';

describe('operational logger', () => {
  it('writes JSON lines named tollgate, with child components, at or above its level', () => {
    const out = new Capture();
    const logger = createLogger({ level: 'info', stream: out });
    logger.debug('not shown');
    logger.info({ generation: 2 }, 'policies loaded');
    logger.child({ component: 'policy' }).warn('reload failed');
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ name: 'tollgate', level: 30, msg: 'policies loaded', generation: 2 });
    expect(lines[1]).toMatchObject({ name: 'tollgate', level: 40, component: 'policy', msg: 'reload failed' });
  });

  it('accepts every documented level and refuses others at start-up', () => {
    for (const level of LOG_LEVELS) expect(createLogger({ level, stream: new Capture() }).level).toBe(level);
    expect(() => createLogger({ level: 'verbose', stream: new Capture() })).toThrow(/unknown log level/);
  });
});
