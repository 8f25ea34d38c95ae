// JWKS over real HTTP (a server on 127.0.0.1 port 0): initial load, rotation on the refresh
// interval, server down / garbage / hanging (timeout) keeping the last good set, the unknown-kid
// refetch and its cooldown, removed keys denying at once. Time is driven by fake timers.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentifier, type Identifier } from '../../src/identity/identify.js';
import type { Identity } from '../../src/identity/types.js';
import type { TrustConfig } from '../../src/policy/types.js';
import {
  bearer, claims, generateKey, identityRequest, jwks, recordingMetrics, signToken, spiffeBundle, testIssuer, testService,
  testTrust, type RecordingMetrics, type TestKey,
} from '../helpers/tokens.js';

const ISS = 'https://idp.example.org';
const REFRESH = 300_000;
const COOLDOWN = 30_000;
const TIMEOUT = 2_000;
const KEY_WAIT = 100;

type Mode = 'ok' | 'error' | 'garbage' | 'hang';

interface JwksServer {
  server: Server;
  url: string;
  body: string;
  mode: Mode;
  requests: number;
}

async function startJwksServer(body: unknown): Promise<JwksServer> {
  const state = { body: JSON.stringify(body), mode: 'ok' as Mode, requests: 0 } as JwksServer;
  state.server = createServer((_req, res) => {
    state.requests++;
    if (state.mode === 'hang') return; // never answers
    if (state.mode === 'error') return void res.writeHead(503).end('down');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.mode === 'garbage' ? '<html>not a key set' : state.body);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

let k1: TestKey;
let k2: TestKey;
let srv: JwksServer;
let rec: RecordingMetrics;
let trust: TrustConfig;
let identifier: Identifier;

beforeAll(async () => {
  k1 = await generateKey('ES256', { kid: 'k1' });
  k2 = await generateKey('ES256', { kid: 'k2' });
});

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  srv = await startJwksServer(jwks([k1]));
  rec = recordingMetrics();
  trust = testTrust({
    issuers: [testIssuer({ name: 'corp', issuer: ISS, url: srv.url, refreshMs: REFRESH, cooldownMs: COOLDOWN, timeoutMs: TIMEOUT })],
  });
  identifier = createIdentifier({ metrics: rec.metrics, keyWaitMs: KEY_WAIT });
  await identifier.configure(trust);
});

afterEach(async () => {
  identifier.close();
  srv.server.closeAllConnections();
  await new Promise((resolve) => srv.server.close(resolve));
  vi.useRealTimers();
});

const tokenBy = (key: TestKey, over: Record<string, unknown> = {}): Promise<string> =>
  signToken({ key, claims: { ...claims({ iss: ISS, now: Math.floor(Date.now() / 1000) }), ...over } });
const check = async (jwt: string): Promise<Identity> => identifier.identify(identityRequest(bearer(jwt)), testService(), trust);

/** Advance fake time to the next refresh and wait for its result (an event from the fetcher). */
async function nextRefresh(ms: number): Promise<string> {
  const done = rec.refreshed('corp');
  await vi.advanceTimersByTimeAsync(ms);
  return done;
}

describe('JWKS from a URL', () => {
  it('loads the key set at configure time', async () => {
    expect(rec.refreshes).toEqual(['corp:ok']);
    expect((await check(await tokenBy(k1))).token?.kid).toBe('k1');
  });

  it('rotates on the refresh interval, and a removed key denies even a cached token', async () => {
    const old = await tokenBy(k1);
    expect((await check(old)).token).toBeDefined();
    srv.body = JSON.stringify(jwks([k2]));
    expect(await nextRefresh(REFRESH)).toBe('ok');
    expect((await check(await tokenBy(k2))).token?.kid).toBe('k2');
    expect((await check(old)).tokenFailure).toEqual({ reason: 'invalid_token', detail: 'unknown_kid' });
  });

  it('counts an unchanged key set as unchanged', async () => {
    expect(await nextRefresh(REFRESH)).toBe('unchanged');
  });

  it.each(['error', 'garbage'] as const)('keeps the last good key set when the server answers %s', async (mode) => {
    srv.mode = mode;
    expect(await nextRefresh(REFRESH)).toBe('error');
    expect((await check(await tokenBy(k1))).token).toBeDefined();
    // After a failure the next attempt comes sooner (the cooldown), and recovery applies.
    srv.mode = 'ok';
    srv.body = JSON.stringify(jwks([k1, k2]));
    expect(await nextRefresh(COOLDOWN)).toBe('ok');
    expect((await check(await tokenBy(k2))).token).toBeDefined();
  });

  it('times out a hanging server, keeps the last good set, and never makes a check wait past keyWaitMs', async () => {
    srv.mode = 'hang';
    const refresh = rec.refreshed('corp');
    await vi.advanceTimersByTimeAsync(REFRESH);
    // The fetch is hanging now; a token with a new kid joins it but gives up after KEY_WAIT.
    const pending = check(await tokenBy(k2));
    await vi.advanceTimersByTimeAsync(KEY_WAIT);
    expect((await pending).tokenFailure?.detail).toBe('unknown_kid');
    await vi.advanceTimersByTimeAsync(TIMEOUT);
    expect(await refresh).toBe('error');
    expect((await check(await tokenBy(k1))).token).toBeDefined();
  });

  it('refetches for an unknown kid at most once per cooldown', async () => {
    srv.body = JSON.stringify(jwks([k1, k2]));
    const before = srv.requests;
    // The first unknown kid refetches at once and finds the new key.
    expect((await check(await tokenBy(k2))).token?.kid).toBe('k2');
    expect(srv.requests).toBe(before + 1);
    // A flood of other unknown kids within the cooldown triggers nothing.
    const ghost = await generateKey('ES256', { kid: 'ghost' });
    for (let i = 0; i < 5; i++) expect((await check(await tokenBy(ghost, { jti: `g${i}` }))).tokenFailure?.detail).toBe('unknown_kid');
    expect(srv.requests).toBe(before + 1);
    await vi.advanceTimersByTimeAsync(COOLDOWN);
    expect((await check(await tokenBy(ghost, { jti: 'later' }))).tokenFailure?.detail).toBe('unknown_kid');
    expect(srv.requests).toBe(before + 2);
  });

  it('applies a fetched key set that removes every key', async () => {
    srv.body = JSON.stringify({ keys: [] });
    expect(await nextRefresh(REFRESH)).toBe('ok');
    expect((await check(await tokenBy(k1))).tokenFailure?.detail).toBe('no_keys');
  });
});

describe('JWKS unavailable from the start', () => {
  it('denies no_keys until a fetch succeeds', async () => {
    const down = await startJwksServer(jwks([k1]));
    down.mode = 'error';
    const t = testTrust({ issuers: [testIssuer({ name: 'late', issuer: ISS, url: down.url, cooldownMs: COOLDOWN, timeoutMs: TIMEOUT })] });
    const id = createIdentifier({ keyWaitMs: KEY_WAIT });
    try {
      await id.configure(t);
      const jwt = await tokenBy(k1);
      expect((await id.identify(identityRequest(bearer(jwt)), testService(), t)).tokenFailure).toEqual({ reason: 'invalid_token', detail: 'no_keys' });
      down.mode = 'ok';
      await vi.advanceTimersByTimeAsync(COOLDOWN);
      expect((await id.identify(identityRequest(bearer(jwt)), testService(), t)).token).toBeDefined();
    } finally {
      id.close();
      down.server.closeAllConnections();
      await new Promise((resolve) => down.server.close(resolve));
    }
  });
});

describe('SPIFFE bundle from a URL', () => {
  it('uses only the jwt-svid keys of the bundle', async () => {
    const bundle = await startJwksServer(spiffeBundle([k1]));
    const t = testTrust({ issuers: [testIssuer({ name: 'mesh', issuer: 'https://spire', svid: true, url: bundle.url })] });
    const id = createIdentifier({ keyWaitMs: KEY_WAIT });
    try {
      await id.configure(t);
      const jwt = await signToken({ key: k1, claims: claims({ iss: 'https://spire', sub: 'spiffe://example.org/ns/a/sa/b', now: Math.floor(Date.now() / 1000) }) });
      expect((await id.identify(identityRequest(bearer(jwt)), testService(), t)).token?.svid?.spiffeId).toBe('spiffe://example.org/ns/a/sa/b');
    } finally {
      id.close();
      bundle.server.closeAllConnections();
      await new Promise((resolve) => bundle.server.close(resolve));
    }
  });
});
