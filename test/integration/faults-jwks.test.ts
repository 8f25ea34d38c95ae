// The key server misbehaving while the real tollgate serves real gRPC: down at start-up, hanging,
// answering garbage, and rotating its keys under load. Workload (mTLS) callers never notice; token
// callers are denied invalid_token while no usable key exists, never wait past the key wait, keep
// working with the last good keys, and a rotation applies at once — a removed key even cached.

import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.js';
import { claims, generateKey, jwks, signToken, type TestKey } from '../helpers/tokens.js';
import { KeyServer } from './faults-keyserver.js';
import { Load, metric, metricReaches } from './faults-load.js';

const ISS = 'https://idp.example.org';
const READER = 'spiffe://example.org/ns/app/sa/reader';
const ERRORS = 'tollgate_jwks_refresh_total{issuer="corp",result="error"}';
let keys: KeyServer;
let dir: string;
let server: RunningServer;
let k1: TestKey;
let k2: TestKey;
let t1: string;
let t2: string;

async function outcome(token: string | undefined, principal?: string): Promise<string> {
  const res = await server.client.check({ service: 'api', http: 'GET /r', ...(token === undefined ? {} : { token }), ...(principal === undefined ? {} : { principal }) });
  return res.status.code === 0 ? 'allow' : `deny:${res.dynamic_metadata.fields.reason?.stringValue}`;
}

/** Checks with `token` until one is allowed (bounded by a number of checks, not by time). */
async function untilAllowed(token: string, bound = 20_000): Promise<void> {
  for (let i = 0; i < bound; i++) if ((await outcome(token)) === 'allow') return;
  throw new Error('the token was never allowed');
}

beforeAll(async () => {
  k1 = await generateKey('ES256', { kid: 'k1' });
  k2 = await generateKey('ES256', { kid: 'k2' });
  const now = Math.floor(Date.now() / 1000);
  t1 = await signToken({ key: k1, claims: claims({ iss: ISS, aud: 'api', sub: 'bot', now }) });
  t2 = await signToken({ key: k2, claims: claims({ iss: ISS, aud: 'api', sub: 'bot', now }) });
  keys = new KeyServer();
  await keys.start();
  dir = await mkdtemp(join(tmpdir(), 'tollgate-faults-jwks-'));
  await writeFile(join(dir, 'trust.yaml'), `kind: Trust
trustDomains: [example.org]
issuers:
  corp:
    issuer: ${ISS}
    jwks: { url: ${keys.url}, refresh: 1h, cooldown: 200ms, timeout: 500ms }
    algorithms: [ES256]
    maxLifetime: 1h
`);
  await writeFile(join(dir, 'api.yaml'), `kind: ServicePolicy
service: api
rules:
  - name: read
    methods: [{ http: GET /r }]
    allow:
      - token: { issuer: corp, subject: bot }
      - spiffe: ${READER}
`);
  keys.mode = 'down';
  server = await startServer(dir);
});

afterAll(async () => {
  await server?.close();
  await keys?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('key server faults (real server, real gRPC, real HTTP key server)', () => {
  it('starts while the key server is down: tokens are denied invalid_token, workloads are unaffected, tokens verify once it is back', async () => {
    const denied = await server.client.check({ service: 'api', http: 'GET /r', token: t1 });
    expect(denied.status.code).toBe(16);
    expect(JSON.parse(denied.denied_response?.body ?? '{}').reason).toBe('invalid_token');
    expect(await outcome(undefined, READER)).toBe('allow');
    keys.body = JSON.stringify(jwks([k1]));
    keys.mode = 'ok';
    await untilAllowed(t1);
  });

  it('never holds a check past the key wait while the key server hangs, and the keys in force keep working', async () => {
    keys.mode = 'hang';
    // Unknown kids ask for a refetch (at most one per cooldown): ask until one is made and hangs.
    // The check that made it waits for it no longer than --key-wait-ms, then denies.
    for (let i = 0; i < 20_000 && keys.hanging.length === 0; i++) expect(await outcome(t2)).toBe('deny:invalid_token');
    expect(keys.hanging).toHaveLength(1);
    const unknownKid = outcome(t2); // joins the hanging fetch, and gives up after --key-wait-ms too
    const meanwhile = await Promise.all(Array.from({ length: 50 }, (_, i) => outcome(i % 2 === 0 ? t1 : undefined, i % 2 === 0 ? undefined : READER)));
    expect(meanwhile.every((o) => o === 'allow')).toBe(true);
    expect(await unknownKid).toBe('deny:invalid_token');
    if (keys.aborted === 0) await once(keys, 'aborted'); // tollgate's own fetch timeout ends the hanging request
    expect(await outcome(t1)).toBe('allow');
  });

  it('keeps the last good key set when the key server answers garbage, and counts the failure', async () => {
    const before = await metric(server.adminUrl, ERRORS);
    keys.mode = 'garbage';
    let garbageServed = false;
    keys.once('request', () => (garbageServed = true));
    // Unknown kids ask for a refetch (at most one per cooldown): keep asking until one is made.
    for (let i = 0; i < 20_000 && !garbageServed; i++) expect(await outcome(t2)).toBe('deny:invalid_token');
    expect(garbageServed).toBe(true);
    await metricReaches(server.adminUrl, ERRORS, (v) => v > before);
    expect(await outcome(t1)).toBe('allow');
  });

  it('applies a key rotation under load at once: the new key verifies, the removed one is refused even cached', async () => {
    keys.body = JSON.stringify(jwks([k2]));
    keys.mode = 'ok';
    const expected = (state: string, probe: number): string =>
      (probe === 0) === (state === 'old') ? 'allow' : 'deny:invalid_token';
    const load = new Load(['old', 'new'], (i) => outcome(i === 0 ? t1 : t2), 2).start();
    try {
      await load.waitFor((o) => o.probe === 1 && o.outcome === 'allow');
      load.enter('new');
      await load.more(300);
    } finally {
      await load.stop();
    }
    expect(load.wrong(expected)).toEqual([]);
    expect(load.results.some((r) => r.probe === 0 && r.from === load.phase && r.outcome === 'deny:invalid_token')).toBe(true);
  });
});
