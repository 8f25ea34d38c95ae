// CheckRequest (as @grpc/proto-loader decodes it) → our readonly Request. Reads only the fields a
// decision needs, defends against every missing or odd field, and never throws: a request that
// cannot be decided carries a `problem` instead. It does not verify identities or pick policies.

import type { Request, RequestProblem } from '../decision/types.js';
import { normalizePath } from './path.js';

/** The proto-loader object shapes we read (keepCase, defaults off: anything may be absent). */
interface WireAddress {
  socket_address?: { address?: string; port_value?: number };
  pipe?: { path?: string };
}
interface WirePeer {
  address?: WireAddress;
  principal?: string;
  certificate?: string;
}
interface WireHttp {
  id?: string;
  method?: string;
  /** A plain object from proto-loader; a Map from read-request.ts, the same entries in the same order. */
  headers?: Record<string, string> | ReadonlyMap<string, string>;
  header_map?: { headers?: { key?: string; value?: string; raw_value?: Uint8Array }[] };
  path?: string;
  host?: string;
}
export interface WireCheckRequest {
  attributes?: {
    source?: WirePeer;
    destination?: WirePeer;
    request?: { http?: WireHttp };
    context_extensions?: Record<string, string> | ReadonlyMap<string, string>;
  };
}

export interface DecodeLimits {
  /** Headers beyond this many are refused (malformed_request). */
  readonly maxHeaders: number;
  /** Total bytes of header names and values considered. */
  readonly maxHeaderBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({ maxHeaders: 256, maxHeaderBytes: 65536 });

const EMPTY_MAP: ReadonlyMap<string, string> = new Map();

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function addressOf(peer: WirePeer | undefined): string {
  const a = peer?.address;
  if (a === undefined || a === null) return '';
  const sock = a.socket_address;
  if (sock !== undefined && sock !== null) {
    const host = str(sock.address);
    const port = typeof sock.port_value === 'number' ? sock.port_value : 0;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }
  const pipe = str(a.pipe?.path);
  return pipe === '' ? '' : `unix:${pipe}`;
}

type HeaderResult = { headers: ReadonlyMap<string, string> } | { problem: RequestProblem };

// A–Z, or anything beyond ASCII (where only toLowerCase() can tell).
const MAYBE_UPPER = /[A-Z\u0080-\uffff]/;

function allLowerCase(map: ReadonlyMap<string, string>): boolean {
  for (const key of map.keys()) if (key.toLowerCase() !== key) return false;
  return true;
}

/**
 * read-request.ts's Map as it stands, when it already is the answer: every name non-empty and
 * lower-case (as Envoy sends them), no header_map to merge, within the limits. Else undefined.
 */
function alreadyDecoded(map: ReadonlyMap<string, string>, http: WireHttp, limits: DecodeLimits): ReadonlyMap<string, string> | undefined {
  if (http.header_map?.headers !== undefined || map.size > limits.maxHeaders) return undefined;
  let bytes = 0;
  let empty = false;
  let names = '';
  // forEach: destructuring [key, value] pairs would allocate an array per header.
  map.forEach((value, key) => {
    if (key === '') empty = true;
    names += key;
    bytes += key.length + value.length;
  });
  if (empty || bytes > limits.maxHeaderBytes) return undefined;
  // One test over all the names, not a look at each character (~40 instructions each), and no
  // toLowerCase() copy of every name unless one may hold an upper-case letter.
  if (MAYBE_UPPER.test(names) && !allLowerCase(map)) return undefined;
  return map.size === 0 ? EMPTY_MAP : map;
}

/** Lower-case header map; repeats merged with ',' as Envoy does for the `headers` field. */
function decodeHeaders(http: WireHttp, limits: DecodeLimits): HeaderResult {
  const map = http.headers;
  const kept = map instanceof Map ? alreadyDecoded(map, http, limits) : undefined;
  if (kept !== undefined) return { headers: kept };
  const out = new Map<string, string>();
  let bytes = 0;
  const add = (rawKey: unknown, value: string): RequestProblem | undefined => {
    if (typeof rawKey !== 'string' || rawKey === '') return undefined;
    const key = rawKey.toLowerCase();
    bytes += key.length + value.length;
    if (bytes > limits.maxHeaderBytes) return { reason: 'malformed_request', detail: 'headers_too_large' };
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : `${prev},${value}`);
    if (out.size > limits.maxHeaders) return { reason: 'malformed_request', detail: 'too_many_headers' };
    return undefined;
  };
  if (map instanceof Map) {
    for (const [key, value] of map) {
      const problem = add(key, value);
      if (problem !== undefined) return { problem };
    }
  } else if (map !== undefined && map !== null && typeof map === 'object') {
    const record = map as Record<string, string>;
    for (const key in record) {
      const problem = add(key, str(record[key]));
      if (problem !== undefined) return { problem };
    }
  }
  const list = http.header_map?.headers;
  if (Array.isArray(list)) {
    for (const h of list) {
      // protobuf never yields a null entry, but decode promises never to throw on any input.
      if (h === null || typeof h !== 'object') continue;
      const value = h.raw_value instanceof Uint8Array && h.raw_value.length > 0 ? Buffer.from(h.raw_value).toString('latin1') : str(h.value);
      const problem = add(h.key, value);
      if (problem !== undefined) return { problem };
    }
  }
  return { headers: out.size === 0 ? EMPTY_MAP : out };
}

function stringMap(record: Record<string, string> | ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  if (record instanceof Map) return record;
  if (record === undefined || record === null || typeof record !== 'object') return EMPTY_MAP;
  const out = new Map<string, string>();
  const object = record as Record<string, string>;
  for (const key in object) out.set(key, str(object[key]));
  return out;
}

/** `pkg.Service/Method` for a gRPC request (content-type application/grpc*, path /a.B/C), else undefined. */
export function grpcMethodOf(contentType: string | undefined, path: string): string | undefined {
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return undefined;
  const slash = path.indexOf('/', 1);
  if (slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) !== -1) return undefined;
  return path.slice(1);
}

const BLANK: Omit<Request, 'problem'> = Object.freeze({
  method: '', path: '', rawPath: '', hasQuery: false, queryKeys: Object.freeze([]) as readonly string[], host: '',
  headers: EMPTY_MAP, grpcMethod: undefined, sourcePrincipal: '', sourceCertificate: '', sourceAddress: '',
  destinationPrincipal: '', contextExtensions: EMPTY_MAP, requestId: '',
});

function malformed(detail: string, partial: Partial<Request> = {}): Request {
  return { ...BLANK, ...partial, problem: { reason: 'malformed_request', detail } };
}

/** What the gRPC layer hands over when the bytes were not a CheckRequest at all. */
export const UNDECODABLE: unknown = Object.freeze({ undecodable: true });

interface PeerParts {
  readonly sourcePrincipal: string;
  readonly sourceCertificate: string;
  readonly sourceAddress: string;
  readonly destinationPrincipal: string;
  readonly contextExtensions: ReadonlyMap<string, string>;
}

function peerPartsOf(attrs: NonNullable<WireCheckRequest['attributes']>): PeerParts {
  return {
    sourcePrincipal: str(attrs.source?.principal),
    sourceCertificate: str(attrs.source?.certificate),
    sourceAddress: addressOf(attrs.source),
    destinationPrincipal: str(attrs.destination?.principal),
    contextExtensions: stringMap(attrs.context_extensions),
  };
}

const NO_METHOD: RequestProblem = Object.freeze({ reason: 'malformed_request', detail: 'no_method' });

export function decodeCheckRequest(wire: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Request {
  if (wire === UNDECODABLE) return malformed('undecodable_protobuf');
  if (wire === null || typeof wire !== 'object') return malformed('no_request');
  const attrs = (wire as WireCheckRequest).attributes;
  if (attrs === undefined || attrs === null || typeof attrs !== 'object') return malformed('no_attributes');
  const peer = peerPartsOf(attrs);
  const http = attrs.request?.http;
  if (http === undefined || http === null || typeof http !== 'object') return malformed('no_http_request', peer);
  const decoded = decodeHeaders(http, limits);
  if ('problem' in decoded) return { ...BLANK, ...peer, problem: decoded.problem };
  const headers = decoded.headers;
  const method = str(http.method);
  const target = normalizePath(str(http.path));
  const problem = method === '' ? NO_METHOD : target.ok ? undefined : { reason: target.reason, detail: target.detail };
  const path = problem === undefined && target.ok ? target.path : '';
  // One object literal of a fixed shape: spreading objects here cost more than the rest of decoding.
  return {
    method,
    path,
    rawPath: target.rawPath,
    hasQuery: target.hasQuery,
    queryKeys: target.queryKeys,
    host: str(http.host) || (headers.get(':authority') ?? headers.get('host') ?? ''),
    headers,
    grpcMethod: problem === undefined ? grpcMethodOf(headers.get('content-type'), path) : undefined,
    sourcePrincipal: peer.sourcePrincipal,
    sourceCertificate: peer.sourceCertificate,
    sourceAddress: peer.sourceAddress,
    destinationPrincipal: peer.destinationPrincipal,
    contextExtensions: peer.contextExtensions,
    requestId: headers.get('x-request-id') ?? str(http.id),
    problem,
  };
}
