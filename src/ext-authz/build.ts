// Builds CheckRequest objects shaped like the ones Envoy's ext_authz filter sends, for the
// `check` and `explain` commands, the benchmark and the tests. Construction only: no decisions.

import type { WireCheckRequest } from './decode.js';

export interface CheckRequestSpec {
  /** `GET /path?query`, or omit and give `grpc`. */
  readonly http?: string;
  /** `pkg.Service/Method`: a gRPC call (POST, content-type application/grpc). */
  readonly grpc?: string;
  readonly service?: string;
  readonly principal?: string;
  /** URL-encoded PEM, as Envoy sends it with include_peer_certificate. */
  readonly certificate?: string;
  readonly destinationPrincipal?: string;
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly host?: string;
  readonly requestId?: string;
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly contextExtensions?: Readonly<Record<string, string>>;
}

/** Split `GET /path` into method and target; throws on a malformed spec (CLI input). */
export function parseHttpSpec(spec: string): { method: string; path: string } {
  const m = /^(\S+)\s+(\S+)$/.exec(spec.trim());
  if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`expected "METHOD /path", got "${spec}"`);
  return { method: m[1], path: m[2] };
}

export function buildCheckRequest(spec: CheckRequestSpec): WireCheckRequest {
  const headers: Record<string, string> = {};
  let method = 'GET';
  let path = '/';
  if (spec.grpc !== undefined) {
    method = 'POST';
    path = `/${spec.grpc}`;
    headers['content-type'] = 'application/grpc';
    headers.te = 'trailers';
  } else if (spec.http !== undefined) {
    ({ method, path } = parseHttpSpec(spec.http));
  }
  const host = spec.host ?? 'service.local';
  headers[':authority'] = host;
  headers[':method'] = method;
  headers[':path'] = path;
  headers[':scheme'] = 'https';
  if (spec.requestId !== undefined) headers['x-request-id'] = spec.requestId;
  if (spec.token !== undefined) headers.authorization = `Bearer ${spec.token}`;
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = v;
  const ext: Record<string, string> = { ...(spec.contextExtensions ?? {}) };
  if (spec.service !== undefined) ext.service = spec.service;
  return {
    attributes: {
      source: {
        address: { socket_address: { address: spec.sourceAddress ?? '127.0.0.1', port_value: spec.sourcePort ?? 43210 } },
        ...(spec.principal !== undefined ? { principal: spec.principal } : {}),
        ...(spec.certificate !== undefined ? { certificate: spec.certificate } : {}),
      },
      destination: {
        address: { socket_address: { address: '127.0.0.1', port_value: 8443 } },
        ...(spec.destinationPrincipal !== undefined ? { principal: spec.destinationPrincipal } : {}),
      },
      request: { http: { id: spec.requestId ?? '', method, headers, path, host, scheme: 'https', protocol: 'HTTP/2' } as never },
      context_extensions: ext,
    },
  };
}
