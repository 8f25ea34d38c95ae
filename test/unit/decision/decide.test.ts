// Table tests of decide(): every reason code it can return, the order of the checks, dry-run
// (shadow deny) and the trace. Policies are real YAML compiled by the real loader.

import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import type { Request } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { req, snapshotOf, tokenOf, who } from './fixtures.js';

const SVC = `
kind: ServicePolicy
service: svc
spiffeId: spiffe://example.org/ns/svc/sa/api
rules:
  - name: read
    methods: [{ http: GET /items/** }, { grpc: shop.v1.Items/Get* }]
    allow:
      - spiffe: spiffe://example.org/ns/app/sa/*
      - token: { issuer: corp-idp, subject: svc-*, scopes: [items.read] }
  - name: write
    methods: [{ http: POST /items }]
    require: [mtls, token]
    allow:
      - spiffe: spiffe://example.org/ns/app/sa/writer
        token: { issuer: corp-idp, scopes: [items.write], claims: { tenant: [blue] } }
    deny:
      - spiffe: spiffe://example.org/ns/app/sa/banned
  - name: write-any-app
    methods: [{ http: POST /items }]
    require: [mtls]
    allow:
      - spiffe: spiffe://example.org/ns/app/**
  - name: svid
    methods: [{ http: GET /svid/* }]
    allow:
      - token: { issuer: mesh, subject: spiffe://example.org/ns/app/sa/*, samePeer: true }
  - name: rollout
    mode: dry-run
    methods: [{ http: GET /beta/** }]
    allow:
      - spiffe: spiffe://example.org/ns/app/sa/tester
`;

const DRY = `
kind: ServicePolicy
service: dry
mode: dry-run
rules:
  - name: watched
    methods: [{ http: GET /x }]
    allow: [{ spiffe: spiffe://example.org/ns/app/sa/a }]
  - name: enforced
    mode: enforce
    methods: [{ http: GET /strict }]
    allow: [{ spiffe: spiffe://example.org/ns/app/sa/a }]
`;

let snap: PolicySnapshot;
beforeAll(async () => {
  snap = await snapshotOf({ 'svc.yaml': SVC, 'dry.yaml': DRY }, 7);
});

const APP = 'spiffe://example.org/ns/app/sa/reader';
const WRITER = 'spiffe://example.org/ns/app/sa/writer';

function run(request: Request, identity: Identity, trace = false) {
  return decide(request, identity, snap, selectService(request, snap, undefined), { trace });
}

const svc = (spec: Parameters<typeof req>[0] = {}) => req({ service: 'svc', ...spec });
const writeToken = (claims: Record<string, unknown> = { tenant: 'blue' }) => tokenOf({ scopes: ['items.write'], claims });

describe('decide: reason codes', () => {
  it.each<[string, Request, Identity, string, string]>([
    ['allow by spiffe wildcard', svc({ path: '/items/1' }), who({ peer: APP }), 'allow', 'allow'],
    ['allow by token subject glob and scope', svc({ path: '/items' }), who({ token: tokenOf({ sub: 'svc-x', scopes: ['items.read'] }) }), 'allow', 'allow'],
    ['ambiguous_path', svc({ problem: { reason: 'ambiguous_path', detail: 'dot_segment' } }), who({ peer: APP }), 'deny', 'ambiguous_path'],
    ['malformed_request', svc({ problem: { reason: 'malformed_request', detail: 'no_method' } }), who({ peer: APP }), 'deny', 'malformed_request'],
    ['no_policy (unknown service named)', req({ service: 'nope' }), who({ peer: APP }), 'deny', 'no_policy'],
    ['no_policy (nothing named)', req(), who({ peer: APP }), 'deny', 'no_policy'],
    ['revoked peer', svc({ path: '/items/1' }), who({ peer: 'spiffe://example.org/ns/legacy/sa/shared' }), 'deny', 'revoked'],
    ['revoked jti', svc({ path: '/items/1' }), who({ peer: APP, token: tokenOf({ jti: 'leaked-jti' }) }), 'deny', 'revoked'],
    ['revoked kid', svc({ path: '/items/1' }), who({ peer: APP, token: tokenOf({ kid: 'leaked-kid' }) }), 'deny', 'revoked'],
    ['revoked JWT-SVID subject', svc({ path: '/items/1' }), who({ token: tokenOf({ issuer: 'mesh', svid: true, sub: 'spiffe://example.org/ns/legacy/sa/shared' }) }), 'deny', 'revoked'],
    ['peer failure', svc({ path: '/items/1' }), who({ peerFailure: { reason: 'invalid_peer_identity', detail: 'two_uri_sans' } }), 'deny', 'invalid_peer_identity'],
    ['invalid spiffe id', svc({ path: '/items/1' }), who({ peerFailure: { reason: 'invalid_spiffe_id', detail: 'bad' } }), 'deny', 'invalid_spiffe_id'],
    ['bad token denies although the peer alone would do', svc({ path: '/items/1' }), who({ peer: APP, tokenFailure: { reason: 'invalid_token', detail: 'token_expired' } }), 'deny', 'invalid_token'],
    ['peer outside the trust domains', svc({ path: '/items/1' }), who({ peer: 'spiffe://other.org/ns/app/sa/reader' }), 'deny', 'untrusted_domain'],
    ['token for another audience', svc({ path: '/items/1' }), who({ peer: APP, token: tokenOf({ aud: ['other'] }) }), 'deny', 'invalid_token'],
    ['no_rule', svc({ path: '/elsewhere' }), who({ peer: APP }), 'deny', 'no_rule'],
    ['no_rule: methods are case-sensitive', svc({ method: 'get', path: '/items/1' }), who({ peer: APP }), 'deny', 'no_rule'],
    ['explicit_deny beats an allow of another rule', svc({ method: 'POST', path: '/items' }), who({ peer: 'spiffe://example.org/ns/app/sa/banned', token: writeToken() }), 'deny', 'explicit_deny'],
    ['no_credentials', svc({ path: '/items/1' }), who(), 'deny', 'no_credentials'],
    ['missing_credential', svc({ method: 'POST', path: '/items' }), who({ token: writeToken() }), 'deny', 'missing_credential'],
    ['not_allowed', svc({ path: '/items/1' }), who({ peer: 'spiffe://example.org/ns/other/sa/x' }), 'deny', 'not_allowed'],
    ['not_allowed: scope missing', svc({ path: '/items/1' }), who({ token: tokenOf({ sub: 'svc-x', scopes: ['items.list'] }) }), 'deny', 'not_allowed'],
    ['not_allowed: subject does not match', svc({ path: '/items/1' }), who({ token: tokenOf({ sub: 'user-x', scopes: ['items.read'] }) }), 'deny', 'not_allowed'],
  ])('%s', (_name, request, identity, verdict, reason) => {
    const d = run(request, identity);
    expect([d.verdict, d.reason]).toEqual([verdict, reason]);
  });
});

describe('decide: entries and rules', () => {
  it('reports the first allowing rule in file order and the entry index', () => {
    const d = run(svc({ method: 'POST', path: '/items' }), who({ peer: WRITER, token: writeToken() }));
    expect(d).toMatchObject({ verdict: 'allow', rule: 'write', entry: 0, matchedRules: ['write', 'write-any-app'], service: 'svc', generation: 7 });
    const second = run(svc({ path: '/items/1' }), who({ token: tokenOf({ sub: 'svc-r', scopes: ['items.read'] }) }));
    expect([second.rule, second.entry]).toEqual(['read', 1]);
  });

  it('an allowing later rule allows when an earlier rule does not (adding rules never takes access away)', () => {
    const d = run(svc({ method: 'POST', path: '/items' }), who({ peer: WRITER, token: writeToken({ tenant: 'red' }) }));
    expect([d.verdict, d.rule]).toEqual(['allow', 'write-any-app']);
  });

  it('claims: every listed claim must have a listed value (array claims: one element)', async () => {
    const red = run(svc({ method: 'POST', path: '/items' }), who({ peer: 'spiffe://example.org/ns/other/sa/w', token: writeToken({ tenant: 'red' }) }));
    expect(red.reason).toBe('not_allowed');
    const local = await snapshotOf({
      's.yaml': `kind: ServicePolicy\nservice: svc\nrules:\n  - name: r\n    methods: [{ http: GET /a }]\n    allow: [{ token: { issuer: corp-idp, claims: { groups: [admins], level: [3] } } }]\n`,
    });
    const r = req({ service: 'svc', path: '/a' });
    const at = (claims: Record<string, unknown>) => decide(r, who({ token: tokenOf({ claims }) }), local, selectService(r, local, undefined)).verdict;
    expect(at({ groups: ['devs', 'admins'], level: 3 })).toBe('allow');
    expect(at({ groups: ['devs'], level: 3 })).toBe('deny');
    expect(at({ groups: 'admins', level: '3' })).toBe('deny');
    expect(at({ groups: 'admins' })).toBe('deny');
  });

  it('samePeer: a JWT-SVID holds only when presented by its own workload', () => {
    const token = tokenOf({ issuer: 'mesh', svid: true, sub: APP });
    expect(run(svc({ path: '/svid/1' }), who({ peer: APP, token })).verdict).toBe('allow');
    expect(run(svc({ path: '/svid/1' }), who({ peer: WRITER, token })).reason).toBe('not_allowed');
    expect(run(svc({ path: '/svid/1' }), who({ token })).reason).toBe('not_allowed');
  });

  it('a JWT-SVID subject pattern never matches a non-SVID token with the same sub', () => {
    const plain = tokenOf({ issuer: 'mesh', sub: APP });
    expect(run(svc({ path: '/svid/1' }), who({ peer: APP, token: plain })).reason).toBe('not_allowed');
  });

  it('gRPC rules match the gRPC method; http rules also match the HTTP form of a gRPC call', async () => {
    expect(run(svc({ grpc: 'shop.v1.Items/GetItem' }), who({ peer: APP })).rule).toBe('read');
    expect(run(svc({ grpc: 'shop.v1.Items/DeleteItem' }), who({ peer: APP })).reason).toBe('no_rule');
    // The same bytes without the gRPC content type: no gRPC method, so only http rules apply.
    expect(run(svc({ method: 'POST', path: '/shop.v1.Items/GetItem' }), who({ peer: APP })).reason).toBe('no_rule');
    const local = await snapshotOf({
      's.yaml': `kind: ServicePolicy\nservice: svc\nrules:\n  - name: block\n    methods: [{ http: POST /shop.v1.Items/* }]\n    require: [mtls]\n    allow: []\n    deny: [{ spiffe: "spiffe://example.org/ns/app/**" }]\n  - name: rpc\n    methods: [{ grpc: shop.v1.Items/* }]\n    require: [mtls]\n    allow: [{ spiffe: "spiffe://example.org/ns/app/**" }]\n`,
    });
    const r = req({ service: 'svc', grpc: 'shop.v1.Items/GetItem' });
    expect(decide(r, who({ peer: APP }), local, selectService(r, local, undefined)).reason).toBe('explicit_deny');
  });
});

describe('decide: dry-run', () => {
  it('a deny becomes a shadow deny when every matching rule is dry-run', () => {
    const d = run(svc({ path: '/beta/1' }), who({ peer: APP }));
    expect(d).toMatchObject({ verdict: 'shadow_deny', reason: 'not_allowed', rule: '', entry: -1 });
    expect(run(svc({ path: '/beta/1' }), who({ peer: 'spiffe://example.org/ns/app/sa/tester' })).verdict).toBe('allow');
  });

  it('a service in dry-run shadows no_rule, but a rule in enforce mode inside it denies', () => {
    expect(run(req({ service: 'dry', path: '/nothing' }), who({ peer: APP }))).toMatchObject({ verdict: 'shadow_deny', reason: 'no_rule' });
    expect(run(req({ service: 'dry', path: '/x' }), who())).toMatchObject({ verdict: 'shadow_deny', reason: 'no_credentials' });
    expect(run(req({ service: 'dry', path: '/strict' }), who({ peer: APP }))).toMatchObject({ verdict: 'deny', reason: 'not_allowed' });
  });

  it('an enforce service does not shadow no_rule', () => {
    expect(run(svc({ path: '/nothing' }), who({ peer: APP })).verdict).toBe('deny');
  });

  it.each<[string, Request, Identity, string]>([
    ['revoked', req({ service: 'dry', path: '/x' }), who({ peer: 'spiffe://example.org/ns/legacy/sa/shared' }), 'revoked'],
    ['ambiguous_path', req({ service: 'dry', path: '/x', problem: { reason: 'ambiguous_path', detail: 'x' } }), who(), 'ambiguous_path'],
    ['malformed_request', req({ service: 'dry', problem: { reason: 'malformed_request', detail: 'x' } }), who(), 'malformed_request'],
  ])('never shadows %s', (_n, request, identity, reason) => {
    expect(run(request, identity)).toMatchObject({ verdict: 'deny', reason });
  });
});

describe('decide: result fields and trace', () => {
  it('no_policy has an empty service and the requested name in detail', () => {
    const d = run(req({ service: 'nope' }), who({ peer: APP }));
    expect(d).toMatchObject({ service: '', selectedBy: 'context_extensions', detail: 'service:nope', forwardToken: false, generation: 7 });
  });

  it('without trace the trace is empty; with trace it explains each entry', () => {
    const request = svc({ method: 'POST', path: '/items' });
    const identity = who({ peer: WRITER, token: tokenOf({ scopes: ['items.read'], claims: { tenant: 'blue' } }) });
    expect(run(request, identity).trace).toEqual([]);
    const messages = run(request, identity, true).trace.map((s) => s.message);
    expect(messages).toContain('service svc selected by context_extensions["service"]');
    expect(messages.some((m) => m.includes('rule write (enforce) selects POST /items by POST /items'))).toBe(true);
    expect(messages.some((m) => m.endsWith('scope items.write missing'))).toBe(true);
    const denied = run(svc({ path: '/items/1' }), who({ peer: 'spiffe://example.org/ns/ops/sa/x' }), true).trace.map((s) => s.message);
    expect(denied.some((m) => m.endsWith('spiffe://example.org/ns/ops/sa/x does not match spiffe://example.org/ns/app/sa/*'))).toBe(true);
    expect(denied[denied.length - 1]).toBe('deny not_allowed');
  });

  it('fails closed with internal_error on a service that was not compiled', () => {
    const bare = { name: 'raw', spiffeId: undefined, audience: 'raw', mode: 'enforce', forwardToken: true, position: { file: '', line: 1, col: 1 }, rules: [] } as const;
    const d = decide(req({ service: 'raw' }), who({ peer: APP }), snap, { service: bare, selectedBy: 'context_extensions', requested: 'raw' });
    expect([d.verdict, d.reason]).toEqual(['deny', 'internal_error']);
  });
});
