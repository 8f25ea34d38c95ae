// API methods read from .proto and OpenAPI documents, and the probe path that tells whether a
// pattern covers every value of a path parameter.

import { describe, expect, it } from 'vitest';
import { compileSegments, matchSegments } from '../../../src/policy/patterns.js';
import { joinPath, probePath, templateSegments, type HttpApiMethod } from '../../../src/tooling/api-methods.js';
import { openApiMethodsOf } from '../../../src/tooling/openapi-methods.js';
import { protoMethodsOf } from '../../../src/tooling/proto-methods.js';

const http = (method: string, path: string): HttpApiMethod => ({ kind: 'http', method, path, source: 't' });

describe('protoMethodsOf', () => {
  it('lists every rpc, fully qualified, nested packages and several services included', () => {
    const text = `syntax = "proto3";
      package acme.shop.v1;
      import "google/api/annotations.proto";
      message R {}
      service Items { rpc GetItem(R) returns (R) { option (google.api.http) = { get: "/v1/items/{id}" }; } rpc ListItems(R) returns (stream R); }
      service Orders { rpc Place(R) returns (R); }`;
    expect(protoMethodsOf(text, 'shop.proto').map((m) => m.name)).toEqual(['acme.shop.v1.Items/GetItem', 'acme.shop.v1.Items/ListItems', 'acme.shop.v1.Orders/Place']);
  });

  it('works without a package, and throws on a syntax error', () => {
    expect(protoMethodsOf('syntax = "proto3"; message M {} service S { rpc Do(M) returns (M); }', 'x').map((m) => m.name)).toEqual(['S/Do']);
    expect(() => protoMethodsOf('service {', 'bad.proto')).toThrow();
  });
});

describe('openApiMethodsOf', () => {
  const doc = (extra: Record<string, unknown>) => ({ openapi: '3.0.3', paths: { '/items/{id}': { get: {}, delete: {}, parameters: [] }, '/items': { post: {} } }, ...extra });

  it('lists every operation in upper case, ignoring non-method keys', () => {
    const r = openApiMethodsOf(doc({}), 'api.yaml', undefined);
    expect(r.methods.map((m) => `${m.method} ${m.path}`)).toEqual(['GET /items/{id}', 'DELETE /items/{id}', 'POST /items']);
  });

  it('prefixes the servers base path (variables resolved), unless --base-path says otherwise', () => {
    const servers = [{ url: 'https://{env}.example.org/{base}/', variables: { env: { default: 'prod' }, base: { default: 'api/v2' } } }];
    expect(openApiMethodsOf(doc({ servers }), 'a', undefined).methods[0]?.path).toBe('/api/v2/items/{id}');
    expect(openApiMethodsOf(doc({ servers: [{ url: '/rel' }] }), 'a', undefined).methods[0]?.path).toBe('/rel/items/{id}');
    expect(openApiMethodsOf(doc({ servers }), 'a', '/').methods[0]?.path).toBe('/items/{id}');
  });

  it('notes servers that disagree and applies none; reads Swagger 2.0 basePath', () => {
    const r = openApiMethodsOf(doc({ servers: [{ url: 'https://a/x' }, { url: 'https://b/y' }] }), 'a', undefined);
    expect(r.methods[0]?.path).toBe('/items/{id}');
    expect(r.notes[0]).toMatch(/different base paths \(\/x, \/y\)/);
    expect(openApiMethodsOf({ swagger: '2.0', basePath: '/v1', paths: { '/a': { get: {} } } }, 's', undefined).methods[0]?.path).toBe('/v1/a');
  });

  it('refuses what is not OpenAPI', () => {
    expect(() => openApiMethodsOf({ kind: 'ServicePolicy' }, 'x.yaml', undefined)).toThrow('x.yaml is not an OpenAPI 3 (or Swagger 2.0) document');
  });
});

describe('probePath and templateSegments', () => {
  const matches = (pattern: string, path: string) => matchSegments(compileSegments(pattern.slice(1).split('/')), 0, path, 1);

  it('a pattern matches the probe only when it matches every value of the parameters', () => {
    const m = http('GET', '/files/{name}.csv');
    expect(matches('/files/*.csv', probePath(m))).toBe(true);
    expect(matches('/files/*', probePath(m))).toBe(true);
    expect(matches('/files/report*.csv', probePath(m))).toBe(false);
    expect(matches('/files/{name}.csv', probePath(m))).toBe(false);
  });

  it('turns parameters into * segments for the overlap check', () => {
    expect(templateSegments(http('GET', '/a/{id}/b{x}c')).map((s) => s.text)).toEqual(['a', '*', 'b*c']);
  });

  it('joinPath', () => {
    expect(joinPath('', '/a')).toBe('/a');
    expect(joinPath('/', '/a')).toBe('/a');
    expect(joinPath('/v1/', '/a')).toBe('/v1/a');
    expect(joinPath('v1', 'a')).toBe('/v1/a');
  });
});
