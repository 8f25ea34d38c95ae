// The Envoy configuration of the demo and of docs/envoy.md: structure verified against the v3
// protos (envoy-schema.ts), and the settings tollgate relies on (fail closed, peer certificate,
// sanitized XFCC, context_extensions that name real policies, the one unchecked route).

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYaml, REPO } from './compose.js';
import { validateEnvoy } from './envoy-schema.js';
import { cluster, clusters, connectionManager, endpoints, get, httpFilters, isObj, listeners, objectsWith, routes, valuesOf } from './walk.js';

const sidecar = readYaml('envoy/sidecar.yaml');
const client = readYaml('envoy/client.yaml');
const trust = readYaml<{ trustDomains: string[] }>('demo/policies/trust.yaml');
const policies = readdirSync(path.join(REPO, 'demo/policies'))
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
  .map((f) => readYaml<Record<string, unknown>>(`demo/policies/${f}`));
const servicePolicies = policies.filter((p) => p['kind'] === 'ServicePolicy');
const ordersPolicy = servicePolicies.find((p) => p['service'] === 'orders');

const inbound = connectionManager(listeners(sidecar)[0] ?? {});
const extAuthz = httpFilters(inbound).find((f) => f['name'] === 'envoy.filters.http.ext_authz')?.['typed_config'];
const perRoute = (route: Record<string, unknown>): unknown => get(route, 'typed_per_filter_config', 'envoy.filters.http.ext_authz');

describe.each([
  ['envoy/sidecar.yaml', sidecar],
  ['envoy/client.yaml', client],
])('%s', (_file, doc) => {
  it('uses only fields, enum values and @type URLs verified against the Envoy v3 protos', () => {
    expect(validateEnvoy(doc)).toEqual([]);
  });

  it('defines every cluster that a route or a gRPC service names, and uses every cluster it defines', () => {
    const named = new Set([...valuesOf(doc, 'cluster'), ...valuesOf(doc, 'cluster_name')].map(String));
    const defined = new Set(clusters(doc).map((c) => String(c['name'])));
    expect([...named].filter((n) => !defined.has(n))).toEqual([]);
    expect([...defined].filter((n) => !named.has(n))).toEqual([]);
  });

  it('binds the admin API to loopback only', () => {
    expect(get(doc, 'admin', 'address', 'socket_address', 'address')).toBe('127.0.0.1');
  });
});

describe('the structural check itself', () => {
  const broken = (mutate: (doc: Record<string, unknown>) => void): string[] => {
    const doc = structuredClone(sidecar) as Record<string, unknown>;
    mutate(doc);
    return validateEnvoy(doc);
  };

  it('reports a misspelt field, a body-buffering ext_authz and an unverified @type', () => {
    const authz = (doc: unknown) => get(connectionManager(listeners(doc)[0] ?? {}), 'http_filters', 0, 'typed_config') as Record<string, unknown>;
    expect(broken((d) => { authz(d)['failure_mode_allows'] = false; }).join('\n')).toMatch(/no field "failure_mode_allows"/);
    expect(broken((d) => { authz(d)['with_request_body'] = { max_request_bytes: 1024 }; }).join('\n')).toMatch(/no field "with_request_body"/);
    expect(broken((d) => { authz(d)['@type'] = 'type.googleapis.com/envoy.config.filter.http.ext_authz.v2.ExtAuthz'; }).join('\n')).toMatch(/not in the verified list/);
  });

  it('reports a per-route config that sets both or neither of disabled and check_settings', () => {
    const problems = broken((d) => {
      const route = routes(connectionManager(listeners(d)[0] ?? {}))[1] ?? {};
      (perRoute(route) as Record<string, unknown>)['disabled'] = true;
    });
    expect(problems.join('\n')).toMatch(/oneof \{disabled, check_settings\} has 2 set/);
  });
});

describe('envoy/sidecar.yaml (the protected service)', () => {
  it('requires a client certificate from the demo trust domain on its only listener', () => {
    expect(listeners(sidecar)).toHaveLength(1);
    const tls = get(listeners(sidecar)[0], 'filter_chains', 0, 'transport_socket', 'typed_config');
    expect(get(tls, 'require_client_certificate')).toBe(true);
    expect(get(tls, 'common_tls_context', 'validation_context', 'match_typed_subject_alt_names')).toEqual([
      { san_type: 'URI', matcher: { prefix: `spiffe://${trust.trustDomains[0]}/` } },
    ]);
  });

  it('replaces any client-sent x-forwarded-client-cert with the verified URI SAN', () => {
    expect(inbound['forward_client_cert_details']).toBe('SANITIZE_SET');
    expect(inbound['set_current_client_cert_details']).toEqual({ uri: true });
  });

  it('asks tollgate over gRPC v3, fails closed, bounds the wait and sends the peer certificate', () => {
    expect(extAuthz).toMatchObject({
      transport_api_version: 'V3',
      failure_mode_allow: false,
      include_peer_certificate: true,
      status_on_error: { code: 'Forbidden' },
      grpc_service: { envoy_grpc: { cluster_name: 'tollgate' }, timeout: '0.2s' },
    });
    expect(isObj(extAuthz) && 'with_request_body' in extAuthz).toBe(false);
  });

  it('runs ext_authz before the router, and the router last', () => {
    expect(httpFilters(inbound).map((f) => f['name'])).toEqual(['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
  });

  it('talks HTTP/2 to tollgate, as gRPC requires', () => {
    expect(get(cluster(sidecar, 'tollgate'), 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'explicit_http_config'))
      .toEqual({ http2_protocol_options: {} });
  });

  it('skips the check only on a route that Envoy answers itself', () => {
    const unchecked = routes(inbound).filter((r) => get(perRoute(r), 'disabled') === true);
    expect(unchecked.map((r) => get(r, 'match', 'path'))).toEqual(['/healthz/envoy']);
    for (const route of unchecked) {
      expect(route['route']).toBeUndefined();
      expect(get(route, 'direct_response', 'status')).toBe(200);
    }
  });

  it('names, on every forwarding route, a service that demo/policies defines', () => {
    const forwarding = routes(inbound).filter((r) => r['route'] !== undefined);
    expect(forwarding.length).toBeGreaterThan(0);
    const defined = servicePolicies.map((p) => p['service']);
    for (const route of forwarding) {
      expect(defined).toContain(get(perRoute(route), 'check_settings', 'context_extensions', 'service'));
    }
  });

  it('forwards only to the app on loopback', () => {
    const targets = routes(inbound).flatMap((r) => (r['route'] ? [String(get(r, 'route', 'cluster'))] : []));
    for (const name of targets) {
      expect(endpoints(cluster(sidecar, name)).map((e) => e.address)).toEqual(['127.0.0.1']);
    }
  });
});

describe('envoy/client.yaml (a calling workload)', () => {
  it('accepts plain HTTP only on loopback, from the app beside it', () => {
    expect(listeners(client).map((l) => get(l, 'address', 'socket_address', 'address'))).toEqual(['127.0.0.1']);
  });

  it('presents its SVID and accepts only a server holding the orders SPIFFE ID', () => {
    const tls = get(cluster(client, 'orders_mtls'), 'transport_socket', 'typed_config');
    expect(get(tls, '@type')).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(get(tls, 'common_tls_context', 'tls_certificates', 0, 'certificate_chain', 'filename')).toBeTypeOf('string');
    expect(get(tls, 'common_tls_context', 'validation_context', 'match_typed_subject_alt_names')).toEqual([
      { san_type: 'URI', matcher: { exact: ordersPolicy?.['spiffeId'] } },
    ]);
  });

  it('carries no ext_authz filter: the decision is made on the server side', () => {
    expect(objectsWith(client, '@type').map((o) => o['@type'])).not.toContain(
      'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
    );
  });
});
