// Fuzzing the real decode → decide → respond → record path in-process with hostile CheckRequests
// (arb-request.ts). Invariants: the handler never rejects; exactly one record per check and one
// audit line that leaks neither token nor query values; every response well formed; no
// internal_error (an exception is a bug, even if it fails closed); every allow is one the policy
// grants (oracle.ts). FUZZ_RUNS sets the number of cases (`npm run fuzz`: 100,000); FUZZ_STATS=1
// prints the mix of answers.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { wireArb } from './arb-request.js';
import { createHarness, type Harness } from './harness.js';
import { judge, type OracleWorld } from './oracle.js';
import { readRequest } from './oracle-read.js';
import { fuzzParams, fuzzRuns, fuzzTimeout } from './runs.js';
import { sentOf, wellFormed } from './wellformed.js';
import { createWorld, type World } from './world.js';

const RUNS = fuzzRuns(1000);

/** Long token segments (signatures, headers): none may ever reach the audit trail. */
function secretsOf(wire: unknown): string[] {
  const values = readRequest(wire)?.headers.get('authorization') ?? [];
  return values.flatMap((v) => v.split(/[\s,.]+/)).filter((s) => s.length >= 40);
}

function reasonOf(res: WireCheckResponse): string {
  return res.dynamic_metadata?.fields.reason?.stringValue ?? '?';
}

describe('fuzz: the real check path in-process', () => {
  let world: World;
  const h: { plain?: Harness; xfcc?: Harness } = {};
  beforeAll(async () => {
    world = await createWorld();
    h.plain = await createHarness(world.dirs.plain);
    h.xfcc = await createHarness(world.dirs.xfcc);
  });
  afterAll(async () => {
    h.plain?.close();
    h.xfcc?.close();
    await world?.cleanup();
  });

  it(`answers ${RUNS} hostile CheckRequests well formed, fail-closed and only as the policy allows`, async () => {
    const seen = { allow: 0, shadow: 0, deny: 0 };
    const reasons = new Set<string>();
    await fc.assert(
      fc.asyncProperty(wireArb(world), fc.boolean(), async (wire, trustXfcc) => {
        const harness = (trustXfcc ? h.xfcc : h.plain) as Harness;
        const res = await harness.check(wire);
        const { records, lines } = await harness.take();
        expect(records).toHaveLength(1);
        expect(wellFormed(res, sentOf(wire))).toBeUndefined();
        const reason = reasonOf(res);
        expect(reason, `detail ${records[0]?.decision.detail}`).not.toBe('internal_error');
        expect(records[0]?.decision.reason).toBe(reason);
        const w: OracleWorld = { goodTokens: world.goodTokens, revokedToken: world.revokedToken, trustXfcc };
        expect(judge(wire, res, w)).toBeUndefined();
        expect(lines).toHaveLength(1);
        const line = lines[0] as string;
        expect(() => JSON.parse(line)).not.toThrow();
        expect(line).not.toContain('s3cr3t-q');
        for (const secret of secretsOf(wire)) expect(line).not.toContain(secret);
        reasons.add(reason);
        if (res.status.code !== 0) seen.deny++;
        else if (res.dynamic_metadata.fields.decision?.stringValue === 'shadow_deny') seen.shadow++;
        else seen.allow++;
      }),
      fuzzParams(RUNS),
    );
    if (process.env.FUZZ_STATS !== undefined) console.log(seen, [...reasons].sort().join(' '));
    // The oracle had real work: allows and shadow denies happened, and denies of many kinds.
    expect(seen.allow).toBeGreaterThan(RUNS / 200);
    expect(seen.shadow).toBeGreaterThan(0);
    expect(reasons.size).toBeGreaterThan(8);
  }, fuzzTimeout(RUNS, 2));
});
