// The demo's init steps, run for real into a temp dir: demo/init/make-certs.sh (openssl) and
// demo/init/make-tokens.mjs. Checks the SVIDs as a SPIFFE-aware verifier would, the token as
// tollgate would, and that every file a container reads is one an init step writes.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Compose, loadCompose, locate, mounts, readYaml, REPO, service, writers } from './compose.js';
import { valuesOf } from './walk.js';

const compose = loadCompose();
const TD = 'demo.tollgate.local';
const WORKLOADS = ['orders', 'checkout', 'intruder'] as const;
let out = '';

const certs = (): string => execFileSync('sh', [path.join(REPO, 'demo/init/make-certs.sh'), out], { encoding: 'utf8' });
const tokens = (): string => execFileSync(process.execPath, [path.join(REPO, 'demo/init/make-tokens.mjs'), out], { encoding: 'utf8' });
const pem = (rel: string): X509Certificate => new X509Certificate(readFileSync(path.join(out, rel)));

beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'tollgate-demo-init-'));
  certs();
  tokens();
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('demo/init/make-certs.sh', () => {
  it.each(WORKLOADS)('gives %s an SVID with exactly its SPIFFE ID, chaining to the demo CA, matching its key', (name) => {
    const svid = pem(`${name}/svid.pem`);
    const ca = pem('ca/ca.pem');
    expect(svid.subjectAltName).toBe(`URI:spiffe://${TD}/ns/demo/sa/${name}`);
    expect(svid.ca).toBe(false);
    expect(svid.checkIssued(ca)).toBe(true);
    expect(svid.verify(ca.publicKey)).toBe(true);
    expect(svid.checkPrivateKey(createPrivateKey(readFileSync(path.join(out, name, 'key.pem'))))).toBe(true);
    // Both ends of the mesh use the same SVIDs: a client's and a server's TLS roles.
    expect(svid.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(readFileSync(path.join(out, name, 'bundle.pem'), 'utf8')).toBe(readFileSync(path.join(out, 'ca/ca.pem'), 'utf8'));
    expect(execFileSync('openssl', ['verify', '-CAfile', path.join(out, name, 'bundle.pem'), path.join(out, name, 'svid.pem')], { encoding: 'utf8' })).toMatch(/: OK\n$/);
  });

  it('makes a CA named by the trust domain, and keeps private keys unreadable by others', () => {
    const ca = pem('ca/ca.pem');
    expect(ca.ca).toBe(true);
    expect(ca.subjectAltName).toBe(`URI:spiffe://${TD}`);
    for (const key of ['ca/ca.key', ...WORKLOADS.map((w) => `${w}/key.pem`)]) {
      expect(statSync(path.join(out, key)).mode & 0o077, key).toBe(0);
    }
  });

  it('keeps a CA and SVIDs that are still valid when run again', () => {
    const before = ['ca/ca.pem', ...WORKLOADS.map((w) => `${w}/svid.pem`)].map((f) => pem(f).fingerprint256);
    expect(certs()).not.toMatch(/issued/);
    expect(['ca/ca.pem', ...WORKLOADS.map((w) => `${w}/svid.pem`)].map((f) => pem(f).fingerprint256)).toEqual(before);
  });

  it('reissues SVIDs that no longer chain to the CA', () => {
    const old = pem('checkout/svid.pem').fingerprint256;
    rmSync(path.join(out, 'ca'), { recursive: true });
    expect(certs()).toMatch(/issued spiffe:\/\/demo\.tollgate\.local\/ns\/demo\/sa\/checkout/);
    expect(pem('checkout/svid.pem').fingerprint256).not.toBe(old);
    expect(pem('checkout/svid.pem').checkIssued(pem('ca/ca.pem'))).toBe(true);
  });
});

describe('demo/init/make-tokens.mjs', () => {
  it('mints a checkout token that tollgate accepts under the demo trust settings', async () => {
    const trust = readYaml<{ issuers: Record<string, { issuer: string; algorithms: string[]; maxLifetime: string }> }>('demo/policies/trust.yaml');
    const issuer = trust.issuers['demo-idp'];
    const orders = readYaml<{ audience: string }>('demo/policies/orders.yaml');
    const token = readFileSync(path.join(out, 'token-checkout/orders-write.jwt'), 'utf8').trim();
    const jwks = JSON.parse(readFileSync(path.join(out, 'jwks/jwks.json'), 'utf8')) as { keys: Record<string, unknown>[] };
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer: issuer?.issuer,
      audience: orders.audience,
      algorithms: issuer?.algorithms,
      requiredClaims: ['exp', 'iat', 'jti'],
    });
    expect(payload).toMatchObject({ sub: 'checkout', scope: 'orders.write' });
    expect(Number(payload.exp) - Number(payload.iat)).toBeLessThanOrEqual(minutes(issuer?.maxLifetime) * 60);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'JWT', kid: jwks.keys[0]?.['kid'] });
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
  });

  it('keeps its signing key across runs, so the key set tollgate holds stays valid', () => {
    const before = readFileSync(path.join(out, 'jwks/jwks.json'), 'utf8');
    tokens();
    expect(readFileSync(path.join(out, 'jwks/jwks.json'), 'utf8')).toBe(before);
  });
});

describe('files the containers read', () => {
  /** Maps a path inside `name` to the file an init step wrote under `out`, or the repo file. */
  function hostFile(c: Compose, name: string, containerPath: string): string {
    const where = locate(c, name, containerPath);
    if (!where) throw new Error(`${name}: nothing is mounted at ${containerPath}`);
    if (where.kind === 'bind') return where.hostPath;
    const producers = writers(c, where.volume);
    expect(producers.map((p) => p.service), `${where.volume} is written by one init step`).toHaveLength(1);
    const producer = producers[0]!;
    const args = service(c, producer.service).command ?? [];
    expect(args, `${producer.service} writes under /out`).toEqual(['/out']);
    return path.join(out, path.relative('/out', producer.target), where.rest);
  }

  it('every certificate, key and CA bundle an Envoy reads is written by the certs step', () => {
    const readers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('envoyproxy/envoy:'));
    expect(readers.length).toBe(3);
    for (const [name, svc] of readers) {
      const config = mounts(svc).find((m) => m.target === '/etc/envoy/envoy.yaml');
      const files = valuesOf(readYaml(config?.source ?? ''), 'filename').map(String);
      expect(files.length, name).toBe(3);
      for (const file of files) expect(existsSync(hostFile(compose, name, file)), `${name}: ${file}`).toBe(true);
    }
  });

  it('the JWKS tollgate reads and the token checkout sends are written by the tokens step', () => {
    const policyDir = mounts(service(compose, 'tollgate')).find((m) => m.target === '/etc/tollgate/policies');
    expect(policyDir?.source).toBe('./demo/policies');
    const jwksFile = valuesOf(readYaml('demo/policies/trust.yaml'), 'file').map(String);
    expect(jwksFile).toEqual(['/var/run/tollgate/jwks/jwks.json']);
    expect(existsSync(hostFile(compose, 'tollgate', jwksFile[0]!))).toBe(true);
    const tokenFile = service(compose, 'checkout').environment?.['TOKEN_FILE'] ?? '';
    expect(existsSync(hostFile(compose, 'checkout', tokenFile))).toBe(true);
  });

  it('private keys live in volumes that only their init step and their own workload mount', () => {
    const mountedBy = (volume: string): string[] =>
      Object.entries(compose.services).filter(([, s]) => mounts(s).some((m) => m.source === volume)).map(([n]) => n).sort();
    expect(mountedBy('ca')).toEqual(['certs']);
    expect(mountedBy('issuer')).toEqual(['tokens']);
    for (const w of WORKLOADS) expect(mountedBy(`svid-${w}`)).toEqual(['certs', `${w}-sidecar`]);
  });
});

function minutes(duration: string | undefined): number {
  const match = /^(\d+)m$/.exec(duration ?? '');
  if (!match) throw new Error(`expected a duration in minutes, got ${duration}`);
  return Number(match[1]);
}
