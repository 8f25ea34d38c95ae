// Runs PolicyTest cases (policy-format.md "PolicyTest") through the server's decision path: each
// case becomes an Envoy-shaped CheckRequest for the file's service, its token claims are taken as
// verified, and the decision is compared with the expectation. Reporting is the CLI's job.

import { buildCheckRequest } from '../ext-authz/build.js';
import type { PolicyTestCase, PolicyTestExpect, PolicyTestFile } from '../policy/test-files.js';
import type { PolicySnapshot } from '../policy/types.js';
import type { IdentitySource } from '../server/check-handler.js';
import { assumingClaims } from './assumed-identity.js';
import { evaluate, type Evaluation } from './evaluate.js';

export interface CaseResult {
  readonly file: PolicyTestFile;
  readonly case: PolicyTestCase;
  readonly passed: boolean;
  readonly evaluation: Evaluation;
}

export function expectText(e: PolicyTestExpect): string {
  if (e.verdict === 'allow') return e.rule === undefined ? 'allow' : `allow by rule ${e.rule}`;
  return e.reason === undefined ? e.verdict : `${e.verdict} ${e.reason}`;
}

export function outcomeText(ev: Evaluation): string {
  const d = ev.decision;
  if (d.verdict === 'allow') return `allow by rule ${d.rule}`;
  return `${d.verdict} ${d.reason}${d.detail === undefined ? '' : ` (${d.detail})`}`;
}

function meets(e: PolicyTestExpect, ev: Evaluation): boolean {
  const d = ev.decision;
  if (d.verdict !== e.verdict) return false;
  if (e.reason !== undefined && d.reason !== e.reason) return false;
  return e.rule === undefined || d.rule === e.rule;
}

export async function runCase(file: PolicyTestFile, c: PolicyTestCase, snapshot: PolicySnapshot, peers: IdentitySource): Promise<CaseResult> {
  const wire = buildCheckRequest({
    ...(c.request.kind === 'grpc' ? { grpc: c.request.grpcMethod } : { http: `${c.request.method} ${c.request.path}` }),
    service: file.service,
    principal: c.caller.spiffe,
  });
  const evaluation = await evaluate(wire, snapshot, { identity: assumingClaims(peers, c.caller.token) });
  return { file, case: c, passed: meets(c.expect, evaluation), evaluation };
}

/** Every case of every file, in file order. */
export async function runPolicyTests(files: readonly PolicyTestFile[], snapshot: PolicySnapshot, peers: IdentitySource): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const file of files) {
    for (const c of file.cases) results.push(await runCase(file, c, snapshot, peers));
  }
  return results;
}
