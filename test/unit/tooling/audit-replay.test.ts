// Audit lines → the request and caller to replay: picking a line by decision id, refusing what is
// not an audit line, and carrying the logged service, peer and token fields over.

import { describe, expect, it } from 'vitest';
import { auditFields } from '../../../src/observability/audit-line.js';
import type { Decision, Request } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';
import type { TrustConfig } from '../../../src/policy/types.js';
import { pickAuditLine, replayOf } from '../../../src/tooling/audit-replay.js';

const request: Request = {
  method: 'GET', path: '/v1/a', rawPath: '/v1/a', hasQuery: true, queryKeys: ['q'], host: 'svc', headers: new Map(), grpcMethod: undefined,
  sourcePrincipal: 'spiffe://example.org/ns/a/sa/b', sourceCertificate: '', sourceAddress: '10.0.0.1:5', destinationPrincipal: 'spiffe://example.org/ns/svc/sa/api',
  contextExtensions: new Map(), requestId: 'r', problem: undefined,
};
const decision = (over: Partial<Decision> = {}): Decision => ({
  verdict: 'deny', reason: 'not_allowed', detail: undefined, service: 'svc', selectedBy: 'context_extensions', rule: '', entry: -1,
  matchedRules: ['r'], forwardToken: true, generation: 3, trace: [], ...over,
});
const identity: Identity = {
  peer: { spiffeId: 'spiffe://example.org/ns/a/sa/b', trustDomain: 'example.org', path: '/ns/a/sa/b', source: 'certificate' },
  token: { issuer: 'corp', iss: 'https://corp', sub: 'u1', jti: 'j1', kid: 'k', aud: ['svc'], scopes: ['a', 'b'], exp: 99, iat: 1, claims: { tenant: 'x' }, svid: undefined, fingerprint: 'f' },
  peerFailure: undefined, tokenFailure: undefined, tokenPresented: true,
};
const line = (id: string, over: Partial<Decision> = {}, req: Request | null = request) =>
  JSON.stringify({ level: 30, name: 'audit', ...auditFields({ decisionId: id, time: 1, decision: decision(over), request: req ?? undefined, identity, cache: 'miss', latencyUs: 5 }) });
const trust = { issuersByIss: new Map([['https://corp', { name: 'corp-renamed' }]]) } as unknown as TrustConfig;

describe('pickAuditLine', () => {
  it('takes the only line, or the one with the decision id', () => {
    expect(pickAuditLine(`${line('a')}\n`, undefined)).toMatchObject({ ok: true, line: { decision_id: 'a' } });
    expect(pickAuditLine(`${line('a')}\n${line('b')}\n`, 'b')).toMatchObject({ ok: true, line: { decision_id: 'b' } });
  });

  it.each([
    [`${line('a')}\n${line('b')}`, undefined, '2 audit lines: pick one with --decision-id'],
    [line('a'), 'zzz', 'no audit line has decision id zzz'],
    ['{"level":30,"msg":"tollgate serving"}', undefined, 'line 1 is not an audit line (decision_id: '],
    ['not json', undefined, 'line 1 is not JSON'],
    ['', undefined, 'no audit line found'],
  ])('refuses %#', (text, id, message) => {
    const r = pickAuditLine(text, id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });
});

describe('replayOf', () => {
  it('rebuilds the request for the logged service and caller, the token fields as claims', () => {
    const picked = pickAuditLine(line('a'), undefined);
    if (!picked.ok) throw new Error(picked.error);
    const replay = replayOf(picked.line, trust);
    expect(replay?.spec).toMatchObject({ http: 'GET /v1/a', service: 'svc', principal: 'spiffe://example.org/ns/a/sa/b', destinationPrincipal: 'spiffe://example.org/ns/svc/sa/api', requestId: 'a' });
    // The issuer is found by iss (it may have been renamed); only the logged fields are there.
    expect(replay?.claims).toEqual({ issuer: 'corp-renamed', sub: 'u1', aud: ['svc'], scope: 'a b', exp: 99, jti: 'j1' });
  });

  it('asks a no_policy line for the service it named, and has nothing to replay without a request', () => {
    const noPolicy = pickAuditLine(line('n', { service: '', reason: 'no_policy', detail: 'service:shop' }), undefined);
    if (!noPolicy.ok) throw new Error(noPolicy.error);
    expect(replayOf(noPolicy.line, trust)?.spec.service).toBe('shop');
    const bare = pickAuditLine(line('m', { reason: 'malformed_request' }, null), undefined);
    if (!bare.ok) throw new Error(bare.error);
    expect(replayOf(bare.line, trust)).toBeUndefined();
  });
});
