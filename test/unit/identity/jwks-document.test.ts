// Key set documents: which keys survive (public signature keys; jwt-svid keys of SPIFFE bundles
// for JWT-SVID issuers only), which documents are refused, and import of every key at load.

import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEYS, parseKeySet, warmKeySet } from '../../../src/identity/jwks-document.js';
import { generateKey, jwks, spiffeBundle, type TestKey } from '../../helpers/tokens.js';

let a: TestKey;
let b: TestKey;
beforeAll(async () => {
  a = await generateKey('ES256', { kid: 'a' });
  b = await generateKey('RS256', { kid: 'b' });
});

function kidsOf(text: string, svid: boolean): string[] {
  const parsed = parseKeySet(text, svid);
  if (!parsed.ok) throw new Error(parsed.error);
  return [...parsed.keySet.kids].sort();
}

describe('parseKeySet', () => {
  it('keeps public signature keys with use sig or no use', () => {
    const doc = { keys: [{ ...a.jwk, use: 'sig' }, b.jwk] };
    expect(kidsOf(JSON.stringify(doc), false)).toEqual(['a', 'b']);
  });

  it('drops encryption keys, symmetric keys and private keys', () => {
    const doc = { keys: [{ ...a.jwk, use: 'enc' }, { kty: 'oct', k: 'c2VjcmV0', kid: 's' }, { ...b.jwk, d: 'AAAA' }] };
    const parsed = parseKeySet(JSON.stringify(doc), false);
    expect(parsed.ok && { size: parsed.keySet.size, skipped: parsed.skipped }).toEqual({ size: 0, skipped: 3 });
  });

  it('keeps only the jwt-svid keys of a SPIFFE bundle for a JWT-SVID issuer', () => {
    expect(kidsOf(JSON.stringify(spiffeBundle([a, b])), true)).toEqual(['a', 'b']);
    const parsed = parseKeySet(JSON.stringify(spiffeBundle([a])), true);
    expect(parsed.ok && parsed.skipped).toBe(1);
  });

  it('ignores jwt-svid keys for an ordinary issuer', () => {
    expect(kidsOf(JSON.stringify(spiffeBundle([a])), false)).toEqual([]);
  });

  it.each([
    ['not JSON', '<html>'],
    ['no keys array', '{"kty":"EC"}'],
    ['keys not an array', '{"keys":{}}'],
    ['a JSON array', '[]'],
    ['too many keys', JSON.stringify({ keys: Array.from({ length: MAX_KEYS + 1 }, () => ({ kty: 'EC' })) })],
  ])('refuses %s', (_name, text) => {
    expect(parseKeySet(text, false).ok).toBe(false);
  });

  it('imports every key at load and counts the unusable ones', async () => {
    const broken = { ...a.jwk, kid: 'broken', x: 'AAAA' };
    const parsed = parseKeySet(JSON.stringify({ keys: [a.jwk, b.jwk, broken] }), false);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(await warmKeySet(parsed.keySet, parsed.keys)).toBe(1);
  });

  it('accepts an empty key set (an issuer may withdraw every key)', () => {
    const parsed = parseKeySet(JSON.stringify(jwks([])), false);
    expect(parsed.ok && parsed.keySet.size).toBe(0);
  });
});
