// Demo token issuer: an ES256 key pair, its public JWKS for tollgate, and one short-lived token
// for the checkout workload. node:crypto only (runs in a plain node image); not an identity
// provider: no endpoint, no refresh, nothing but the files below.
//
// usage: node make-tokens.mjs OUT_DIR
//   OUT_DIR/issuer/issuer-key.json       private signing key (kept across runs so the JWKS stays stable)
//   OUT_DIR/jwks/jwks.json               public key set that demo/policies/trust.yaml points at
//   OUT_DIR/token-checkout/orders-write.jwt   token: sub checkout, aud orders, scope orders.write
// environment: ISSUER (https://idp.demo.tollgate.local), TOKEN_TTL_SECONDS (600)

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ISSUER = process.env.ISSUER ?? 'https://idp.demo.tollgate.local';
const TTL_SECONDS = Number(process.env.TOKEN_TTL_SECONDS ?? '600');

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Writes through a temporary file so a reader never sees half a key set or token. */
function writeAtomic(path, text, mode) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** RFC 7638 thumbprint: a kid that names the key itself, so it changes only with the key. */
function thumbprint(jwk) {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return b64url(createHash('sha256').update(canonical).digest());
}

function loadOrCreateKey(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'issuer-key.json');
  if (existsSync(path)) {
    return createPrivateKey({ key: JSON.parse(readFileSync(path, 'utf8')), format: 'jwk' });
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeAtomic(path, `${JSON.stringify(privateKey.export({ format: 'jwk' }))}\n`, 0o600);
  console.log(`created issuer key ${path}`);
  return privateKey;
}

function publicJwk(privateKey) {
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const jwk = { kty, crv, x, y };
  return { ...jwk, kid: thumbprint(jwk), alg: 'ES256', use: 'sig' };
}

function signJwt(privateKey, kid, claims) {
  const header = { alg: 'ES256', typ: 'JWT', kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  // JWS wants the raw r||s pair, not the DER signature Node produces by default.
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node make-tokens.mjs OUT_DIR');
    process.exit(2);
  }
  if (!Number.isInteger(TTL_SECONDS) || TTL_SECONDS <= 0) {
    console.error(`TOKEN_TTL_SECONDS must be a positive integer, got ${process.env.TOKEN_TTL_SECONDS}`);
    process.exit(2);
  }
  const privateKey = loadOrCreateKey(join(out, 'issuer'));
  const jwk = publicJwk(privateKey);
  mkdirSync(join(out, 'jwks'), { recursive: true });
  writeAtomic(join(out, 'jwks', 'jwks.json'), `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, 0o644);

  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(privateKey, jwk.kid, {
    iss: ISSUER,
    sub: 'checkout',
    aud: 'orders',
    scope: 'orders.write',
    iat: now,
    nbf: now,
    exp: now + TTL_SECONDS,
    jti: randomUUID(),
  });
  mkdirSync(join(out, 'token-checkout'), { recursive: true });
  writeAtomic(join(out, 'token-checkout', 'orders-write.jwt'), `${token}\n`, 0o644);
  console.log(`jwks kid=${jwk.kid}; checkout token valid until ${new Date((now + TTL_SECONDS) * 1000).toISOString()}`);
}

main();
