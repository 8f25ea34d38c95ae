// The parsed form of PolicyTest files that `tollgate test` runs: each case with its position,
// request, caller and expectation. Conversion from the validated document only; running the
// cases (and building Requests and Identities from them) is test-cases.ts's / the CLI's job.

import type { DenyReason } from '../decision/reasons.js';
import type { Verdict } from '../decision/types.js';
import type { PolicyTestCaseDoc, PolicyTestDoc } from './test-schema.js';
import type { SourcePosition } from './types.js';
import type { SourceFile } from './yaml-source.js';

export type PolicyTestRequest =
  | { readonly kind: 'http'; readonly method: string; readonly path: string }
  | { readonly kind: 'grpc'; readonly grpcMethod: string };

export interface PolicyTestCaller {
  readonly spiffe: string | undefined;
  /** Claims of an already-verified token, `issuer` being the trust.yaml issuer name. */
  readonly token: Readonly<Record<string, unknown>> | undefined;
}

export interface PolicyTestExpect {
  readonly verdict: Verdict;
  /** For deny / shadow_deny: the expected reason, when the test names one. */
  readonly reason: DenyReason | undefined;
  /** For allow: the expected allowing rule, when the test names one. */
  readonly rule: string | undefined;
}

export interface PolicyTestCase {
  readonly name: string;
  readonly position: SourcePosition;
  readonly request: PolicyTestRequest;
  readonly caller: PolicyTestCaller;
  readonly expect: PolicyTestExpect;
}

export interface PolicyTestFile {
  readonly file: string;
  readonly service: string;
  readonly cases: readonly PolicyTestCase[];
}

export function toTestFile(doc: PolicyTestDoc, source: SourceFile): PolicyTestFile {
  const cases = doc.cases.map((c, i) => {
    const at = source.at(['cases', i]);
    return Object.freeze({
      name: c.name,
      position: Object.freeze({ file: source.file, line: at.line, col: at.col }),
      request: toRequest(c),
      caller: Object.freeze({ spiffe: c.caller.spiffe, token: c.caller.token && Object.freeze({ ...c.caller.token }) }),
      expect: toExpect(c.expect),
    });
  });
  return Object.freeze({ file: source.file, service: doc.service, cases: Object.freeze(cases) });
}

function toRequest(c: PolicyTestCaseDoc): PolicyTestRequest {
  if (c.request.grpc !== undefined) return Object.freeze({ kind: 'grpc', grpcMethod: c.request.grpc });
  const [method = '', path = ''] = (c.request.http ?? '').split(' ');
  return Object.freeze({ kind: 'http', method, path });
}

function toExpect(e: PolicyTestCaseDoc['expect']): PolicyTestExpect {
  if (typeof e === 'string') return Object.freeze({ verdict: e, reason: undefined, rule: undefined });
  if ('allow' in e) return Object.freeze({ verdict: 'allow', reason: undefined, rule: e.allow });
  if ('deny' in e) return Object.freeze({ verdict: 'deny', reason: e.deny, rule: undefined });
  return Object.freeze({ verdict: 'shadow_deny', reason: e.shadow_deny, rule: undefined });
}
