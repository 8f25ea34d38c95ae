// The orchestrator's promises with the real decision core and a compiled policy: one record per
// Check on every exit path, and any exception inside a check becomes an internal_error deny.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckHandler, type CheckDeps, type Engine } from '../../../src/server/check-handler.js';
import { EncodedCheckResponse, wireResponse } from '../../../src/ext-authz/allow-template.js';
import { createDecisionCache } from '../../../src/decision/cache.js';
import { toCheckResponse } from '../../../src/ext-authz/respond.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';
import { selectService } from '../../../src/decision/select.js';
import { decide } from '../../../src/decision/decide.js';
import { createPolicyStore, type PolicyStore } from '../../../src/policy/store.js';
import type { DecisionRecord, Recorder } from '../../../src/observability/record.js';
import type { Identity } from '../../../src/identity/types.js';

const REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const peer = (spiffeId: string): Identity => ({
  peer: { spiffeId, trustDomain: 'example.org', path: spiffeId.slice('spiffe://example.org'.length), source: 'principal' },
  token: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: false,
});

describe('createCheckHandler', () => {
  let dir: string;
  let store: PolicyStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-handler-'));
    await writeFile(join(dir, 'trust.yaml'), 'kind: Trust\ntrustDomains: [example.org]\n');
    await writeFile(join(dir, 'p.yaml'), `kind: ServicePolicy\nservice: payments\nrules:\n  - name: read\n    methods: [{ http: GET /x }]\n    allow: [{ spiffe: ${REPORTER} }]\n`);
    store = createPolicyStore({ dir, logger: silent });
    expect((await store.load()).ok).toBe(true);
  });
  afterAll(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function harness(overrides: Partial<CheckDeps> = {}, writable = true) {
    const records: DecisionRecord[] = [];
    const recorder: Recorder = { record: (r) => records.push(r), auditWritable: () => writable };
    const engine: Engine = { select: selectService, decide: (r, i, s, sel) => ({ decision: decide(r, i, s, sel), cache: 'miss' }) };
    const check = createCheckHandler({
      policies: store, engine, identity: { identify: (r) => peer(r.sourcePrincipal) }, recorder,
      fallbackService: undefined, auditFailClosed: false, ...overrides,
    });
    return { check: async (wire: unknown) => wireResponse(await check(wire)), records };
  }

  const allowed = buildCheckRequest({ service: 'payments', http: 'GET /x', principal: REPORTER, requestId: 'r1' });

  it('allows and records exactly once', async () => {
    const { check, records } = harness();
    const res = await check(allowed);
    expect(res.status.code).toBe(0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ decisionId: 'r1', decision: { verdict: 'allow', rule: 'read' }, cache: 'miss' });
    expect(records[0]!.latencyUs).toBeGreaterThan(0);
  });

  it.each([
    ['identity throws', { identity: { identify: () => { throw new TypeError('boom'); } } }],
    ['identity rejects', { identity: { identify: () => Promise.reject(new Error('late boom')) } }],
    ['the engine throws', { engine: { select: selectService, decide: () => { throw new RangeError('bad'); } } }],
    ['selection throws', { engine: { select: () => { throw new Error('x'); }, decide: () => { throw new Error('y'); } } }],
    ['the policy store throws', { policies: { current: () => { throw new Error('gone'); } } }],
  ] as [string, Partial<CheckDeps>][])('turns an exception (%s) into an internal_error deny, recorded once', async (_name, overrides) => {
    const { check, records } = harness(overrides);
    const res = await check(allowed);
    expect(res.status.code).toBe(7);
    expect(JSON.parse(res.denied_response!.body).reason).toBe('internal_error');
    expect(res.ok_response).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(records[0]!.decision).toMatchObject({ verdict: 'deny', reason: 'internal_error' });
    expect(records[0]!.decision.detail).toMatch(/^exception:/);
  });

  it('with --audit-fail-closed, denies while the audit trail cannot be written', async () => {
    const { check, records } = harness({ auditFailClosed: true }, false);
    const res = await check(allowed);
    expect(JSON.parse(res.denied_response!.body).reason).toBe('internal_error');
    expect(records[0]!.decision.detail).toBe('audit_unavailable');
  });

  it('answers a decision-cache hit in bytes that say what the object answer says, with the request’s own id', async () => {
    const cache = createDecisionCache({ max: 10 });
    const engine: Engine = { select: selectService, decide: (r, i, s, sel) => cache.decide(r, i, s, sel) };
    const records: DecisionRecord[] = [];
    const check = createCheckHandler({
      policies: store, engine, identity: { identify: (r) => peer(r.sourcePrincipal) }, recorder: { record: (r) => records.push(r), auditWritable: () => true },
      fallbackService: undefined, auditFailClosed: false,
    });
    const first = await check(allowed);
    const again = await check(buildCheckRequest({ service: 'payments', http: 'GET /x', principal: REPORTER, requestId: 'r2', headers: { 'x-tollgate-rule': 'spoof' } }));
    expect(records.map((r) => r.cache)).toEqual(['miss', 'hit']);
    expect(first).not.toBeInstanceOf(EncodedCheckResponse);
    expect(again).toBeInstanceOf(EncodedCheckResponse);
    const hit = wireResponse(again);
    const { decision, request, identity } = records[1]!;
    expect(hit).toEqual(toCheckResponse('r2', decision, request, identity));
    expect(hit.ok_response?.headers.map((h) => [h.header.key, h.header.value])).toEqual([
      ['x-tollgate-decision-id', 'r2'], ['x-tollgate-caller', REPORTER], ['x-tollgate-rule', 'payments/read'],
    ]);
    expect(hit.dynamic_metadata.fields.decision_id?.stringValue).toBe('r2');
    expect(hit.ok_response?.headers_to_remove).toEqual([]); // the spoofed header is overwritten, not removed
  });

  it('does not identify a request whose path is ambiguous, and denies it', async () => {
    let asked = 0;
    const { check } = harness({ identity: { identify: (r) => { asked++; return peer(r.sourcePrincipal); } } });
    const res = await check(buildCheckRequest({ service: 'payments', http: 'GET /a/../x', principal: REPORTER }));
    expect(JSON.parse(res.denied_response!.body).reason).toBe('ambiguous_path');
    expect(asked).toBe(0);
  });
});
