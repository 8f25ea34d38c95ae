import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { parseServeArgs } from '../../../src/config/config.js';
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
