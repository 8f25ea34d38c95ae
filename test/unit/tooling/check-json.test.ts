// proto3 JSON CheckRequests → the object the server's decoder receives: both field name styles,
// well-known types, bytes, unknown fields skipped and reported, wrong types refused.

import { describe, expect, it } from 'vitest';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { checkRequestFromJson } from '../../../src/tooling/check-json.js';

function wire(json: unknown): unknown {
  const r = checkRequestFromJson(json);
  if (!r.ok) throw new Error(r.error);
  return r.wire;
}

describe('checkRequestFromJson', () => {
  it('reads camelCase and original names into the same request', () => {
    const camel = { attributes: { source: { principal: 'spiffe://example.org/a', address: { socketAddress: { address: '10.0.0.1', portValue: 9 } } }, contextExtensions: { service: 's' }, request: { http: { method: 'GET', path: '/x?q=1', headers: { 'x-request-id': 'r1' } } } } };
    const snake = { attributes: { source: { principal: 'spiffe://example.org/a', address: { socket_address: { address: '10.0.0.1', port_value: 9 } } }, context_extensions: { service: 's' }, request: { http: { method: 'GET', path: '/x?q=1', headers: { 'x-request-id': 'r1' } } } } };
    const a = decodeCheckRequest(wire(camel));
    const b = decodeCheckRequest(wire(snake));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ method: 'GET', path: '/x', sourceAddress: '10.0.0.1:9', sourcePrincipal: 'spiffe://example.org/a', requestId: 'r1', problem: undefined });
    expect(a.contextExtensions.get('service')).toBe('s');
  });

  it('decodes base64 bytes (header_map raw_value) and well-known types', () => {
    const w = wire({
      attributes: {
        request: {
          time: '2024-03-01T12:00:00.5+01:00',
          http: { method: 'POST', path: '/p', headerMap: { headers: [{ key: 'authorization', rawValue: Buffer.from('Bearer abc').toString('base64') }] } },
        },
        metadataContext: { filterMetadata: { f: { a: [1, 'x', null, { b: true }] } } },
      },
    }) as { attributes: { request: { time: { seconds: string; nanos: number } } } };
    expect(w.attributes.request.time).toEqual({ seconds: String(Date.UTC(2024, 2, 1, 11) / 1000), nanos: 500_000_000 });
    expect(decodeCheckRequest(w).headers.get('authorization')).toBe('Bearer abc');
  });

  it('skips and reports unknown fields (newer Envoy versions add some)', () => {
    const r = checkRequestFromJson({ attributes: { request: { http: { method: 'GET', path: '/', newThing: 1 } }, tlsSession: { sni: 'a' }, other: {} } });
    expect(r.ok && r.ignored).toEqual(['attributes.request.http.newThing', 'attributes.other']);
  });

  it.each([
    [{ attributes: { request: { http: { method: 7 } } } }, 'attributes.request.http.method: expected a string'],
    [{ attributes: { request: { http: { size: 'big' } } } }, 'attributes.request.http.size: expected a number'],
    [{ attributes: { request: { time: 'yesterday' } } }, 'attributes.request.time: expected an RFC 3339 time'],
    [{ attributes: { context_extensions: ['a'] } }, 'attributes.context_extensions: expected a JSON object (a map)'],
    [{ attributes: { request: { http: { header_map: { headers: {} } } } } }, 'attributes.request.http.header_map.headers: expected a JSON array'],
    [[1], 'the request: expected a JSON object for envoy.service.auth.v3.CheckRequest'],
  ])('refuses %j', (json, message) => {
    const r = checkRequestFromJson(json);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it('treats null as absent', () => {
    expect(decodeCheckRequest(wire({ attributes: { source: null, request: { http: { method: 'GET', path: '/a', host: null } } } })).path).toBe('/a');
  });
});
