// Builders for decision tests: a policy set compiled from YAML strings (written to a temp dir and
// loaded by the real loader), requests, and identities as the identity layer would produce them.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Request } from '../../../src/decision/types.js';
import { parseSpiffeId } from '../../../src/identity/spiffe.js';
import type { Identity, IdentityFailure, PeerIdentity, VerifiedToken } from '../../../src/identity/types.js';
import { formatProblem, loadPolicyDir } from '../../../src/policy/load.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';

export const TRUST = `
kind: Trust
trustDomains: [example.org]
issuers:
  corp-idp:
    issuer: https://idp.example.org
    jwks: { file: jwks.json }
    algorithms: [ES256]
  mesh:
    issuer: https://spire.example.org
    svid: true
    jwks: { file: jwks.json }
    algorithms: [ES256]
revoked:
  spiffeIds: [spiffe://example.org/ns/legacy/sa/shared]
  tokenIds: [leaked-jti]
  keyIds: [leaked-kid]
`;

/** One public EC P-256 key (no private part): tests never verify signatures with it. */
export const PUBLIC_JWKS = JSON.stringify({
  keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'GVQ4yuTtxHIfrLbscCvwf5FDRXyOayajtPJCj3M-z-s', y: 'YRaTi85WoGasmceNzh0C5KZRckncUKYBAnD6PdTbReE' }],
});

/** Write files (trust.yaml and jwks.json added unless given) to a fresh temp dir. */
export async function writePolicyDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-pol-'));
  const all = { 'trust.yaml': TRUST, 'jwks.json': PUBLIC_JWKS, ...files };
  for (const [name, text] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** Compile a policy set from YAML service files (plus the TRUST above); throws on any error. */
export async function snapshotOf(files: Record<string, string>, generation = 1): Promise<PolicySnapshot> {
  const dir = await writePolicyDir(files);
  try {
    const loaded = await loadPolicyDir(dir);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    return { ...loaded.snapshot, generation, loadedAt: 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RequestSpec {
  readonly method?: string;
  readonly path?: string;
  readonly grpc?: string;
  readonly service?: string;
  readonly destination?: string;
  readonly problem?: Request['problem'];
}

export function req(spec: RequestSpec = {}): Request {
  const grpc = spec.grpc;
  const p = grpc !== undefined ? `/${grpc}` : (spec.path ?? '/');
  return {
    method: spec.method ?? (grpc !== undefined ? 'POST' : 'GET'),
    path: p,
    rawPath: p,
    hasQuery: false,
    queryKeys: [],
    host: 'svc',
    headers: new Map(),
    grpcMethod: grpc,
    sourcePrincipal: '',
    sourceCertificate: '',
    sourceAddress: '',
    destinationPrincipal: spec.destination ?? '',
    contextExtensions: new Map(spec.service === undefined ? [] : [['service', spec.service]]),
    requestId: '',
    problem: spec.problem,
  };
}

export function peerOf(id: string): PeerIdentity {
  const parsed = parseSpiffeId(id);
  if (!parsed.ok) throw new Error(`bad test SPIFFE ID ${id}`);
  return { spiffeId: id, trustDomain: parsed.id.trustDomain, path: parsed.id.path, source: 'principal' };
}

export interface TokenSpec {
  readonly issuer?: string;
  readonly sub?: string;
  readonly scopes?: readonly string[];
  readonly claims?: Record<string, unknown>;
  readonly aud?: readonly string[];
  readonly jti?: string;
  readonly kid?: string;
  readonly exp?: number;
  readonly svid?: boolean;
  readonly fingerprint?: string;
}

let fingerprints = 0;

export function tokenOf(spec: TokenSpec = {}): VerifiedToken {
  const sub = spec.sub ?? 'svc-a';
  return {
    issuer: spec.issuer ?? 'corp-idp',
    iss: 'https://idp.example.org',
    sub,
    jti: spec.jti,
    kid: spec.kid,
    aud: spec.aud ?? ['svc'],
    scopes: spec.scopes ?? [],
    exp: spec.exp ?? 4_000_000_000,
    iat: undefined,
    claims: { sub, ...spec.claims },
    svid: spec.svid === true ? peerOf(sub) : undefined,
    fingerprint: spec.fingerprint ?? `fp-${++fingerprints}`,
  };
}

export interface IdentitySpec {
  readonly peer?: string;
  readonly token?: VerifiedToken;
  readonly peerFailure?: IdentityFailure;
  readonly tokenFailure?: IdentityFailure;
}

export function who(spec: IdentitySpec = {}): Identity {
  return {
    peer: spec.peer === undefined ? undefined : peerOf(spec.peer),
    token: spec.token,
    peerFailure: spec.peerFailure,
    tokenFailure: spec.tokenFailure,
    tokenPresented: spec.token !== undefined || spec.tokenFailure !== undefined,
  };
}
