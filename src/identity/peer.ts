// The mTLS peer's identity (product.md §2): from the peer certificate Envoy forwards, else from
// Envoy's source principal, else — only when the operator trusts it — from x-forwarded-client-cert.
// Returns a value (identity or failure), never throws; revocations are the decision core's job.

import type { Request } from '../decision/types.js';
import type { TrustConfig } from '../policy/types.js';
import { hasSpiffeScheme, type CertificateCache } from './certificate.js';
import { peerFailure, type PeerFailureDetail } from './failures.js';
import { parseSpiffeId } from './spiffe.js';
import type { IdentityFailure, PeerIdentity, PeerSource } from './types.js';
import { MAX_XFCC_CHARS, parseXfcc, valuesOf } from './xfcc.js';

export const XFCC_HEADER = 'x-forwarded-client-cert';

export interface PeerResult {
  readonly peer: PeerIdentity | undefined;
  readonly failure: IdentityFailure | undefined;
}

export const NO_PEER: PeerResult = Object.freeze({ peer: undefined, failure: undefined });

function fails(reason: 'invalid_peer_identity' | 'invalid_spiffe_id' | 'untrusted_domain', detail: PeerFailureDetail): PeerResult {
  return { peer: undefined, failure: peerFailure(reason, detail) };
}

/** A SPIFFE ID that is to name a workload: well formed, with a path, in a configured trust domain. */
export function workloadIdentity(id: string, source: PeerSource, trust: TrustConfig): PeerResult {
  const parsed = parseSpiffeId(id);
  if (!parsed.ok) return fails('invalid_spiffe_id', parsed.error as PeerFailureDetail);
  // A bare `spiffe://domain` names a trust domain, not a caller.
  if (parsed.id.path === '') return fails('invalid_spiffe_id', 'no_path');
  if (!trust.trustDomains.has(parsed.id.trustDomain)) return fails('untrusted_domain', 'not_in_trust_domains');
  const peer: PeerIdentity = Object.freeze({ spiffeId: parsed.id.value, trustDomain: parsed.id.trustDomain, path: parsed.id.path, source });
  return { peer, failure: undefined };
}

/** Most distinct IDs remembered per trust configuration before starting afresh. */
export const WORKLOAD_MEMO_MAX = 10_000;
const memos = new WeakMap<TrustConfig, Map<PeerSource, Map<string, PeerResult>>>();

/**
 * workloadIdentity, remembered per trust configuration: its answer depends only on the ID, the
 * source and the trust config, and parsing the same SPIFFE ID on every request was a measurable
 * share of a check. A new trust configuration (a reload) starts with an empty memo.
 */
function rememberedIdentity(id: string, source: PeerSource, trust: TrustConfig): PeerResult {
  let bySource = memos.get(trust);
  if (bySource === undefined) memos.set(trust, (bySource = new Map()));
  let byId = bySource.get(source);
  if (byId === undefined) bySource.set(source, (byId = new Map()));
  let result = byId.get(id);
  if (result === undefined) {
    if (byId.size >= WORKLOAD_MEMO_MAX) byId.clear();
    result = Object.freeze(workloadIdentity(id, source, trust));
    byId.set(id, result);
  }
  return result;
}

/** The certificate decides; a principal beside it must say the same thing. */
function fromCertificate(request: Request, trust: TrustConfig, certs: CertificateCache, nowMs: number): PeerResult {
  const cert = certs.get(request.sourceCertificate);
  if (!cert.ok) return fails('invalid_peer_identity', cert.detail);
  if (nowMs < cert.notBefore) return fails('invalid_peer_identity', 'cert_not_yet_valid');
  if (nowMs > cert.notAfter) return fails('invalid_peer_identity', 'cert_expired');
  const principal = request.sourcePrincipal;
  if (principal !== '' && principal !== cert.uri) return fails('invalid_peer_identity', 'principal_mismatch');
  return rememberedIdentity(cert.uri, 'certificate', trust);
}

/** The last element is the one the nearest (sanitizing) Envoy added for the connection it accepted. */
function fromXfcc(header: string, trust: TrustConfig): PeerResult {
  if (header.length > MAX_XFCC_CHARS) return fails('invalid_peer_identity', 'xfcc_too_large');
  const parsed = parseXfcc(header);
  if (!parsed.ok) return fails('invalid_peer_identity', 'xfcc_malformed');
  const last = parsed.elements[parsed.elements.length - 1] ?? [];
  const uris = valuesOf(last, 'URI');
  if (uris.length === 0) return fails('invalid_peer_identity', 'xfcc_no_uri');
  if (uris.length > 1) return fails('invalid_peer_identity', 'xfcc_multiple_uris');
  const uri = uris[0] as string;
  if (!hasSpiffeScheme(uri)) return fails('invalid_peer_identity', 'uri_san_not_spiffe');
  return rememberedIdentity(uri, 'xfcc', trust);
}

/** The peer identity of a request, the first present source deciding (certificate, principal, XFCC). */
export function identifyPeer(request: Request, trust: TrustConfig, certs: CertificateCache, nowMs: number): PeerResult {
  if (request.sourceCertificate !== '') return fromCertificate(request, trust, certs, nowMs);
  if (request.sourcePrincipal !== '') return rememberedIdentity(request.sourcePrincipal, 'principal', trust);
  if (trust.trustXfcc) {
    const header = request.headers.get(XFCC_HEADER);
    if (header !== undefined) return fromXfcc(header, trust);
  }
  return NO_PEER;
}
