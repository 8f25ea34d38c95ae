// The demo's policy decides as the demo promises, through tollgate's own code path: a CheckRequest
// shaped like the one envoy/sidecar.yaml sends (principal, URL-encoded peer certificate,
// context_extensions, sanitized XFCC), real SVIDs and a real token from the demo's init steps,
// decode → select → identify → decide → CheckResponse.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { decisionIdFor, toCheckResponse } from '../../../src/ext-authz/respond.js';
import { createIdentifier, type Identifier } from '../../../src/identity/identify.js';
import { loadPolicyDir } from '../../../src/policy/load.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { readYaml, REPO } from './compose.js';
import { connectionManager, get, listeners, routes } from './walk.js';

const JWKS_IN_CONTAINER = '/var/run/tollgate/jwks/jwks.json';
let dir = '';
let snapshot: PolicySnapshot;
let identifier: Identifier;
let warnings: readonly unknown[] = [];
let policyTests = 0;

/** The service name the sidecar's forwarding route puts into context_extensions. */
const routeService = ((): string => {
  const hcm = connectionManager(listeners(readYaml('envoy/sidecar.yaml'))[0] ?? {});
  const forwarding = routes(hcm).find((r) => r['route'] !== undefined);
  return String(get(forwarding, 'typed_per_filter_config', 'envoy.filters.http.ext_authz', 'check_settings', 'context_extensions', 'service'));
})();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tollgate-demo-decisions-'));
  const out = path.join(dir, 'out');
  execFileSync('sh', [path.join(REPO, 'demo/init/make-certs.sh'), out], { stdio: 'ignore' });
  execFileSync(process.execPath, [path.join(REPO, 'demo/init/make-tokens.mjs'), out], { stdio: 'ignore' });
  // The policy directory as the tollgate container sees it: the jwks volume is mounted elsewhere here.
  mkdirSync(path.join(dir, 'policies'));
  for (const name of readdirSync(path.join(REPO, 'demo/policies'))) {
    const text = readFileSync(path.join(REPO, 'demo/policies', name), 'utf8');
    if (name === 'trust.yaml') expect(text).toContain(JWKS_IN_CONTAINER);
    writeFileSync(path.join(dir, 'policies', name), text.replace(JWKS_IN_CONTAINER, path.join(out, 'jwks/jwks.json')));
  }
  const loaded = await loadPolicyDir(path.join(dir, 'policies'));
  if (!loaded.ok) throw new Error(`demo/policies does not load:\n${JSON.stringify(loaded.problems, null, 2)}`);
  snapshot = { ...loaded.snapshot, generation: 1, loadedAt: Date.now() };
  warnings = loaded.warnings;
  policyTests = loaded.tests.length;
  identifier = createIdentifier();
  await identifier.configure(snapshot.trust);
});

afterAll(() => {
  identifier?.close();
  rmSync(dir, { recursive: true, force: true });
});

const svidPem = (workload: string): string => readFileSync(path.join(dir, 'out', workload, 'svid.pem'), 'utf8');
const spiffeOf = (workload: string): string => new X509Certificate(svidPem(workload)).subjectAltName?.replace(/^URI:/, '') ?? '';

interface Call {
  readonly workload: string;
  readonly method: string;
  readonly path: string;
  readonly token?: boolean;
  /** A principal other than the certificate's (a lying or confused proxy). */
  readonly principal?: string;
  readonly contextExtensions?: boolean;
}

/** What the demo's sidecar sends: Envoy fills principal and certificate from the verified peer. */
function checkRequest(call: Call): unknown {
  const principal = call.principal ?? spiffeOf(call.workload);
  const headers: Record<string, string> = {
    ':method': call.method,
    ':path': call.path,
    ':authority': 'orders-sidecar:8443',
    'x-request-id': `${call.workload}-test-1`,
    'x-forwarded-client-cert': `By=${spiffeOf('orders')};Hash=00;URI=${principal}`,
  };
  if (call.token) headers['authorization'] = `Bearer ${readFileSync(path.join(dir, 'out/token-checkout/orders-write.jwt'), 'utf8').trim()}`;
  return {
    attributes: {
      source: { address: { socket_address: { address: '172.20.0.7', port_value: 40112 } }, principal, certificate: encodeURIComponent(svidPem(call.workload)) },
      destination: { address: { socket_address: { address: '172.20.0.4', port_value: 8443 } }, principal: spiffeOf('orders') },
      request: { http: { id: '1', method: call.method, path: call.path, host: 'orders-sidecar:8443', headers } },
      context_extensions: call.contextExtensions === false ? {} : { service: routeService },
    },
  };
}

async function check(call: Call) {
  const request = decodeCheckRequest(checkRequest(call));
  const selection = selectService(request, snapshot, undefined);
  const identity = await identifier.identify(request, selection.service, snapshot.trust);
  const decision = decide(request, identity, snapshot, selection);
  return { selection, decision, response: toCheckResponse(decisionIdFor(request.requestId), decision, request, identity) };
}

const headerValue = (response: Awaited<ReturnType<typeof check>>['response'], key: string): string | undefined =>
  response.ok_response?.headers.find((h) => h.header.key === key)?.header.value;

describe('demo/policies through tollgate, as the demo sidecar asks', () => {
  it('loads without lint warnings, together with its policy test file', () => {
    expect(warnings).toEqual([]);
    expect(policyTests).toBe(1);
  });

  it.each([
    { workload: 'checkout', method: 'GET', path: '/orders/42', rule: 'read-orders' },
    { workload: 'checkout', method: 'GET', path: '/orders', rule: 'read-orders' },
    { workload: 'checkout', method: 'POST', path: '/orders', token: true, rule: 'create-order' },
  ])('allows $workload $method $path (token: $token) by rule $rule', async ({ rule, ...call }) => {
    const { decision, response, selection } = await check(call);
    expect(selection.selectedBy).toBe('context_extensions');
    expect(decision).toMatchObject({ verdict: 'allow', service: 'orders', rule });
    expect(response.status.code).toBe(0);
    expect(headerValue(response, 'x-tollgate-caller')).toBe(spiffeOf('checkout'));
    expect(headerValue(response, 'x-tollgate-rule')).toBe(`orders/${rule}`);
    expect(headerValue(response, 'x-tollgate-decision-id')).toBe('checkout-test-1');
    // forwardToken: false — Envoy is told to strip the bearer token before the app.
    expect(response.ok_response?.headers_to_remove.includes('authorization')).toBe(call.token === true);
  });

  it.each([
    { workload: 'checkout', method: 'POST', path: '/orders', reason: 'missing_credential', http: 401 },
    { workload: 'intruder', method: 'GET', path: '/orders/42', reason: 'not_allowed', http: 403 },
    { workload: 'intruder', method: 'POST', path: '/orders', reason: 'missing_credential', http: 401 },
    { workload: 'intruder', method: 'POST', path: '/orders', token: true, reason: 'not_allowed', http: 403 },
    { workload: 'checkout', method: 'DELETE', path: '/orders/42', reason: 'no_rule', http: 403 },
  ])('denies $workload $method $path (token: $token): $reason, HTTP $http', async ({ reason, http, ...call }) => {
    const { decision, response } = await check(call);
    expect(decision).toMatchObject({ verdict: 'deny', reason });
    expect(response.status.code).not.toBe(0);
    expect(response.denied_response?.status.code).toBe(http);
    expect(JSON.parse(response.denied_response?.body ?? '{}')).toMatchObject({ reason, decision_id: `${call.workload}-test-1` });
  });

  it('refuses a principal that disagrees with the peer certificate Envoy sends along', async () => {
    const { decision } = await check({ workload: 'intruder', method: 'GET', path: '/orders/42', principal: spiffeOf('checkout') });
    expect(decision).toMatchObject({ verdict: 'deny', reason: 'invalid_peer_identity' });
  });

  it('selects the orders policy by the sidecar\'s own SPIFFE ID when no route names it', async () => {
    const { selection, decision } = await check({ workload: 'checkout', method: 'GET', path: '/orders/42', contextExtensions: false });
    expect(selection.selectedBy).toBe('destination_principal');
    expect(decision).toMatchObject({ verdict: 'allow', rule: 'read-orders' });
  });
});
