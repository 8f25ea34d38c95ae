// The peer certificate Envoy forwards (URL-encoded PEM) → its single SPIFFE URI SAN and validity
// period, cached by the certificate string (parsing per request is far too slow). It checks no
// chain (Envoy did), no clock (peer.ts does, per request) and no trust domain.

import { X509Certificate } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { readCertificateFacts } from './der.js';
import type { PeerFailureDetail } from './failures.js';

/** Far above any real SVID (a few KB URL-encoded); refuses pathological inputs before decoding. */
export const MAX_CERTIFICATE_CHARS = 64 * 1024;
export const DEFAULT_CERT_CACHE_SIZE = 1000;

export type CertificateParse =
  | {
      readonly ok: true;
      /** The one URI SAN; its scheme is `spiffe` (any case), it is not yet checked as a SPIFFE ID. */
      readonly uri: string;
      readonly notBefore: number;
      readonly notAfter: number;
    }
  | { readonly ok: false; readonly detail: PeerFailureDetail };

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';

function failed(detail: PeerFailureDetail): CertificateParse {
  return Object.freeze({ ok: false, detail });
}

function decodePem(urlEncoded: string): string | undefined {
  try {
    const pem = decodeURIComponent(urlEncoded);
    return pem.includes(PEM_BEGIN) ? pem : undefined;
  } catch {
    return undefined;
  }
}

/** URI schemes compare case-insensitively (RFC 3986), so `SPIFFE://…` is a (malformed) SPIFFE ID. */
export function hasSpiffeScheme(uri: string): boolean {
  return uri.length > 9 && uri.slice(0, 9).toLowerCase() === 'spiffe://';
}

/** Parse without caching. Never throws. */
export function parsePeerCertificate(urlEncodedPem: string): CertificateParse {
  if (urlEncodedPem.length > MAX_CERTIFICATE_CHARS) return failed('cert_too_large');
  const pem = decodePem(urlEncodedPem);
  if (pem === undefined) return failed('cert_encoding');
  let cert: X509Certificate;
  try {
    // Only the first certificate is the peer's leaf; Envoy sends exactly that one.
    cert = new X509Certificate(pem);
  } catch {
    return failed('cert_unparseable');
  }
  const facts = readCertificateFacts(cert.raw);
  if (facts === undefined || !facts.sanUnique) return failed('san_malformed');
  // X.509-SVID §4.1: a leaf must not be a CA; a CA certificate presented as a peer is a misuse.
  if (cert.ca) return failed('ca_certificate');
  if (facts.uris.length === 0) return failed('no_uri_san');
  if (facts.uris.length > 1) return failed('multiple_uri_sans');
  const uri = facts.uris[0] as string;
  if (!hasSpiffeScheme(uri)) return failed('uri_san_not_spiffe');
  return Object.freeze({ ok: true, uri, notBefore: facts.notBefore, notAfter: facts.notAfter });
}

export interface CertificateCache {
  /** The parse of this certificate string, from the cache when seen before. */
  get(urlEncodedPem: string): CertificateParse;
  readonly size: number;
}

/**
 * Map keys are the certificate's last characters (its signature: in practice unique), not the
 * whole string, whose hash V8 would compute afresh for every request's new string copy — that
 * alone cost more than the rest of the check. A hit still compares the whole string, so a shared
 * tail can only cost a re-parse, never a wrong identity.
 */
export const CACHE_KEY_CHARS = 96;

interface Entry {
  readonly certificate: string;
  readonly parse: CertificateParse;
}

/** Results depend only on the string, so failures are cached too (bounded like the rest). */
export function createCertificateCache(max: number = DEFAULT_CERT_CACHE_SIZE): CertificateCache {
  const entries = Math.max(1, max);
  // Bounded by bytes too: entries hold whole certificates (typically 1–3 KB URL-encoded).
  const cache = new LRUCache<string, Entry>({
    max: entries,
    maxSize: entries * 8192,
    maxEntrySize: MAX_CERTIFICATE_CHARS,
    sizeCalculation: (entry) => Math.max(1, entry.certificate.length),
  });
  return {
    get(urlEncodedPem: string): CertificateParse {
      const key = urlEncodedPem.length <= CACHE_KEY_CHARS ? urlEncodedPem : urlEncodedPem.slice(-CACHE_KEY_CHARS);
      const hit = cache.get(key);
      if (hit !== undefined && hit.certificate === urlEncodedPem) return hit.parse;
      const parse = parsePeerCertificate(urlEncodedPem);
      cache.set(key, { certificate: urlEncodedPem, parse });
      return parse;
    },
    get size(): number {
      return cache.size;
    },
  };
}
