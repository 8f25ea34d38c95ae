// The known world the fuzzers attack: one policy set (written to a temp dir, with or without
// trustXfcc), the workload IDs it lists, real certificates (openssl) and real ES256 tokens, good
// and bad. The oracle judges every allow against these facts, never against tollgate's code.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { claims, generateKey, jwks, signToken, type TestKey } from '../helpers/tokens.js';

export const TD = 'spiffe://example.org';
export const ID = Object.freeze({
  reader: `${TD}/ns/app/sa/reader`,
  writer: `${TD}/ns/app/sa/writer`,
  opsAlice: `${TD}/ns/ops/sa/alice`,
  intern: `${TD}/ns/ops/sa/intern`,
  revoked: `${TD}/ns/ops/sa/revoked`,
  stranger: `${TD}/ns/app/sa/stranger`,
  shopApi: `${TD}/ns/shop/sa/api`,
  foreign: 'spiffe://evil.org/ns/app/sa/reader',
});
export const ISS = 'https://idp.example.org';
export const REVOKED_JTI = 'jti-revoked';

const TRUST = (xfcc: boolean): string => `kind: Trust
trustDomains: [example.org]
trustXfcc: ${xfcc}
issuers:
  corp:
    issuer: ${ISS}
    jwks: { file: corp.json }
    algorithms: [ES256]
    maxLifetime: 1h
revoked:
  spiffeIds: [${ID.revoked}]
  tokenIds: [${REVOKED_JTI}]
`;

const SHOP = `kind: ServicePolicy
service: shop
spiffeId: ${ID.shopApi}
audience: shop
rules:
  - name: read
    methods:
      - http: GET /v1/items/**
      - grpc: shop.v1.Items/Get*
    allow:
      - spiffe: ${ID.reader}
      - token: { issuer: corp, subject: reader-bot }
  - name: write
    methods:
      - http: POST|PUT /v1/items/*
    require: [mtls, token]
    allow:
      - spiffe: ${ID.writer}
        token: { issuer: corp, scopes: [items.write] }
  - name: admin
    methods:
      - http: "* /admin/**"
    allow:
      - spiffe: ${TD}/ns/ops/sa/*
    deny:
      - spiffe: ${ID.intern}
`;

const LEGACY = `kind: ServicePolicy
service: legacy
mode: dry-run
rules:
  - name: old
    methods:
      - http: GET /old/*
    allow:
      - spiffe: ${ID.reader}
`;

/** A token the policy may accept: its exact signing input and what it claims. */
export interface GoodToken {
  readonly jwt: string;
  readonly sub: string;
  readonly scopes: readonly string[];
}

export interface World {
  /** Policy dirs: trustXfcc false and true. */
  readonly dirs: { readonly plain: string; readonly xfcc: string };
  readonly goodTokens: readonly GoodToken[];
  /** Tokens that must never verify (wrong aud, expired, unknown key, alg tricks, revoked jti, ...). */
  readonly badTokens: readonly string[];
  /** The one bad token that verifies but whose jti is revoked (never shadowed in dry-run). */
  readonly revokedToken: string;
  /** URL-encoded PEM certificates, valid and not. */
  readonly certs: readonly string[];
  cleanup(): Promise<void>;
}

async function tokens(key: TestKey, stranger: TestKey): Promise<{ good: GoodToken[]; bad: string[]; revoked: string }> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (over: Record<string, unknown>, k = key, header: Record<string, unknown> = {}): Promise<string> =>
    signToken({ key: k, header, claims: { ...claims({ iss: ISS, aud: 'shop', sub: 'reader-bot', now, lifetime: 1800 }), ...over } });
  const good: GoodToken[] = [
    { jwt: await sign({}), sub: 'reader-bot', scopes: [] },
    { jwt: await sign({ sub: 'writer-bot', scope: 'items.read items.write' }), sub: 'writer-bot', scopes: ['items.read', 'items.write'] },
    { jwt: await sign({ aud: ['other', 'shop'], sub: 'reader-bot' }), sub: 'reader-bot', scopes: [] },
    { jwt: await sign({ sub: 'nobody', scope: 'items.read' }), sub: 'nobody', scopes: ['items.read'] },
  ];
  const revoked = await sign({ jti: REVOKED_JTI });
  const bad = [
    revoked,
    await sign({ aud: 'other' }),
    await sign({ iat: now - 7200, exp: now - 3600 }),
    await sign({}, stranger),
    await sign({ iat: now, exp: now + 7200 }),
    await sign({ iss: 'https://evil.example' }),
    await sign({ exp: undefined }),
    await sign({ aud: undefined }),
    await sign({}, key, { typ: 'at+jwt' }),
    await sign({}, key, { jku: 'http://127.0.0.1:1/jwks' }),
    await sign({}, key, { alg: 'none' }),
    await signToken({ key, header: { alg: 'HS256' }, claims: claims({ iss: ISS, aud: 'shop', sub: 'reader-bot', now }), secret: Buffer.from(key.spkiPem) }),
    await sign({ scope: 'items.write', sub: 'writer-bot', nbf: now + 3600 }),
    await signToken({ key, payload: `{"iss":"${ISS}","aud":"shop","sub":"reader-bot","iat":${now},"exp":1e400}` }),
  ];
  return { good, bad, revoked };
}

function certificates(ca: TestCa): string[] {
  const day = 24 * 3600_000;
  const issue = (sans: string[], extra: { start?: Date; end?: Date; isCa?: boolean } = {}): string => ca.issue({ sans, ...extra }).urlEncoded;
  return [
    issue([`URI:${ID.reader}`]),
    issue([`URI:${ID.writer}`]),
    issue([`URI:${ID.opsAlice}`]),
    issue([`URI:${ID.intern}`]),
    issue([`URI:${ID.revoked}`]),
    issue([`URI:${ID.stranger}`]),
    issue([`URI:${ID.reader}`, `URI:${ID.writer}`]),
    issue([`URI:${ID.foreign}`]),
    issue([`URI:https://example.org/reader`]),
    issue(['DNS:reader.example.org']),
    issue([`URI:${ID.reader}`, 'DNS:reader.example.org']),
    issue([`URI:${ID.reader}`], { start: new Date(Date.now() - 10 * day), end: new Date(Date.now() - day) }),
    issue([`URI:${ID.reader}`], { isCa: true }),
    ca.ca.urlEncoded,
  ];
}

export async function createWorld(): Promise<World> {
  const key = await generateKey('ES256', { kid: 'corp-1' });
  const stranger = await generateKey('ES256', { kid: 'corp-9' });
  const ca = createTestCa();
  const certs = certificates(ca);
  const { good, bad, revoked } = await tokens(key, stranger);
  const dirs = { plain: '', xfcc: '' };
  for (const xfcc of [false, true]) {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-fuzz-'));
    await writeFile(join(dir, 'trust.yaml'), TRUST(xfcc));
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(join(dir, 'legacy.yaml'), LEGACY);
    await writeFile(join(dir, 'corp.json'), JSON.stringify(jwks([key])));
    if (xfcc) dirs.xfcc = dir;
    else dirs.plain = dir;
  }
  return {
    dirs, goodTokens: good, badTokens: bad, revokedToken: revoked, certs,
    async cleanup() {
      ca.cleanup();
      await rm(dirs.plain, { recursive: true, force: true });
      await rm(dirs.xfcc, { recursive: true, force: true });
    },
  };
}
