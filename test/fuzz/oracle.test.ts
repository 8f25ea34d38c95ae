// The fuzzers are only as good as their judges: the oracle must reject allows the policy does not
// grant (and accept those it does), and wellFormed must reject responses Envoy would misread.

import { describe, expect, it } from 'vitest';
import { buildCheckRequest, type CheckRequestSpec } from '../../src/ext-authz/build.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import { judge, type OracleWorld } from './oracle.js';
import { pathReadings } from './oracle-read.js';
import { wellFormed } from './wellformed.js';
import { ID } from './world.js';

const READER_BOT = 'hdr.payload.c2ln';
const world: OracleWorld = { goodTokens: [{ jwt: READER_BOT, sub: 'reader-bot', scopes: [] }], revokedToken: 'hdr.revoked.c2ln', trustXfcc: true };

function allow(rule: string | undefined, caller: string, shadow?: string): WireCheckResponse {
  const h = (key: string, value: string) => ({ header: { key, value }, append_action: 2 });
  const headers = [h('x-tollgate-decision-id', 'd1'), h('x-tollgate-caller', caller)];
  headers.push(shadow === undefined ? h('x-tollgate-rule', rule ?? '') : h('x-tollgate-shadow-deny', shadow));
  const meta = { decision_id: 'd1', decision: shadow === undefined ? 'allow' : 'shadow_deny', service: '', rule: '', caller, reason: shadow ?? 'allow' };
  return {
    status: { code: 0 },
    ok_response: { headers, headers_to_remove: [] },
    dynamic_metadata: { fields: Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, { stringValue: v }])) },
  };
}

const req = (spec: CheckRequestSpec): unknown => buildCheckRequest(spec);

describe('the fuzz oracle', () => {
  it.each([
    ['reader reads', req({ service: 'shop', http: 'GET /v1/items/1', principal: ID.reader }), allow('shop/read', ID.reader)],
    ['reader-bot token reads', req({ service: 'shop', http: 'GET /v1/items/1', token: READER_BOT }), allow('shop/read', 'corp:reader-bot')],
    ['an ops workload administers', req({ service: 'shop', http: 'PATCH /admin/x', principal: ID.opsAlice }), allow('shop/admin', ID.opsAlice)],
    ['a dry-run stranger', req({ service: 'legacy', http: 'GET /old/a', principal: ID.stranger }), allow(undefined, ID.stranger, 'not_allowed')],
  ])('accepts a granted allow: %s', (_name, wire, res) => {
    expect(judge(wire, res, world)).toBeUndefined();
  });

  it.each([
    ['a stranger', req({ service: 'shop', http: 'GET /v1/items/1', principal: ID.stranger }), allow('shop/read', ID.stranger), 'does not list'],
    ['an encoded ..;', req({ service: 'shop', http: 'GET /v1/items/..%3B/x', principal: ID.reader }), allow('shop/read', ID.reader), 'every reading'],
    ['a lower-case method', req({ service: 'shop', http: 'get /v1/items/1', principal: ID.reader }), allow('shop/read', ID.reader), 'every reading'],
    ['a bad token beside a good peer', req({ service: 'shop', http: 'GET /v1/items/1', principal: ID.reader, token: 'x.y.z' }), allow('shop/read', ID.reader), 'bad bearer'],
    ['two authorization headers', req({ service: 'shop', http: 'GET /v1/items/1', headers: { authorization: `Bearer ${READER_BOT},Bearer ${READER_BOT}` } }), allow('shop/read', 'corp:reader-bot'), 'bad bearer'],
    ['a token in the query', req({ service: 'shop', http: `GET /v1/items/1?access_token=x`, token: READER_BOT }), allow('shop/read', 'corp:reader-bot'), 'bad bearer'],
    ['the denied intern', req({ service: 'shop', http: 'GET /admin/x', principal: ID.intern }), allow('shop/admin', ID.intern), 'deny entry'],
    ['write without a token', req({ service: 'shop', http: 'PUT /v1/items/1', principal: ID.writer }), allow('shop/write', ID.writer), 'require'],
    ['a malformed principal', req({ service: 'shop', http: 'GET /v1/items/1', principal: `${ID.reader}/` }), allow('shop/read', `${ID.reader}/`), 'bad peer'],
    ['an unknown service', req({ service: 'nope', http: 'GET /v1/items/1', principal: ID.reader }), allow('shop/read', ID.reader), 'selectable'],
    ['a wrong caller header', req({ service: 'shop', http: 'GET /v1/items/1', principal: ID.reader }), allow('shop/read', ID.writer), 'x-tollgate-caller'],
    ['a decoy URI inside a quoted XFCC value', req({ service: 'shop', http: 'GET /v1/items/1', headers: { 'x-forwarded-client-cert': `By=x;URI=${ID.stranger};Subject="URI=${ID.reader}"` } }), allow('shop/read', ID.reader), 'does not list'],
    ['a shadowed revoked workload', req({ service: 'legacy', http: 'GET /old/a', principal: ID.revoked }), allow(undefined, ID.revoked, 'revoked'), 'shadowed reason'],
    ['a shadowed ambiguous path', req({ service: 'legacy', http: 'GET /old//a', principal: ID.stranger }), allow(undefined, ID.stranger, 'not_allowed'), 'unusable'],
    ['a shadow in an enforcing service', req({ service: 'shop', http: 'GET /v1/items/1', principal: ID.stranger }), allow(undefined, ID.stranger, 'not_allowed'), 'enforcing'],
  ])('rejects an allow the policy does not grant: %s', (_name, wire, res, why) => {
    expect(judge(wire, res, world)).toContain(why);
  });

  it('reads a path the way path-parameter-stripping, decoding and Windows servers do', () => {
    expect(pathReadings('/a/..%3B/b')).toContain('/b');
    expect(pathReadings('/a/b\\..\\..\\c')).toContain('/c');
    expect(pathReadings('/a/%2e%2e/b?x=/..')).toContain('/b');
  });
});

describe('the well-formedness check', () => {
  const sent = { headerNames: ['x-tollgate-rule'], requestId: '' };
  const ok = allow('shop/read', ID.reader);
  it('accepts an allow that removes a spoofed header, and rejects one that does not', () => {
    expect(wellFormed({ ...ok, ok_response: { headers: ok.ok_response?.headers ?? [], headers_to_remove: [] } }, { headerNames: [], requestId: '' })).toBeUndefined();
    expect(wellFormed(ok, { headerNames: ['x-tollgate-admin'], requestId: '' })).toContain('spoofed');
  });

  it.each([
    ['no status', { ...ok, status: undefined } as unknown as WireCheckResponse, 'status'],
    ['a denied_response with status OK', { ...ok, denied_response: { status: { code: 403 }, headers: [], body: '{}' } }, 'ok_response'],
    ['a deny with an unknown reason', {
      status: { code: 7 }, denied_response: { status: { code: 403 }, headers: [], body: '{"error":"forbidden","reason":"nope","decision_id":"d1"}' },
      dynamic_metadata: ok.dynamic_metadata,
    }, 'catalog'],
    ['a 401 reason sent as 403', {
      status: { code: 7 }, denied_response: { status: { code: 403 }, headers: [], body: '{"error":"forbidden","reason":"no_credentials","decision_id":"d1"}' },
      dynamic_metadata: ok.dynamic_metadata,
    }, 'HTTP 403'],
  ])('rejects %s', (_name, res, why) => {
    expect(wellFormed(res, sent)).toContain(why);
  });
});
