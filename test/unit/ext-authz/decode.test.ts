import { describe, expect, it } from 'vitest';
import { decodeCheckRequest, grpcMethodOf } from '../../../src/ext-authz/decode.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';

describe('decodeCheckRequest', () => {
  it.each([
    [undefined, 'no_request'],
    [null, 'no_request'],
    ['garbage', 'no_request'],
    [{}, 'no_attributes'],
    [{ attributes: null }, 'no_attributes'],
    [{ attributes: { source: { principal: 'spiffe://a/b' } } }, 'no_http_request'],
    [{ attributes: { request: {} } }, 'no_http_request'],
    [{ attributes: { request: { http: { path: '/x' } } } }, 'no_method'],
  ])('marks %j as malformed_request (%s)', (wire, detail) => {
    const r = decodeCheckRequest(wire);
    expect(r.problem).toEqual({ reason: 'malformed_request', detail });
  });

  it('keeps the peer fields of a request without http, for the audit log', () => {
    const r = decodeCheckRequest({ attributes: { source: { principal: 'spiffe://example.org/a', address: { pipe: { path: '/run/x.sock' } } } } });
    expect(r.sourcePrincipal).toBe('spiffe://example.org/a');
    expect(r.sourceAddress).toBe('unix:/run/x.sock');
  });

  it('keeps the method exactly as sent (case-sensitive)', () => {
    expect(decodeCheckRequest(buildCheckRequest({ http: 'get /x' })).method).toBe('get');
  });

  it('detects gRPC calls from content-type and a /pkg.Service/Method path', () => {
    expect(decodeCheckRequest(buildCheckRequest({ grpc: 'payments.v1.Ledger/GetEntry' })).grpcMethod).toBe('payments.v1.Ledger/GetEntry');
    expect(decodeCheckRequest(buildCheckRequest({ http: 'POST /payments.v1.Ledger/GetEntry' })).grpcMethod).toBeUndefined();
    expect(grpcMethodOf('application/grpc+proto', '/a.B/C')).toBe('a.B/C');
    expect(grpcMethodOf('application/grpc-web', '/a.B/C')).toBe('a.B/C');
    expect(grpcMethodOf('application/grpc', '/a.B/C/D')).toBeUndefined();
    expect(grpcMethodOf('application/grpc', '/a.B/')).toBeUndefined();
    expect(grpcMethodOf('application/json', '/a.B/C')).toBeUndefined();
  });

  it('lower-cases header names and merges repeats from header_map with a comma', () => {
    const r = decodeCheckRequest({
      attributes: {
        request: {
          http: {
            method: 'GET', path: '/x', headers: { 'X-One': '1' },
            header_map: { headers: [{ key: 'Authorization', raw_value: Buffer.from('Bearer a') }, { key: 'authorization', value: 'Bearer b' }] },
          },
        },
      },
    });
    expect(r.headers.get('x-one')).toBe('1');
    expect(r.headers.get('authorization')).toBe('Bearer a,Bearer b');
  });

  it('keeps the reader\'s header Map only when every name is lower-case, and lower-cases it otherwise', () => {
    const decode = (names: string[]): ReadonlyMap<string, string> => {
      const headers = new Map(names.map((n, i) => [n, `v${i}`]));
      const r = decodeCheckRequest({ attributes: { request: { http: { method: 'GET', path: '/', headers } } } });
      expect(r.problem).toBeUndefined();
      if (names.every((n) => n !== '' && n === n.toLowerCase())) expect(r.headers).toBe(headers);
      else expect(r.headers).not.toBe(headers);
      return r.headers;
    };
    expect([...decode(['a', 'x-b', 'é', 'ß', '1']).keys()]).toEqual(['a', 'x-b', 'é', 'ß', '1']);
    for (const upper of [['a', 'X-b'], ['É'], ['aZ', 'b'], ['ǅ'], ['x', '']]) {
      const keys = [...decode(upper).keys()];
      expect(keys).toEqual(upper.filter((n) => n !== '').map((n) => n.toLowerCase()));
    }
  });

  it('refuses too many or too large headers instead of reading them all', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`h${i}`] = 'v';
    expect(decodeCheckRequest({ attributes: { request: { http: { method: 'GET', path: '/', headers: many } } } }).problem?.detail).toBe('too_many_headers');
    const big = { big: 'x'.repeat(70000) };
    expect(decodeCheckRequest({ attributes: { request: { http: { method: 'GET', path: '/', headers: big } } } }).problem?.detail).toBe('headers_too_large');
  });

  it('formats IPv6 source addresses with brackets', () => {
    const r = decodeCheckRequest(buildCheckRequest({ http: 'GET /', sourceAddress: '::1', sourcePort: 5 }));
    expect(r.sourceAddress).toBe('[::1]:5');
  });

  it('takes the request id from x-request-id, else from http.id', () => {
    expect(decodeCheckRequest(buildCheckRequest({ http: 'GET /', requestId: 'r-1' })).requestId).toBe('r-1');
    expect(decodeCheckRequest({ attributes: { request: { http: { id: 'id-2', method: 'GET', path: '/' } } } }).requestId).toBe('id-2');
  });

  it('carries an ambiguous path as a problem, never as a path', () => {
    const r = decodeCheckRequest(buildCheckRequest({ http: 'GET /a/%2e%2e/admin' }));
    expect(r.problem).toEqual({ reason: 'ambiguous_path', detail: 'dot_segment' });
    expect(r.path).toBe('');
    expect(r.rawPath).toBe('/a/%2e%2e/admin');
  });

  it('ignores fields of the wrong type instead of throwing', () => {
    const r = decodeCheckRequest({ attributes: { source: { principal: 42, address: 'x' }, request: { http: { method: 'GET', path: '/', headers: 'nope', host: {} } }, context_extensions: [] } });
    expect(r.problem).toBeUndefined();
    expect(r.sourcePrincipal).toBe('');
    expect(r.host).toBe('');
  });
});
