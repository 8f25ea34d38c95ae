// The zod schema of PolicyTest files (`*.test.yaml`): cases of request + caller + expectation.
// Running the cases is the `tollgate test` command's job; this module only says what is valid.

import { z } from 'zod';
import { DENY_REASON_CODES } from '../decision/reasons.js';
import type { DenyReason } from '../decision/reasons.js';
import { nameSchema } from './names.js';

const reason = z.enum(DENY_REASON_CODES as [DenyReason, ...DenyReason[]], {
  error: (issue) => `unknown reason ${String(issue.input)} (one of: ${DENY_REASON_CODES.join(', ')})`,
});

const testRequest = z
  .strictObject({ http: z.string().optional(), grpc: z.string().optional() })
  .superRefine((v, ctx) => {
    if ((v.http === undefined) === (v.grpc === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a test request has exactly one of http ("GET /path") or grpc (pkg.Service/Method)' });
    }
    if (v.http !== undefined && !/^\S+ \/\S*$/.test(v.http)) {
      ctx.addIssue({ code: 'custom', path: ['http'], message: `a test http request is "METHOD /path", got "${v.http}"` });
    }
    if (v.grpc !== undefined && !/^[A-Za-z0-9_.]+\/[A-Za-z0-9_]+$/.test(v.grpc)) {
      ctx.addIssue({ code: 'custom', path: ['grpc'], message: `a test grpc request is package.Service/Method, got "${v.grpc}"` });
    }
  });

/** Claims of an already-verified token; `issuer` names a trust.yaml issuer, the rest are claims. */
const testToken = z.looseObject({
  issuer: z.string().min(1),
  sub: z.string().optional(),
  scope: z.string().optional(),
  scp: z.array(z.string()).optional(),
  jti: z.string().optional(),
  kid: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
});

const expectation = z.union(
  [
    z.enum(['allow', 'deny', 'shadow_deny']),
    z.strictObject({ allow: nameSchema('a rule name') }),
    z.strictObject({ deny: reason }),
    z.strictObject({ shadow_deny: reason }),
  ],
  { error: 'expect is allow, deny, shadow_deny, { allow: <rule> }, { deny: <reason> } or { shadow_deny: <reason> }' },
);

const testCase = z.strictObject({
  name: z.string().min(1),
  request: testRequest,
  caller: z.strictObject({ spiffe: z.string().optional(), token: testToken.optional() }).default({}),
  expect: expectation,
});

export const PolicyTestSchema = z.strictObject({
  kind: z.literal('PolicyTest'),
  service: nameSchema('a service name'),
  cases: z.array(testCase).min(1, { error: 'a test file has at least one case' }),
});

export type PolicyTestDoc = z.output<typeof PolicyTestSchema>;
export type PolicyTestCaseDoc = z.output<typeof testCase>;
