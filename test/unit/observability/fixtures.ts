// Builders for DecisionRecords, identities and policy snapshots used by the observability tests.

import type { Decision, Request } from '../../../src/decision/types.js';
import type { Identity, VerifiedToken } from '../../../src/identity/types.js';
import type { DecisionRecord } from '../../../src/observability/record.js';
import type { CompiledRuleInfo, CompiledService, PolicySnapshot } from '../../../src/policy/types.js';

/** A token string that must never appear in any output. */
export const SECRET_TOKEN =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLm9yZyIsInN1YiI6InN2Yy1yZXBvcnRpbmcifQ.c2lnbmF0dXJlLXNlY3JldA';
export const SECRET_COOKIE = 'session=cookie-secret-4711';
export const SECRET_QUERY = 'access_token=query-secret-0815';

export function request(over: Partial<Request> = {}): Request {
  return {
    method: 'GET',
    path: '/v1/ledger/42',
    rawPath: '/v1/ledger/42',
    hasQuery: true,
    queryKeys: ['access_token'],
    host: 'payments.internal',
    headers: new Map([
      ['authorization', `Bearer ${SECRET_TOKEN}`],
      ['cookie', SECRET_COOKIE],
      [':path', `/v1/ledger/42?${SECRET_QUERY}`],
    ]),
    grpcMethod: undefined,
    sourcePrincipal: 'spiffe://example.org/ns/billing/sa/reporter',
    sourceCertificate: '',
    sourceAddress: '10.0.0.7:52114',
    destinationPrincipal: 'spiffe://example.org/ns/payments/sa/api',
    contextExtensions: new Map([['service', 'payments']]),
    requestId: 'req-1',
    problem: undefined,
    ...over,
  };
}

export function token(over: Partial<VerifiedToken> = {}): VerifiedToken {
  return {
    issuer: 'corp-idp',
    iss: 'https://idp.example.org',
    sub: 'svc-reporting',
    jti: 'jti-1',
    kid: 'k1',
    aud: ['payments'],
    scopes: ['ledger.read'],
    exp: 1_900_000_000,
    iat: 1_899_999_000,
    claims: { email: 'person@example.org', raw: SECRET_TOKEN },
    svid: undefined,
    fingerprint: 'fp-1',
    ...over,
  };
}

export function identity(over: Partial<Identity> = {}): Identity {
  return {
    peer: { spiffeId: 'spiffe://example.org/ns/billing/sa/reporter', trustDomain: 'example.org', path: '/ns/billing/sa/reporter', source: 'principal' },
    token: undefined,
    peerFailure: undefined,
    tokenFailure: undefined,
    tokenPresented: false,
    ...over,
  };
}

export function decision(over: Partial<Decision> = {}): Decision {
  return {
    verdict: 'allow',
    reason: 'allow',
    detail: undefined,
    service: 'payments',
    selectedBy: 'context_extensions',
    rule: 'ledger-read',
    entry: 0,
    matchedRules: ['ledger-read'],
    forwardToken: true,
    generation: 3,
    trace: [],
    ...over,
  };
}

export function denied(reason: Decision['reason'], over: Partial<Decision> = {}): Decision {
  return decision({ verdict: 'deny', reason, rule: '', entry: -1, matchedRules: [], ...over });
}

export function record(over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId: 'dec-1',
    time: 1_700_000_000_123,
    decision: decision(),
    request: request(),
    identity: identity(),
    cache: 'miss',
    latencyUs: 12.4,
    ...over,
  };
}

export function rule(name: string, allowEntries: readonly string[], over: Partial<CompiledRuleInfo> = {}): CompiledRuleInfo {
  return { name, mode: 'enforce', position: { file: 'payments.yaml', line: 7, col: 5 }, allowEntries, ...over };
}

export function snapshot(generation: number, services: Record<string, readonly CompiledRuleInfo[]>): PolicySnapshot {
  const map = new Map<string, CompiledService>();
  for (const [name, rules] of Object.entries(services)) {
    map.set(name, {
      name, spiffeId: undefined, audience: name, mode: 'enforce', forwardToken: true,
      position: { file: `${name}.yaml`, line: 1, col: 1 }, rules,
    });
  }
  return {
    generation,
    loadedAt: 0,
    directory: '/policies',
    trust: {
      trustDomains: new Set(['example.org']), trustXfcc: false, issuers: new Map(), issuersByIss: new Map(),
      revoked: { spiffeIds: new Set(), tokenIds: new Set(), keyIds: new Set() },
    },
    services: map,
    byDestination: new Map(),
  };
}
