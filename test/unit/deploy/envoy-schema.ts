// A small structural check of Envoy v3 bootstrap YAML: the messages and fields our envoy/*.yaml
// use, transcribed from Envoy's api/ protos (names, nesting, enum values, @type URLs). It cannot
// replace `envoy --mode validate`, which this machine cannot run; it catches misspelt or misplaced
// fields and wrong type URLs. A field missing here is an error on purpose: add it only after
// reading it in the proto.

type Spec =
  | 'string' | 'bool' | 'uint' | 'duration' | 'struct'
  | { readonly enum: readonly string[] }
  | { readonly msg: string }
  | { readonly any: string | undefined } // a google.protobuf.Any; the message it must hold, if fixed
  | { readonly mapOf: 'string' | 'any' };

const msg = (name: string): Spec => ({ msg: name });
const anyOf = (name?: string): Spec => ({ any: name });
const oneOf = (...values: string[]): Spec => ({ enum: values });

/** `@type` URL → message name. Every typed_config in our files must use one of these. */
export const TYPE_URLS: Readonly<Record<string, string>> = {
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': 'HttpConnectionManager',
  'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz': 'ExtAuthz',
  'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute': 'ExtAuthzPerRoute',
  'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router': 'Router',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext': 'DownstreamTlsContext',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': 'UpstreamTlsContext',
  'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog': 'StdoutAccessLog',
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions': 'HttpProtocolOptions',
};

/** Extension name → the message its typed_config (or per-route / protocol-options entry) must hold. */
const NAMED: Readonly<Record<string, readonly string[]>> = {
  'envoy.filters.network.http_connection_manager': ['HttpConnectionManager'],
  'envoy.filters.http.ext_authz': ['ExtAuthz', 'ExtAuthzPerRoute'],
  'envoy.filters.http.router': ['Router'],
  'envoy.transport_sockets.tls': ['DownstreamTlsContext', 'UpstreamTlsContext'],
  'envoy.access_loggers.stdout': ['StdoutAccessLog'],
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': ['HttpProtocolOptions'],
};

const DATA_SOURCE = msg('DataSource');

const SCHEMA: Readonly<Record<string, Readonly<Record<string, Spec>>>> = {
  Bootstrap: { admin: msg('Admin'), static_resources: msg('StaticResources') },
  Admin: { address: msg('Address') },
  Address: { socket_address: msg('SocketAddress'), pipe: msg('Pipe') },
  SocketAddress: { address: 'string', port_value: 'uint', protocol: oneOf('TCP', 'UDP') },
  Pipe: { path: 'string', mode: 'uint' },
  StaticResources: { listeners: msg('Listener'), clusters: msg('Cluster') },
  Listener: { name: 'string', address: msg('Address'), filter_chains: msg('FilterChain') },
  FilterChain: { name: 'string', filters: msg('NamedConfig'), transport_socket: msg('DownstreamSocket') },
  NamedConfig: { name: 'string', typed_config: anyOf() },
  DownstreamSocket: { name: 'string', typed_config: anyOf('DownstreamTlsContext') },
  UpstreamSocket: { name: 'string', typed_config: anyOf('UpstreamTlsContext') },
  HttpConnectionManager: {
    stat_prefix: 'string',
    codec_type: oneOf('AUTO', 'HTTP1', 'HTTP2', 'HTTP3'),
    normalize_path: 'bool',
    merge_slashes: 'bool',
    path_with_escaped_slashes_action: oneOf('IMPLEMENTATION_SPECIFIC_DEFAULT', 'KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT', 'UNESCAPE_AND_FORWARD'),
    forward_client_cert_details: oneOf('SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY'),
    set_current_client_cert_details: msg('SetCurrentClientCertDetails'),
    access_log: msg('NamedConfig'),
    route_config: msg('RouteConfiguration'),
    http_filters: msg('NamedConfig'),
  },
  SetCurrentClientCertDetails: { subject: 'bool', cert: 'bool', chain: 'bool', dns: 'bool', uri: 'bool' },
  StdoutAccessLog: { log_format: msg('SubstitutionFormatString') },
  SubstitutionFormatString: { json_format: 'struct', text_format_source: DATA_SOURCE, omit_empty_values: 'bool', content_type: 'string' },
  RouteConfiguration: { name: 'string', virtual_hosts: msg('VirtualHost') },
  VirtualHost: { name: 'string', domains: 'string', routes: msg('Route'), typed_per_filter_config: { mapOf: 'any' } },
  Route: {
    name: 'string',
    match: msg('RouteMatch'),
    route: msg('RouteAction'),
    direct_response: msg('DirectResponseAction'),
    typed_per_filter_config: { mapOf: 'any' },
  },
  RouteMatch: { prefix: 'string', path: 'string' },
  RouteAction: { cluster: 'string', timeout: 'duration' },
  DirectResponseAction: { status: 'uint', body: DATA_SOURCE },
  DataSource: { filename: 'string', inline_string: 'string' },
  // with_request_body is left out on purpose: tollgate never reads bodies (docs/envoy.md).
  ExtAuthz: {
    grpc_service: msg('GrpcService'),
    transport_api_version: oneOf('AUTO', 'V2', 'V3'),
    failure_mode_allow: 'bool',
    status_on_error: msg('HttpStatus'),
    include_peer_certificate: 'bool',
    stat_prefix: 'string',
  },
  GrpcService: { envoy_grpc: msg('EnvoyGrpc'), timeout: 'duration' },
  EnvoyGrpc: { cluster_name: 'string' },
  HttpStatus: { code: oneOf('Unauthorized', 'Forbidden', 'InternalServerError', 'ServiceUnavailable') },
  ExtAuthzPerRoute: { disabled: 'bool', check_settings: msg('CheckSettings') },
  CheckSettings: { context_extensions: { mapOf: 'string' }, disable_request_body_buffering: 'bool' },
  Router: {},
  Cluster: {
    name: 'string',
    type: oneOf('STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'),
    connect_timeout: 'duration',
    lb_policy: oneOf('ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED'),
    dns_lookup_family: oneOf('AUTO', 'V4_ONLY', 'V6_ONLY'),
    load_assignment: msg('ClusterLoadAssignment'),
    transport_socket: msg('UpstreamSocket'),
    typed_extension_protocol_options: { mapOf: 'any' },
  },
  ClusterLoadAssignment: { cluster_name: 'string', endpoints: msg('LocalityLbEndpoints') },
  LocalityLbEndpoints: { lb_endpoints: msg('LbEndpoint') },
  LbEndpoint: { endpoint: msg('Endpoint') },
  Endpoint: { address: msg('Address') },
  HttpProtocolOptions: { explicit_http_config: msg('ExplicitHttpConfig') },
  ExplicitHttpConfig: { http_protocol_options: 'struct', http2_protocol_options: 'struct' },
  DownstreamTlsContext: { common_tls_context: msg('CommonTlsContext'), require_client_certificate: 'bool' },
  UpstreamTlsContext: { common_tls_context: msg('CommonTlsContext'), sni: 'string' },
  CommonTlsContext: {
    alpn_protocols: 'string',
    tls_certificates: msg('TlsCertificate'),
    validation_context: msg('CertificateValidationContext'),
  },
  TlsCertificate: { certificate_chain: DATA_SOURCE, private_key: DATA_SOURCE },
  CertificateValidationContext: { trusted_ca: DATA_SOURCE, match_typed_subject_alt_names: msg('SubjectAltNameMatcher') },
  SubjectAltNameMatcher: { san_type: oneOf('EMAIL', 'DNS', 'URI', 'IP_ADDRESS'), matcher: msg('StringMatcher') },
  StringMatcher: { exact: 'string', prefix: 'string', suffix: 'string', contains: 'string' },
};

/** Oneofs whose members we use: at most one may be set (and ExtAuthzPerRoute needs exactly one). */
const ONEOFS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Address: [['socket_address', 'pipe']],
  Route: [['route', 'direct_response']],
  RouteMatch: [['prefix', 'path']],
  DataSource: [['filename', 'inline_string']],
  ExtAuthzPerRoute: [['disabled', 'check_settings']],
  StringMatcher: [['exact', 'prefix', 'suffix', 'contains']],
};

const DURATION = /^\d+(\.\d+)?s$/;

/** Every structural problem in an Envoy bootstrap document, as "path: message" lines. */
export function validateEnvoy(doc: unknown): string[] {
  const problems: string[] = [];
  checkMessage('Bootstrap', doc, '$', problems);
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkMessage(name: string, value: unknown, path: string, problems: string[]): void {
  const fields = SCHEMA[name];
  if (!fields) return void problems.push(`${path}: no schema for message ${name}`);
  if (!isObject(value)) return void problems.push(`${path}: ${name} must be an object`);
  for (const [key, child] of Object.entries(value)) {
    if (key === '@type') continue;
    const spec = fields[key];
    if (!spec) problems.push(`${path}.${key}: ${name} has no field "${key}"`);
    else checkRepeatable(spec, child, `${path}.${key}`, problems, value['name']);
  }
  for (const group of ONEOFS[name] ?? []) {
    const set = group.filter((k) => k in value);
    const exactlyOne = name === 'ExtAuthzPerRoute';
    if (set.length > 1 || (exactlyOne && set.length !== 1)) problems.push(`${path}: oneof {${group.join(', ')}} has ${set.length} set`);
  }
}

function checkRepeatable(spec: Spec, value: unknown, path: string, problems: string[], owner: unknown): void {
  if (Array.isArray(value)) value.forEach((item, i) => checkValue(spec, item, `${path}[${i}]`, problems, owner));
  else checkValue(spec, value, path, problems, owner);
}

function checkValue(spec: Spec, value: unknown, path: string, problems: string[], owner: unknown): void {
  if (spec === 'string') return void (typeof value === 'string' || problems.push(`${path}: expected a string`));
  if (spec === 'bool') return void (typeof value === 'boolean' || problems.push(`${path}: expected true/false`));
  if (spec === 'uint') return void ((Number.isInteger(value) && (value as number) >= 0) || problems.push(`${path}: expected an unsigned integer`));
  if (spec === 'duration') return void ((typeof value === 'string' && DURATION.test(value)) || problems.push(`${path}: expected a duration like 0.2s`));
  if (spec === 'struct') return void (isObject(value) || problems.push(`${path}: expected an object`));
  if ('enum' in spec) return void (spec.enum.includes(String(value)) || problems.push(`${path}: "${String(value)}" is not one of ${spec.enum.join('|')}`));
  if ('msg' in spec) return checkMessage(spec.msg, value, path, problems);
  if ('any' in spec) return checkAny(value, path, problems, spec.any, typeof owner === 'string' ? owner : undefined);
  if (!isObject(value)) return void problems.push(`${path}: expected a map`);
  for (const [key, child] of Object.entries(value)) {
    if (spec.mapOf === 'string') {
      if (typeof child !== 'string') problems.push(`${path}.${key}: expected a string`);
    } else checkAny(child, `${path}.${key}`, problems, undefined, key);
  }
}

/** An Any: a known @type URL, holding the message its context or extension name requires. */
function checkAny(value: unknown, path: string, problems: string[], fixed: string | undefined, extension: string | undefined): void {
  if (!isObject(value)) return void problems.push(`${path}: expected a typed config object`);
  const url = value['@type'];
  const message = typeof url === 'string' ? TYPE_URLS[url] : undefined;
  if (!message) return void problems.push(`${path}: @type ${String(url)} is not in the verified list`);
  if (fixed !== undefined && message !== fixed) problems.push(`${path}: expected ${fixed}, got ${message}`);
  if (extension !== undefined) {
    const allowed = NAMED[extension];
    if (!allowed) problems.push(`${path}: unknown extension name "${extension}"`);
    else if (!allowed.includes(message)) problems.push(`${path}: "${extension}" cannot hold ${message}`);
  }
  checkMessage(message, value, path, problems);
}
