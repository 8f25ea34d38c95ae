// Compiled `allow`/`deny` entries and the check of one entry against a verified identity:
// `spiffe` (mTLS peer), `token` (issuer, subject, scopes, claims, samePeer), both = AND. The
// check returns a constant code and allocates nothing; the readable explanation is built only
// when a trace asks for it. Verifying credentials is src/identity's job, not this module's.

import type { Identity } from '../identity/types.js';
import { globHolds } from './patterns.js';
import type { Glob } from './patterns.js';
import { spiffeMatches } from './spiffe-pattern.js';
import type { SpiffePattern } from './spiffe-pattern.js';

export type ClaimValue = string | number | boolean;

export interface CompiledTokenEntry {
  /** Issuer name (key of trust.yaml `issuers`). */
  readonly issuer: string;
  /** For a JWT-SVID issuer the subject is a SPIFFE pattern, else a `*` glob. */
  readonly subject: { readonly spiffe: SpiffePattern } | { readonly glob: Glob } | undefined;
  readonly scopes: readonly string[];
  readonly claims: readonly (readonly [string, readonly ClaimValue[]])[];
  readonly samePeer: boolean;
}

export interface CompiledEntry {
  /** Canonical one-line form, e.g. `spiffe=spiffe://example.org/ns/ops/* token=corp-idp scopes=a,b`. */
  readonly text: string;
  readonly spiffe: SpiffePattern | undefined;
  readonly token: CompiledTokenEntry | undefined;
}

export type EntryCheck =
  | 'ok'
  | 'no_peer'
  | 'spiffe_mismatch'
  | 'no_token'
  | 'issuer_mismatch'
  | 'subject_mismatch'
  | 'scope_missing'
  | 'claim_mismatch'
  | 'not_same_peer';

export function checkEntry(entry: CompiledEntry, identity: Identity): EntryCheck {
  if (entry.spiffe !== undefined) {
    const peer = identity.peer;
    if (peer === undefined) return 'no_peer';
    if (!spiffeMatches(entry.spiffe, peer.trustDomain, peer.path)) return 'spiffe_mismatch';
  }
  return entry.token === undefined ? 'ok' : checkToken(entry.token, identity);
}

function checkToken(want: CompiledTokenEntry, identity: Identity): EntryCheck {
  const token = identity.token;
  if (token === undefined) return 'no_token';
  if (token.issuer !== want.issuer) return 'issuer_mismatch';
  if (want.subject !== undefined && !subjectHolds(want, identity)) return 'subject_mismatch';
  for (const scope of want.scopes) if (!token.scopes.includes(scope)) return 'scope_missing';
  for (const [key, values] of want.claims) if (!claimHolds(token.claims[key], values)) return 'claim_mismatch';
  if (want.samePeer && (identity.peer === undefined || identity.peer.spiffeId !== token.sub)) return 'not_same_peer';
  return 'ok';
}

function subjectHolds(want: CompiledTokenEntry, identity: Identity): boolean {
  const subject = want.subject;
  const token = identity.token;
  if (subject === undefined || token === undefined) return subject === undefined;
  if ('glob' in subject) return globHolds(subject.glob, token.sub);
  // A SPIFFE pattern only ever matches a subject the identity layer parsed as a SPIFFE ID.
  const svid = token.svid;
  return svid !== undefined && spiffeMatches(subject.spiffe, svid.trustDomain, svid.path);
}

/** A claim holds when it equals one listed value, or (array claim) contains one. */
export function claimHolds(claim: unknown, values: readonly ClaimValue[]): boolean {
  if (Array.isArray(claim)) return claim.some((c) => values.includes(c as ClaimValue));
  return (typeof claim === 'string' || typeof claim === 'number' || typeof claim === 'boolean') && values.includes(claim);
}

/** Why an entry did not hold, in words (trace only). */
export function explainCheck(entry: CompiledEntry, identity: Identity, code: EntryCheck): string {
  const token = identity.token;
  const want = entry.token;
  switch (code) {
    case 'ok':
      return 'holds';
    case 'no_peer':
      return 'no mTLS peer identity';
    case 'spiffe_mismatch':
      return `${identity.peer?.spiffeId ?? '?'} does not match ${entry.spiffe?.text ?? '?'}`;
    case 'no_token':
      return 'no verified token';
    case 'issuer_mismatch':
      return `token issuer ${token?.issuer ?? '?'} is not ${want?.issuer ?? '?'}`;
    case 'subject_mismatch':
      return `token subject ${token?.sub ?? '?'} does not match ${subjectText(want)}`;
    case 'scope_missing':
      return `scope ${want?.scopes.find((s) => !token?.scopes.includes(s)) ?? '?'} missing`;
    case 'claim_mismatch':
      return claimText(want, token?.claims);
    case 'not_same_peer':
      return `samePeer: token subject ${token?.sub ?? '?'} is not the mTLS peer ${identity.peer?.spiffeId ?? '(none)'}`;
  }
}

function subjectText(want: CompiledTokenEntry | undefined): string {
  const s = want?.subject;
  if (s === undefined) return '?';
  return 'glob' in s ? s.glob.text : s.spiffe.text;
}

function claimText(want: CompiledTokenEntry | undefined, claims: Readonly<Record<string, unknown>> | undefined): string {
  const failed = want?.claims.find(([key, values]) => !claimHolds(claims?.[key], values));
  if (failed === undefined) return 'claim mismatch';
  const [key, values] = failed;
  const actual = claims?.[key];
  const json = actual === undefined ? 'absent' : JSON.stringify(actual);
  const shown = json.length > 64 ? `${json.slice(0, 61)}...` : json;
  return `claim ${key} is ${shown}, not one of ${values.join(', ')}`;
}
