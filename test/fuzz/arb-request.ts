// Whole hostile CheckRequests as plain objects shaped like proto-loader's output: the parts of
// arb-parts.ts put into either the `headers` map or the `header_map` list (raw non-UTF-8 bytes,
// repeated names), with missing or mistyped parts, many or huge headers and spoofed x-tollgate-*.

import fc from 'fast-check';
import { anyString, authorizationArb, certificateArb, methodArb, pathArb, principalArb, xfccArb } from './arb-parts.js';
import { ID, type World } from './world.js';

type Pair = readonly [string, string];

const SPOOFS = ['x-tollgate-rule', 'x-tollgate-caller', 'x-tollgate-decision-id', 'x-tollgate-shadow-deny', 'X-Tollgate-Admin', 'x-tollgate-'];

function headerPairs(world: World): fc.Arbitrary<Pair[]> {
  const opt = <T>(a: fc.Arbitrary<T>, freq = 2): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq });
  return fc.record({
    authorization: opt(authorizationArb(world), 1),
    secondAuthorization: opt(authorizationArb(world), 12),
    xfcc: opt(xfccArb, 2),
    contentType: opt(fc.constantFrom('application/grpc', 'application/grpc+proto', 'application/json', 'APPLICATION/GRPC', 'application/grpc-web', '')),
    requestId: opt(fc.oneof(fc.constantFrom('req-1', 'a.b:c_d-e', 'a'.repeat(129), 'bad id', 'r\u00e9q', ''), anyString(20))),
    spoofs: fc.subarray(SPOOFS),
    extra: fc.array(fc.tuple(anyString(12), anyString(30)), { maxLength: 4 }),
    many: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 300),
    huge: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 70_000),
  }).map((h) => {
    const pairs: Pair[] = [[':authority', 'shop.local'], [':method', 'GET'], ['user-agent', 'fuzz']];
    if (h.authorization !== undefined) pairs.push(['authorization', h.authorization]);
    if (h.secondAuthorization !== undefined) pairs.push(['Authorization', h.secondAuthorization]);
    if (h.xfcc !== undefined) pairs.push(['x-forwarded-client-cert', h.xfcc]);
    if (h.contentType !== undefined) pairs.push(['content-type', h.contentType]);
    if (h.requestId !== undefined) pairs.push(['x-request-id', h.requestId]);
    for (const s of h.spoofs) pairs.push([s, 'forged']);
    pairs.push(...h.extra);
    for (let i = 0; i < h.many; i++) pairs.push([`x-many-${i}`, 'v']);
    if (h.huge > 0) pairs.push(['x-huge', 'h'.repeat(h.huge)]);
    return pairs;
  });
}

/** The `headers` map (repeats collapse: the last wins, as in a JS object) or the `header_map` list. */
const headerShape = fc.constantFrom('map', 'map', 'list', 'raw');

function placeHeaders(pairs: readonly Pair[], shape: string): Record<string, unknown> {
  if (shape === 'map') return { headers: Object.fromEntries(pairs.map(([k, v]) => [k.toLowerCase(), v])) };
  const entry = ([key, value]: Pair) =>
    shape === 'raw' ? { key, raw_value: Buffer.from(value, key === 'x-huge' ? 'latin1' : 'utf8') } : { key, value };
  return { header_map: { headers: pairs.map(entry) } };
}

/** Missing or mistyped parts: what a broken or hostile client (or a future Envoy) might send. */
const chaos = fc.constantFrom(
  'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none',
  'no-attributes', 'null-attributes', 'no-request', 'null-http', 'no-source', 'method-number', 'path-object',
  'headers-string', 'header-null-entry', 'header-key-number', 'context-array', 'principal-number', 'raw-bytes-invalid-utf8',
  'ctx-null', 'http-array',
);

function applyChaos(wire: Record<string, any>, kind: string): unknown {
  const a = wire.attributes;
  const http = a.request.http;
  switch (kind) {
    case 'no-attributes': return {};
    case 'null-attributes': return { attributes: null };
    case 'no-request': delete a.request; break;
    case 'null-http': a.request.http = null; break;
    case 'http-array': a.request.http = [http]; break;
    case 'no-source': delete a.source; break;
    case 'method-number': http.method = 7; break;
    case 'path-object': http.path = { toString: () => '/v1/items/1' }; break;
    case 'headers-string': http.headers = 'authorization: Bearer x'; break;
    case 'header-null-entry': http.header_map = { headers: [null, { key: 'x-a', value: 'b' }, 5] }; break;
    case 'header-key-number': http.header_map = { headers: [{ key: 42, value: 'x' }, { value: 'no key' }] }; break;
    case 'context-array': a.context_extensions = ['shop']; break;
    case 'ctx-null': a.context_extensions = null; break;
    case 'principal-number': a.source.principal = 12; break;
    case 'raw-bytes-invalid-utf8':
      http.header_map = { headers: [{ key: 'authorization', raw_value: Uint8Array.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xfe, 0xc0]) }] };
      break;
    default: break;
  }
  return wire;
}

interface CaseSpec {
  readonly method: string;
  readonly path: string;
  readonly principal: string;
  readonly certificate: string;
  readonly destination: string;
  readonly service: string | undefined;
  readonly extraContext: Record<string, string>;
  readonly headers: Pair[];
  readonly shape: string;
  readonly chaos: string;
}

/** Often the legit value, sometimes a hostile one: most cases stay close to an allow. */
const mostly = <T>(legit: T, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 6, arbitrary: fc.constant(legit) }, { weight: 1, arbitrary: hostile });

/** Callers the policy lets in (and a dry-run one), each slightly perturbed now and then. */
function scenarioArb(world: World): fc.Arbitrary<CaseSpec> {
  const [reader, writer] = world.goodTokens;
  const scenarios = [
    { method: 'GET', path: '/v1/items/42', principal: ID.reader, service: 'shop', auth: undefined, grpc: false },
    { method: 'GET', path: '/v1/items/a/b', principal: '', service: 'shop', auth: reader?.jwt, grpc: false },
    { method: 'PUT', path: '/v1/items/42', principal: ID.writer, service: 'shop', auth: writer?.jwt, grpc: false },
    { method: 'DELETE', path: '/admin/users/7', principal: ID.opsAlice, service: 'shop', auth: undefined, grpc: false },
    { method: 'POST', path: '/shop.v1.Items/GetThing', principal: ID.reader, service: undefined, auth: undefined, grpc: true },
    { method: 'GET', path: '/old/a', principal: ID.stranger, service: 'legacy', auth: undefined, grpc: false },
  ];
  return fc.tuple(fc.constantFrom(...scenarios), headerPairs(world)).chain(([s, noise]) => fc.record({
    method: mostly(s.method, methodArb),
    path: mostly(s.path, pathArb),
    principal: mostly(s.principal, principalArb),
    certificate: mostly('', certificateArb(world)),
    destination: fc.constant(s.service === undefined ? ID.shopApi : ''),
    service: fc.constant(s.service),
    extraContext: fc.constant({}),
    headers: mostly<Pair[]>([
      ...(s.auth === undefined ? [] : [['authorization', `Bearer ${s.auth}`] as Pair]),
      ...(s.grpc ? [['content-type', 'application/grpc'] as Pair] : []),
      ['x-request-id', 'req-1'],
    ], fc.constant(noise)),
    shape: headerShape,
    chaos: fc.constant('none'),
  }));
}

function randomArb(world: World): fc.Arbitrary<CaseSpec> {
  return fc.record({
    method: methodArb,
    path: pathArb,
    principal: principalArb,
    certificate: certificateArb(world),
    destination: fc.constantFrom('', '', ID.shopApi, ID.shopApi, `${ID.shopApi}/`, ID.reader),
    service: fc.option(fc.constantFrom('shop', 'shop', 'shop', 'legacy', 'nope', '', 'SHOP', 'shop '), { nil: undefined, freq: 4 }),
    extraContext: fc.dictionary(anyString(8), anyString(8), { maxKeys: 2 }),
    headers: headerPairs(world),
    shape: headerShape,
    chaos,
  });
}

function toWire(c: CaseSpec): unknown {
  const http = { id: 'http-id-1', method: c.method, path: c.path, host: 'shop.local', ...placeHeaders(c.headers, c.shape) };
  const source: Record<string, unknown> = { address: { socket_address: { address: '10.0.0.7', port_value: 40000 } } };
  if (c.principal !== '') source.principal = c.principal;
  if (c.certificate !== '') source.certificate = c.certificate;
  const wire = {
    attributes: {
      source,
      destination: c.destination === '' ? {} : { principal: c.destination },
      request: { http },
      context_extensions: { ...c.extraContext, ...(c.service === undefined ? {} : { service: c.service }) },
    },
  };
  return applyChaos(wire, c.chaos);
}

export function wireArb(world: World): fc.Arbitrary<unknown> {
  return fc.oneof(randomArb(world), scenarioArb(world)).map(toWire);
}
