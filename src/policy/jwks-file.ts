// Reads the JWKS (or SPIFFE bundle) file of an issuer at load time, so that a missing or unusable
// key file fails the load with a position instead of failing every token later. It does not
// import keys or verify anything; src/identity/jwks.ts does.

import { readFile } from 'node:fs/promises';
import { isObj, list } from './raw.js';
import type { Severity } from './problems.js';

export type JwksKey = Readonly<Record<string, unknown>>;

export interface JwksFileResult {
  readonly keys: readonly JwksKey[];
  readonly findings: readonly { readonly severity: Severity; readonly message: string }[];
}

export async function readJwksFile(absPath: string, shownAs: string): Promise<JwksFileResult> {
  let text: string;
  try {
    text = await readFile(absPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const message = code === 'ENOENT' ? `jwks file ${shownAs} not found (${absPath})` : `jwks file ${shownAs} cannot be read (${code})`;
    return { keys: [], findings: [{ severity: 'error', message }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { keys: [], findings: [{ severity: 'error', message: `jwks file ${shownAs} is not valid JSON: ${(err as Error).message}` }] };
  }
  if (!isObj(doc) || !Array.isArray(doc['keys'])) {
    return { keys: [], findings: [{ severity: 'error', message: `jwks file ${shownAs} has no "keys" array` }] };
  }
  return checkKeys(list(doc['keys']).filter(isObj), shownAs);
}

function checkKeys(keys: readonly JwksKey[], shownAs: string): JwksFileResult {
  const findings: { severity: Severity; message: string }[] = [];
  if (keys.length === 0) findings.push({ severity: 'warning', message: `jwks file ${shownAs} holds no keys: every token of this issuer will be refused` });
  keys.forEach((key, i) => {
    if (key['kty'] === 'oct') {
      findings.push({ severity: 'error', message: `jwks file ${shownAs}: key ${i} is a shared secret (kty oct), which is refused` });
    }
    if (key['d'] !== undefined) {
      findings.push({ severity: 'warning', message: `jwks file ${shownAs}: key ${i} holds private key material ("d"); publish public keys only` });
    }
  });
  return { keys: Object.freeze(keys.map(publicPart)), findings };
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** The key without private members: the snapshot never carries secrets, even misplaced ones. */
function publicPart(key: JwksKey): JwksKey {
  return Object.freeze(Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))));
}
