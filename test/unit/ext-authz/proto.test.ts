import { describe, expect, it } from 'vitest';
import { loadExtAuthzPackage } from '../../../src/ext-authz/proto.js';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { allowResponse, denyResponse } from '../../../src/ext-authz/respond.js';
import type { Decision } from '../../../src/decision/types.js';
import { all, ld, num, one, text, vint } from '../../helpers/protowire.js';

// Field numbers below are Envoy's (envoy/service/auth/v3, envoy/config/core/v3, envoy/type/v3),
// google.rpc.Status and google.protobuf.Struct/Value, written out by hand.

type Method = { requestDeserialize(b: Buffer): unknown; responseSerialize(v: unknown): Buffer; requestSerialize(v: unknown): Buffer };
const check = (loadExtAuthzPackage()['envoy.service.auth.v3.Authorization'] as unknown as { Check: Method }).Check;

const mapEntry = (no: number, key: string, value: string | number[]): number[] => ld(no, [...ld(1, key), ...ld(2, value)]);

const CHECK_REQUEST = Buffer.from(
  ld(1, [ // CheckRequest.attributes = 1
    ...ld(1, [ // AttributeContext.source = 1 (Peer)
      ...ld(1, ld(1, [...ld(2, '10.1.2.3'), ...vint(3, 40123)])), // Peer.address=1 → Address.socket_address=1 → address=2, port_value=3
      ...ld(4, 'spiffe://example.org/ns/billing/sa/reporter'), // Peer.principal = 4
      ...ld(5, '-----BEGIN%20CERTIFICATE-----'), // Peer.certificate = 5
    ]),
    ...ld(2, ld(4, 'spiffe://example.org/ns/payments/sa/api')), // destination = 2, principal = 4
    ...ld(4, ld(2, [ // AttributeContext.request = 4 → Request.http = 2 (HttpRequest)
      ...ld(1, 'req-1'), // id = 1
      ...ld(2, 'GET'), // method = 2
      ...mapEntry(3, 'x-request-id', 'abc-123'), // headers = 3 (map)
      ...mapEntry(3, 'content-type', 'application/json'),
      ...ld(4, '/v1/ledger/%61ccounts?page=2'), // path = 4
      ...ld(5, 'payments.internal'), // host = 5
      ...ld(6, 'https'), // scheme = 6
      ...ld(10, 'HTTP/2'), // protocol = 10
      ...ld(13, ld(1, [...ld(1, 'x-raw'), ...ld(3, 'raw-bytes')])), // header_map = 13 → headers = 1 → key = 1, raw_value = 3
    ])),
    ...mapEntry(10, 'service', 'payments'), // context_extensions = 10
    ...ld(11, mapEntry(1, 'envoy.filters.http.jwt', mapEntry(1, 'k', ld(3, 'v')))), // metadata_context = 11 → filter_metadata = 1 → Struct.fields = 1 → Value.string_value = 3
    ...ld(12, ld(1, 'payments.internal')), // tls_session = 12 → sni = 1
  ]),
);

describe('CheckRequest wire format', () => {
  const wire = check.requestDeserialize(CHECK_REQUEST) as Record<string, any>;

  it('decodes every field from its Envoy field number', () => {
    const a = wire.attributes;
    expect(a.source.address.socket_address).toMatchObject({ address: '10.1.2.3', port_value: 40123 });
    expect(a.source.principal).toBe('spiffe://example.org/ns/billing/sa/reporter');
    expect(a.source.certificate).toBe('-----BEGIN%20CERTIFICATE-----');
    expect(a.destination.principal).toBe('spiffe://example.org/ns/payments/sa/api');
    const http = a.request.http;
    expect(http).toMatchObject({ id: 'req-1', method: 'GET', path: '/v1/ledger/%61ccounts?page=2', host: 'payments.internal', scheme: 'https', protocol: 'HTTP/2' });
    expect(http.headers).toEqual({ 'x-request-id': 'abc-123', 'content-type': 'application/json' });
    expect(Buffer.from(http.header_map.headers[0].raw_value).toString()).toBe('raw-bytes');
    expect(a.context_extensions).toEqual({ service: 'payments' });
    expect(a.metadata_context.filter_metadata['envoy.filters.http.jwt'].fields.k.stringValue).toBe('v');
    expect(a.tls_session.sni).toBe('payments.internal');
  });

  it('becomes our Request with the path normalized and the query removed', () => {
    const r = decodeCheckRequest(wire);
    expect(r.problem).toBeUndefined();
    expect(r).toMatchObject({
      method: 'GET', path: '/v1/ledger/accounts', rawPath: '/v1/ledger/%61ccounts', hasQuery: true, host: 'payments.internal',
      sourcePrincipal: 'spiffe://example.org/ns/billing/sa/reporter', sourceAddress: '10.1.2.3:40123',
      destinationPrincipal: 'spiffe://example.org/ns/payments/sa/api', requestId: 'abc-123', grpcMethod: undefined,
    });
    expect(r.queryKeys).toEqual(['page']);
    expect(r.headers.get('x-raw')).toBe('raw-bytes');
    expect(r.contextExtensions.get('service')).toBe('payments');
  });

  it('re-encodes with the same field numbers', () => {
    const bytes = check.requestSerialize(wire);
    const attrs = one(bytes, 1);
    expect(text(one(attrs, 1), 4)).toBe('spiffe://example.org/ns/billing/sa/reporter');
    const http = one(one(attrs, 4), 2);
    expect(text(http, 2)).toBe('GET');
    expect(text(http, 4)).toBe('/v1/ledger/%61ccounts?page=2');
    const ext = one(attrs, 10);
    expect([text(ext, 1), text(ext, 2)]).toEqual(['service', 'payments']);
  });
});

const decision: Decision = {
  verdict: 'allow', reason: 'allow', detail: undefined, service: 'payments', selectedBy: 'context_extensions', rule: 'ledger-read',
  entry: 0, matchedRules: ['ledger-read'], forwardToken: false, generation: 3, trace: [],
};

function headerOptions(list: Uint8Array[]): { key: string; value: string; action: number }[] {
  return list.map((opt) => ({ key: text(one(opt, 1), 1), value: text(one(opt, 1), 2), action: num(opt, 3) }));
}

function structFields(struct: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of all(struct, 1)) out[text(entry, 1)] = text(one(entry, 2), 3); // Struct.fields=1, Value.string_value=3
  return out;
}

describe('CheckResponse wire format', () => {
  it('encodes an allow: status 0, ok_response=3 with headers=2, headers_to_remove=5, dynamic_metadata=4', () => {
    const request = decodeCheckRequest(check.requestDeserialize(CHECK_REQUEST));
    const withSpoof = { ...request, headers: new Map([...request.headers, ['x-tollgate-rule', 'spoofed'], ['x-tollgate-extra', '1'], ['authorization', 'Bearer x']]) };
    const identity = { peer: { spiffeId: 'spiffe://example.org/ns/billing/sa/reporter', trustDomain: 'example.org', path: '/ns/billing/sa/reporter', source: 'principal' as const }, token: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: false };
    const bytes = check.responseSerialize(allowResponse('abc-123', decision, withSpoof, identity));
    expect(num(one(bytes, 1), 1)).toBe(0); // google.rpc.Status.code = 1
    expect(all(bytes, 2)).toHaveLength(0);
    const ok = one(bytes, 3);
    expect(headerOptions(all(ok, 2))).toEqual([
      { key: 'x-tollgate-decision-id', value: 'abc-123', action: 2 }, // OVERWRITE_IF_EXISTS_OR_ADD = 2
      { key: 'x-tollgate-caller', value: 'spiffe://example.org/ns/billing/sa/reporter', action: 2 },
      { key: 'x-tollgate-rule', value: 'payments/ledger-read', action: 2 },
    ]);
    expect(all(ok, 5).map((b) => Buffer.from(b).toString())).toEqual(['x-tollgate-extra', 'authorization']);
    expect(structFields(one(bytes, 4))).toEqual({
      decision_id: 'abc-123', decision: 'allow', service: 'payments', rule: 'ledger-read', caller: 'spiffe://example.org/ns/billing/sa/reporter', reason: 'allow',
    });
  });

  it('encodes a deny: status 7, denied_response=2 with HttpStatus=1 (code=1), headers=2, body=3', () => {
    const deny: Decision = { ...decision, verdict: 'deny', reason: 'not_allowed', rule: '', entry: -1 };
    const bytes = check.responseSerialize(denyResponse('d-1', deny, undefined));
    const status = one(bytes, 1);
    expect(num(status, 1)).toBe(7);
    expect(text(status, 2)).toBe('not_allowed');
    const denied = one(bytes, 2);
    expect(num(one(denied, 1), 1)).toBe(403);
    expect(headerOptions(all(denied, 2)).map((h) => h.key)).toEqual(['content-type', 'x-tollgate-decision-id']);
    expect(JSON.parse(text(denied, 3))).toEqual({ error: 'forbidden', reason: 'not_allowed', decision_id: 'd-1' });
    expect(all(bytes, 3)).toHaveLength(0);
    expect(structFields(one(bytes, 4)).reason).toBe('not_allowed');
  });

  it('encodes a 401 with status 16 and www-authenticate', () => {
    const deny: Decision = { ...decision, verdict: 'deny', reason: 'no_credentials', rule: '', entry: -1 };
    const bytes = check.responseSerialize(denyResponse('d-2', deny, undefined));
    expect(num(one(bytes, 1), 1)).toBe(16);
    const denied = one(bytes, 2);
    expect(num(one(denied, 1), 1)).toBe(401);
    const headers = headerOptions(all(denied, 2));
    expect(headers.find((h) => h.key === 'www-authenticate')?.value).toBe('Bearer realm="payments"');
  });
});
