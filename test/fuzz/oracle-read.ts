// The oracle's own reading of a CheckRequest (a plain object or what protobuf decoded): headers,
// credentials and every way an upstream might read the path. Written from the spec, deliberately
// sharing no code with src/, and permissive wherever that only makes the oracle harder to satisfy.

import { X509Certificate } from 'node:crypto';

export interface SeenRequest {
  readonly method: string;
  /** attributes.request.http.id */
  readonly httpId: string;
  /** The request target as sent (path and query). */
  readonly target: string;
  /** Lower-case name → every value sent under it. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly principal: string;
  readonly certificate: string;
  readonly destination: string;
  /** context_extensions["service"] ('' when absent). */
  readonly namedService: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' ? (v as Obj) : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function headerValues(http: Obj): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: unknown, value: string): void => {
    if (typeof key !== 'string' || key === '') return;
    const k = key.toLowerCase();
    const list = out.get(k);
    if (list === undefined) out.set(k, [value]);
    else list.push(value);
  };
  const map = obj(http.headers);
  if (map !== undefined) for (const k of Object.keys(map)) add(k, str(map[k]));
  const list = obj(http.header_map)?.headers;
  if (Array.isArray(list)) {
    for (const h of list) {
      const e = obj(h);
      if (e === undefined) continue;
      const raw = e.raw_value;
      add(e.key, raw instanceof Uint8Array && raw.length > 0 ? Buffer.from(raw).toString('latin1') : str(e.value));
    }
  }
  return out;
}

/** undefined when the wire has no attributes or no HTTP request: nothing may be allowed then. */
export function readRequest(wire: unknown): SeenRequest | undefined {
  const attrs = obj(obj(wire)?.attributes);
  const http = obj(obj(attrs?.request)?.http);
  if (attrs === undefined || http === undefined) return undefined;
  const source = obj(attrs.source);
  return {
    method: str(http.method),
    httpId: str(http.id),
    target: str(http.path),
    headers: headerValues(http),
    principal: str(source?.principal),
    certificate: str(source?.certificate),
    destination: str(obj(attrs.destination)?.principal),
    namedService: str(obj(attrs.context_extensions)?.service),
  };
}

// ---- Paths: every reading an upstream might apply ----

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const decodeUnreserved = (p: string): string =>
  p.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const c = String.fromCharCode(parseInt(h, 16));
    return UNRESERVED.test(c) ? c : m;
  });
const decodeAll = (p: string): string => p.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
const stripParams = (p: string): string => p.split('/').map((s) => (s.includes(';') ? s.slice(0, s.indexOf(';')) : s)).join('/');
const slashes = (p: string): string => p.replace(/\\/g, '/');
const mergeSlashes = (p: string): string => p.replace(/\/{2,}/g, '/');

/** RFC 3986 §5.2.4 remove_dot_segments. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segs = path.split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    const last = i === segs.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..' && out.length > 1) out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  }
  return out.join('/');
}

/** The path as a plain RFC-following server, a path-parameter-stripping one, a Windows one... reads it. */
export function pathReadings(target: string): string[] {
  const noQuery = target.split('?')[0] as string;
  const bases = new Set<string>();
  for (const raw of [noQuery, noQuery.split('#')[0] as string]) {
    for (const decoded of [decodeUnreserved(raw), decodeAll(raw), decodeAll(stripParams(raw))]) {
      for (const x of [decoded, stripParams(decoded), slashes(decoded), stripParams(slashes(decoded))]) {
        bases.add(removeDotSegments(x));
        bases.add(removeDotSegments(mergeSlashes(x)));
      }
    }
  }
  return [...bases];
}

/** What tollgate must refuse as ambiguous_path or malformed_request (never shadowed in dry-run). */
export function unusablePath(target: string): boolean {
  const p = target.split('?')[0] as string;
  if (!p.startsWith('/') || p.length > 8192) return true;
  if (/[\\#\u0000-\u001f\u007f]/.test(p) || /%(2f|5c|00)/i.test(p) || /%(?![0-9A-Fa-f]{2})/.test(p)) return true;
  const segs = decodeUnreserved(p).split('/').slice(1);
  return segs.some((s, i) => (s === '' && i < segs.length - 1) || ['.', '..'].includes(s.split(';')[0] as string));
}

const segmentRegexes = new Map<string, RegExp>();
function segmentRegex(p: string): RegExp {
  let re = segmentRegexes.get(p);
  if (re === undefined) {
    re = new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`, 's');
    segmentRegexes.set(p, re);
  }
  return re;
}

/** A `*` matches within a segment; a `**` segment matches zero or more whole segments. */
export function globMatch(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const ss = path.split('/');
  const memo = new Map<number, boolean>();
  const seg = (p: string, s: string): boolean => segmentRegex(p).test(s);
  const go = (i: number, j: number): boolean => {
    const key = i * 100_000 + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === ps.length) r = j === ss.length;
    else if (ps[i] === '**') r = go(i + 1, j) || (j < ss.length && go(i, j + 1));
    else r = j < ss.length && seg(ps[i] as string, ss[j] as string) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

// ---- Credentials ----

const SPIFFE = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)+)$/;

/** A SPIFFE ID of a workload in example.org, by the standard's rules. */
export function workloadId(id: string): boolean {
  const m = SPIFFE.exec(id);
  if (m === null || id.length > 2048 || m[1] !== 'example.org') return false;
  return !(m[2] as string).split('/').slice(1).some((s) => s === '.' || s === '..');
}

const certMemo = new Map<string, string | undefined>();

/** The one URI SAN of a usable leaf certificate, else undefined. */
export function certificateUri(urlEncoded: string, nowMs: number): string | undefined {
  if (certMemo.has(urlEncoded)) return certMemo.get(urlEncoded);
  let uri: string | undefined;
  try {
    const cert = new X509Certificate(decodeURIComponent(urlEncoded));
    // Exactly one URI SAN (DNS and other SANs may stand beside it: X.509-SVID §2).
    const uris = [...(cert.subjectAltName ?? '').matchAll(/(?:^|, )URI:([^,\s]*)/g)].map((m) => m[1] as string);
    const inTime = Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
    uri = !cert.ca && inTime && uris.length === 1 ? uris[0] : undefined;
  } catch {
    uri = undefined;
  }
  if (certMemo.size > 5000) certMemo.clear();
  certMemo.set(urlEncoded, uri);
  return uri;
}

/** Split at `sep` outside double quotes (backslash escapes inside); undefined if a quote is left open. */
function splitQuoted(s: string, sep: string): string[] | undefined {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (c === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  return quoted ? undefined : [...parts, cur];
}

/** The URI of the last XFCC element, when it has exactly one (Envoy writes visible ASCII only). */
export function xfccUri(header: string): string | undefined {
  if (/[^\t\x20-\x7e]/.test(header)) return undefined;
  const last = splitQuoted(header, ',')?.pop();
  const pairs = last === undefined ? undefined : splitQuoted(last, ';');
  if (pairs === undefined) return undefined;
  const uris = pairs.map((p) => p.trim()).filter((p) => /^uri=/i.test(p)).map((p) => p.slice(4));
  if (uris.length !== 1) return undefined;
  const v = uris[0] as string;
  return v.startsWith('"') ? (v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : undefined) : v;
}

/** Whether the query names access_token (a token in the URL always denies). */
export function tokenInQuery(target: string): boolean {
  const q = target.indexOf('?');
  if (q === -1) return false;
  return target.slice(q + 1).split('&').some((pair) => {
    const key = pair.split('=')[0] as string;
    try {
      return decodeURIComponent(key.replace(/\+/g, ' ')) === 'access_token';
    } catch {
      return key === 'access_token';
    }
  });
}
