// Admission control: the in-flight bound, shedding while the event loop lags (fake timers and a
// clock that stalls), its metrics, and the orchestrator answering a refused check with a
// recorded internal_error deny without decoding it, and never leaking an in-flight slot.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createAdmission, OVERLOADED_EVENT_LOOP, OVERLOADED_IN_FLIGHT } from '../../../src/server/limits.js';
import { createCheckHandler } from '../../../src/server/check-handler.js';
import { wireResponse } from '../../../src/ext-authz/allow-template.js';
import { EMPTY_SNAPSHOT } from '../../../src/policy/store.js';
import { selectService } from '../../../src/decision/select.js';
import { decide } from '../../../src/decision/decide.js';
import type { DecisionRecord } from '../../../src/observability/record.js';
import { NO_IDENTITY, type Identity } from '../../../src/identity/types.js';

/** A clock that runs with the fake timers, plus stalls the test adds (the event loop "blocked"). */
function stallingClock(): { now: () => number; stall(ms: number): void } {
  let stalled = 0;
  return { now: () => Date.now() + stalled, stall: (ms) => void (stalled += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createAdmission', () => {
  it('admits up to maxInFlight checks and refuses the next until one leaves', () => {
    const a = createAdmission({ maxInFlight: 2, maxEventLoopDelayMs: 0 });
    expect([a.enter(), a.enter(), a.enter()]).toEqual([undefined, undefined, OVERLOADED_IN_FLIGHT]);
    expect(a.inFlight).toBe(2);
    a.leave();
    expect(a.enter()).toBeUndefined();
    a.leave();
    a.leave();
    a.leave(); // an extra leave never drives the count below zero
    expect(a.inFlight).toBe(0);
  });

  it('has no bound with maxInFlight 0', () => {
    const a = createAdmission({ maxInFlight: 0, maxEventLoopDelayMs: 0 });
    for (let i = 0; i < 10_000; i++) expect(a.enter()).toBeUndefined();
  });

  it('sheds while the event loop is late by more than the limit, and recovers when it is on time again', () => {
    vi.useFakeTimers();
    const clock = stallingClock();
    const a = createAdmission({ maxInFlight: 0, maxEventLoopDelayMs: 100, sampleMs: 20, now: clock.now });
    vi.advanceTimersByTime(20);
    expect(a.enter()).toBeUndefined();
    clock.stall(90); // late, but within the limit
    vi.advanceTimersByTime(20);
    expect(a.enter()).toBeUndefined();
    clock.stall(250);
    vi.advanceTimersByTime(20);
    expect(a.enter()).toBe(OVERLOADED_EVENT_LOOP);
    vi.advanceTimersByTime(20); // on time again
    expect(a.enter()).toBeUndefined();
    a.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts shed checks by cause and reports the checks in flight', async () => {
    vi.useFakeTimers();
    const clock = stallingClock();
    const registry = new Registry();
    const a = createAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 50, sampleMs: 20, registry, now: clock.now });
    a.enter();
    a.enter();
    clock.stall(80);
    vi.advanceTimersByTime(20);
    a.enter();
    const text = await registry.metrics();
    expect(text).toContain('tollgate_checks_in_flight 1');
    expect(text).toContain('tollgate_checks_shed_total{cause="in_flight"} 1');
    expect(text).toContain('tollgate_checks_shed_total{cause="event_loop"} 1');
    a.close();
  });
});

describe('the orchestrator with admission control', () => {
  const snapshot = { ...EMPTY_SNAPSHOT, generation: 3 };

  function handler(admission: ReturnType<typeof createAdmission>, identify: () => Identity | Promise<Identity> = () => NO_IDENTITY) {
    const records: DecisionRecord[] = [];
    let decoded = 0;
    const check = createCheckHandler({
      policies: { current: () => snapshot },
      engine: { select: (r, s, f) => (decoded++, selectService(r, s, f)), decide: (r, i, s, sel) => ({ decision: decide(r, i, s, sel), cache: 'miss' }) },
      identity: { identify },
      recorder: { record: (r) => records.push(r), auditWritable: () => true },
      fallbackService: undefined, auditFailClosed: false, admission,
    });
    return { check: async (w: unknown) => wireResponse(await check(w)), records, decoded: () => decoded };
  }

  const wire = { attributes: { request: { http: { method: 'GET', path: '/x', headers: { 'x-request-id': 'r-1' } } } } };

  it('denies a refused check at once with internal_error, records it once, and does no work for it', async () => {
    const a = createAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    let release: (i: Identity) => void = () => undefined;
    const h = handler(a, () => new Promise<Identity>((resolve) => (release = resolve)));
    const first = h.check(wire);
    const refused = await h.check(wire);
    expect(refused.status.code).toBe(7);
    expect(JSON.parse(refused.denied_response?.body ?? '{}').reason).toBe('internal_error');
    expect(h.records.map((r) => [r.decision.reason, r.decision.detail, r.decision.generation])).toEqual([['internal_error', OVERLOADED_IN_FLIGHT, 3]]);
    expect(h.decoded()).toBe(1); // only the admitted check was looked at
    release(NO_IDENTITY);
    expect((await first).status.code).toBe(7); // no_policy, answered normally
    expect(a.inFlight).toBe(0);
    expect(h.records).toHaveLength(2);
  });

  it('frees the slot when a check fails with an exception', async () => {
    const a = createAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    const h = handler(a, () => {
      throw new Error('boom');
    });
    expect(JSON.parse((await h.check(wire)).denied_response?.body ?? '{}').reason).toBe('internal_error');
    expect(a.inFlight).toBe(0);
    expect(h.records[0]?.decision.detail).toBe('exception:Error');
  });
});
