import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { parseServeArgs, SERVE_OPTIONS } from '../../../src/config/config.js';
import { SERVE_USAGE } from '../../../src/cli/usage.js';
import { parseAddress } from '../../../src/config/address.js';

describe('serve configuration', () => {
  it('has safe defaults: loopback listeners, the example policies', () => {
    const r = parseServeArgs([], {});
    expect(r.ok).toBe(true);
    if (r.ok !== true) return;
    expect(r.config.grpc).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 9191 });
    expect(r.config.admin).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 9090 });
    expect(r.config.policiesDir).toBe(path.resolve('policies'));
    expect(r.config.auditFailClosed).toBe(false);
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('reads TOLLGATE_* variables, and flags win over them', () => {
    const env = { TOLLGATE_GRPC_ADDR: 'unix:/run/tg.sock', TOLLGATE_SERVICE: 'payments', TOLLGATE_LOG_LEVEL: 'debug', TOLLGATE_POLICIES: '/etc/tg', TOLLGATE_ADMIN_ADDR: '0.0.0.0:9999' };
    const fromEnv = parseServeArgs([], env);
    expect(fromEnv.ok === true && fromEnv.config).toMatchObject({ grpc: { kind: 'unix', path: '/run/tg.sock' }, service: 'payments', logLevel: 'debug', policiesDir: '/etc/tg', admin: { port: 9999 } });
    const flags = parseServeArgs(['--grpc', '[::1]:7000', '--service', 'ledger', '--log-level', 'warn'], env);
    expect(flags.ok === true && flags.config).toMatchObject({ grpc: { kind: 'tcp', host: '::1', port: 7000 }, service: 'ledger', logLevel: 'warn' });
  });

  it('reports every bad value at once', () => {
    const r = parseServeArgs(['--grpc', 'nonsense', '--admin', 'h:99999', '--log-level', 'loud', '--max-token-bytes', '12x', '--audit-sample-allow', '2'], {});
    expect(r.ok).toBe(false);
    if (r.ok !== false) return;
    expect(r.errors).toHaveLength(5);
    expect(r.errors.join('\n')).toMatch(/--grpc.*nonsense/);
    expect(r.errors.join('\n')).toMatch(/--admin.*port/);
    expect(r.errors.join('\n')).toMatch(/--log-level.*loud/);
  });

  it('refuses unknown flags and stray arguments', () => {
    expect(parseServeArgs(['--polices', 'x'], {}).ok).toBe(false);
    expect(parseServeArgs(['extra'], {}).ok).toBe(false);
  });

  it.each([
    ['127.0.0.1:0', { kind: 'tcp', port: 0 }],
    ['localhost:9191', { kind: 'tcp', host: 'localhost' }],
    ['[::]:9191', { kind: 'tcp', host: '::' }],
    ['unix:/tmp/a.sock', { kind: 'unix', path: '/tmp/a.sock' }],
  ])('parses address %s', (text, expected) => {
    expect(parseAddress(text)).toMatchObject(expected);
  });

  it.each(['9191', ':9191', '::1:9191', 'unix:relative.sock', 'host:', 'host:-1'])('refuses address %s', (text) => {
    expect(parseAddress(text)).toHaveProperty('error');
  });
});

describe('serve limits (backpressure and decode limits)', () => {
  it('defaults: 256 headers, 64 KiB of headers, 1024 checks in flight, no event-loop shedding', () => {
    const r = parseServeArgs([], {});
    expect(r.ok === true && r.config).toMatchObject({ maxHeaders: 256, maxHeaderBytes: 65536, maxInFlight: 1024, maxEventLoopDelayMs: 0 });
  });

  it('reads the limit flags and refuses values out of range', () => {
    const r = parseServeArgs(['--max-headers', '64', '--max-header-bytes', '8192', '--max-in-flight', '0', '--max-event-loop-delay-ms', '200'], {});
    expect(r.ok === true && r.config).toMatchObject({ maxHeaders: 64, maxHeaderBytes: 8192, maxInFlight: 0, maxEventLoopDelayMs: 200 });
    const bad = parseServeArgs(['--max-headers', '2', '--max-header-bytes', 'lots', '--max-in-flight', 'none', '--max-event-loop-delay-ms', '1e3'], {});
    expect(bad.ok === false && bad.errors.map((e) => e.split(':')[0])).toEqual(['--max-headers', '--max-header-bytes', '--max-in-flight', '--max-event-loop-delay-ms']);
  });

  it('documents every serve flag in the help text', () => {
    for (const flag of Object.keys(SERVE_OPTIONS).filter((f) => f !== 'help')) expect(SERVE_USAGE).toContain(`--${flag}`);
  });
});
