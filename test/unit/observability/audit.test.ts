import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../../src/observability/audit.js';
import { FLUSH_DELAY_MS } from '../../../src/observability/audit-batch.js';
import { MAX_FIELD_CHARS } from '../../../src/observability/audit-line.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { Capture, metricValue } from './capture.js';
import { SECRET_COOKIE, SECRET_QUERY, SECRET_TOKEN, decision, denied, identity, record, request, token } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('audit line', () => {
  it('writes one JSON line per decision with exactly the documented fields', async () => {
    const out = new Capture();
    const audit = createAuditLog({ stream: out });
    audit.write(record({ identity: identity({ token: token() }), decision: decision({ detail: 'fine' }) }));
    await audit.flush();
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      name: 'audit',
      time: 1_700_000_000_123,
      decision_id: 'dec-1',
      service: 'payments',
      rule: 'ledger-read',
      decision: 'allow',
      reason: 'allow',
      detail: 'fine',
      cache: 'miss',
      latency_us: 12,
      policy_generation: 3,
    });
    expect(line.caller).toEqual({
      spiffe_id: 'spiffe://example.org/ns/billing/sa/reporter',
      spiffe_source: 'principal',
      token: { issuer: 'corp-idp', iss: 'https://idp.example.org', sub: 'svc-reporting', jti: 'jti-1', aud: ['payments'], scopes: ['ledger.read'], exp: 1_900_000_000 },
    });
    expect(line.request).toEqual({
      method: 'GET',
      path: '/v1/ledger/42',
      host: 'payments.internal',
      grpc_method: null,
      source_address: '10.0.0.7:52114',
      source_principal: 'spiffe://example.org/ns/billing/sa/reporter',
      destination_principal: 'spiffe://example.org/ns/payments/sa/api',
    });
    const expected = ['level', 'pid', 'hostname', 'name', 'time', 'decision_id', 'service', 'rule', 'decision', 'reason', 'detail', 'caller', 'request', 'cache', 'latency_us', 'policy_generation'];
    expect(Object.keys(line).sort()).toEqual([...expected].sort());
  });

  it('never writes the token, a cookie, the query string or other claims', async () => {
    const out = new Capture();
    const audit = createAuditLog({ stream: out });
    const withQuery = request({ rawPath: `/v1/ledger/42?${SECRET_QUERY}` });
    audit.write(record({ request: withQuery, identity: identity({ token: token(), tokenPresented: true }) }));
    audit.write(record({ request: withQuery, decision: denied('invalid_token', { detail: 'token_expired' }), identity: identity({ tokenPresented: true }) }));
    await audit.flush();
    expect(out.lines()).toHaveLength(2);
    for (const secret of [SECRET_TOKEN, SECRET_COOKIE, 'cookie-secret', 'query-secret', 'person@example.org', 'Bearer']) {
      expect(out.text).not.toContain(secret);
    }
    expect(out.lines()[0]!.request).toMatchObject({ path: '/v1/ledger/42' });
  });

  it('writes nulls for absent parts (no identity, undecodable request, deny without rule)', async () => {
    const out = new Capture();
    const audit = createAuditLog({ stream: out });
    audit.write(record({ request: undefined, identity: undefined, cache: 'none', decision: denied('malformed_request', { service: '', detail: 'no_http' }) }));
    await audit.flush();
    expect(out.lines()[0]).toMatchObject({
      service: null, rule: null, decision: 'deny', reason: 'malformed_request', detail: 'no_http',
      caller: { spiffe_id: null, spiffe_source: null, token: null }, request: null, cache: 'none',
    });
  });

  it('cuts an overlong path so a line stays bounded', async () => {
    const out = new Capture();
    const audit = createAuditLog({ stream: out });
    audit.write(record({ request: request({ rawPath: `/${'a'.repeat(10_000)}` }) }));
    await audit.flush();
    const path = (out.lines()[0]!.request as { path: string }).path;
    expect(path.length).toBeLessThan(MAX_FIELD_CHARS + 20);
    expect(path.endsWith('[truncated]')).toBe(true);
  });
});

describe('after the response', () => {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('formats a turn\'s lines once the turn ends, and they reach the destination in order without flush()', async () => {
    // Only the batch's timer is faked: the drain runs on the real setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const out = new Capture();
      const audit = createAuditLog({ stream: out });
      audit.write(record({ decisionId: 'a' }));
      audit.write(record({ decisionId: 'b', decision: denied('not_allowed') }));
      expect(out.lines()).toEqual([]);
      await turn();
      audit.write(record({ decisionId: 'c' }));
      await turn();
      expect(out.lines()).toEqual([]);
      vi.advanceTimersByTime(FLUSH_DELAY_MS);
      expect(out.lines().map((l) => l.decision_id)).toEqual(['a', 'b', 'c']);
      await audit.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('survives a line that cannot be formatted and a metric that throws while counting it', async () => {
    const out = new Capture();
    const metrics = { auditDropped: () => { throw new Error('metric down'); } } as unknown as Metrics;
    const audit = createAuditLog({ stream: out, metrics });
    const broken = { ...decision() };
    Object.defineProperty(broken, 'detail', { enumerable: true, get: () => { throw new Error('no detail'); } });
    audit.write(record({ decisionId: 'broken', decision: broken, request: request({ rawPath: '/a"b' }) }));
    audit.write(record({ decisionId: 'after' }));
    // Formatted from setImmediate: anything thrown there would be an uncaught exception (the test fails).
    await turn();
    await audit.flush();
    expect(out.lines().map((l) => l.decision_id)).toEqual(['after']);
  });
});

describe('sampling', () => {
  it('never drops a deny or a shadow deny, and drops every allow at sampleAllow 0', async () => {
    const out = new Capture();
    const audit = createAuditLog({ stream: out, sampleAllow: 0 });
    for (let i = 0; i < 5; i++) audit.write(record({ decisionId: `allow-${i}` }));
    audit.write(record({ decisionId: 'deny-1', decision: denied('not_allowed') }));
    audit.write(record({ decisionId: 'shadow-1', decision: denied('no_rule', { verdict: 'shadow_deny' }) }));
    await audit.flush();
    expect(out.lines().map((l) => l.decision_id)).toEqual(['deny-1', 'shadow-1']);
  });

  it('keeps an allow when the random draw falls under sampleAllow', async () => {
    const out = new Capture();
    const draws = [0.1, 0.9, 0.49, 0.5];
    const audit = createAuditLog({ stream: out, sampleAllow: 0.5, random: () => draws.shift() ?? 1 });
    for (let i = 0; i < 4; i++) audit.write(record({ decisionId: `allow-${i}` }));
    for (let i = 0; i < 3; i++) audit.write(record({ decisionId: `deny-${i}`, decision: denied('no_credentials') }));
    await audit.flush();
    expect(out.lines().map((l) => l.decision_id)).toEqual(['allow-0', 'allow-2', 'deny-0', 'deny-1', 'deny-2']);
  });

  it('refuses a sample rate outside 0..1 and a tiny buffer at start-up', () => {
    expect(() => createAuditLog({ stream: new Capture(), sampleAllow: 1.5 })).toThrow(/sampleAllow/);
    expect(() => createAuditLog({ stream: new Capture(), sampleAllow: Number.NaN })).toThrow(/sampleAllow/);
    expect(() => createAuditLog({ stream: new Capture(), bufferBytes: 10 })).toThrow(/bufferBytes/);
  });
});

describe('file destination', () => {
  it('appends lines to the file and writes them all by close()', async () => {
    const file = join(dir, 'audit.log');
    const audit = createAuditLog({ file });
    await audit.ready();
    for (let i = 0; i < 3; i++) audit.write(record({ decisionId: `d-${i}` }));
    await audit.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { decision_id: string; name: string });
    expect(lines.map((l) => l.decision_id)).toEqual(['d-0', 'd-1', 'd-2']);
    expect(lines.every((l) => l.name === 'audit')).toBe(true);
  });

  it('drops and counts lines when the buffer is full, and writes the rest', async () => {
    const file = join(dir, 'audit.log');
    const metrics = createMetrics({ defaultMetrics: false });
    const audit = createAuditLog({ file, bufferBytes: 4096, metrics });
    // All in one tick: nothing can reach the file before the loop ends, so the buffer fills up.
    const total = 100;
    for (let i = 0; i < total; i++) audit.write(record({ decisionId: `d-${i}`, decision: denied('not_allowed') }));
    await audit.close();
    const written = (await readFile(file, 'utf8')).trim().split('\n').length;
    const dropped = await metricValue(metrics.registry, 'tollgate_audit_dropped_total');
    expect(dropped).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(0);
    expect(written + dropped!).toBe(total);
  });

  it('with failClosed, turns unwritable while the buffer is full and writable again once flushed', async () => {
    const file = join(dir, 'audit.log');
    const audit = createAuditLog({ file, bufferBytes: 4096, failClosed: true });
    expect(audit.writable()).toBe(true);
    let written = 0;
    while (audit.writable() && written < 1000) {
      audit.write(record({ decisionId: `d-${written}` }));
      written++;
    }
    expect(audit.writable()).toBe(false);
    expect(written).toBeLessThan(1000);
    await audit.flush();
    expect(audit.writable()).toBe(true);
    await audit.close();
    expect(audit.writable()).toBe(false);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(written);
  });

  it('reports a file that cannot be opened: ready() rejects, fail-closed turns unwritable, nothing throws', async () => {
    const file = join(dir, 'missing-dir', 'audit.log');
    const metrics = createMetrics({ defaultMetrics: false });
    const closed = createAuditLog({ file, failClosed: true, metrics });
    const open = createAuditLog({ file, metrics });
    await expect(closed.ready()).rejects.toThrow();
    await expect(open.ready()).rejects.toThrow();
    expect(closed.writable()).toBe(false);
    expect(open.writable()).toBe(true); // without failClosed the handler keeps deciding
    expect(() => closed.write(record({ decision: denied('internal_error') }))).not.toThrow();
    expect(() => open.reopen()).not.toThrow(); // SIGUSR2 on a trail that never opened
    await closed.close();
    await open.close();
  });

  it('drops and counts a line that fails half-way, and leaves no part of it in the file', async () => {
    const file = join(dir, 'audit.log');
    const metrics = createMetrics({ defaultMetrics: false });
    const audit = createAuditLog({ file, metrics });
    await audit.ready();
    const broken = { ...decision() };
    Object.defineProperty(broken, 'detail', { enumerable: true, get: () => { throw new Error('no detail'); } });
    audit.write(record({ decisionId: 'before' }));
    // A quote in the path: the line is written member by member, so it fails after its first members.
    audit.write(record({ decisionId: 'broken', decision: broken, request: request({ rawPath: '/a"b' }) }));
    audit.write(record({ decisionId: 'after' }));
    await audit.close();
    const ids = (await readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);
    expect(ids).toEqual(['before', 'after']);
    expect(await metricValue(metrics.registry, 'tollgate_audit_dropped_total')).toBe(1);
  });

  it('writes a line that arrives while close() is writing the others', async () => {
    const file = join(dir, 'audit.log');
    const audit = createAuditLog({ file });
    await audit.ready();
    audit.write(record({ decisionId: 'early' }));
    const closing = audit.close();
    audit.write(record({ decisionId: 'late' }));
    await closing;
    const ids = (await readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);
    expect(ids).toEqual(['early', 'late']);
  });

  it('counts a line written after close() as dropped instead of throwing', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const audit = createAuditLog({ file: join(dir, 'audit.log'), metrics });
    await audit.close();
    expect(() => audit.write(record())).not.toThrow();
    expect(await metricValue(metrics.registry, 'tollgate_audit_dropped_total')).toBe(1);
  });

  it('reopens the file for log rotation', async () => {
    const file = join(dir, 'audit.log');
    const rotated = join(dir, 'audit.log.1');
    const audit = createAuditLog({ file });
    await audit.ready();
    audit.write(record({ decisionId: 'before' }));
    await audit.flush();
    await rename(file, rotated);
    audit.reopen();
    // Written while the new file is being opened: held back, then written there.
    audit.write(record({ decisionId: 'after' }));
    await audit.close();
    expect(await readFile(rotated, 'utf8')).toContain('"before"');
    const now = await readFile(file, 'utf8');
    expect(now).toContain('"after"');
    expect(now).not.toContain('"before"');
  });
});
