// Shape invariants of every CheckResponse, as Envoy reads it (product.md §3): a deny has a
// non-zero status, a denied_response with 401/403 and a JSON body naming a catalog reason; an
// allow has an ok_response, our headers set with OVERWRITE_IF_EXISTS_OR_ADD and every spoofed
// x-tollgate-* header removed. Works on our response objects and on decoded wire responses.

import { DENY_REASONS, isDenyReason } from '../../src/decision/reasons.js';
import type { WireCheckResponse, WireHeaderOption } from '../../src/ext-authz/respond.js';
import { readRequest } from './oracle-read.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METADATA_KEYS = ['caller', 'decision', 'decision_id', 'reason', 'rule', 'service'];

export interface Sent {
  /** Lower-case names of the headers the request carried. */
  readonly headerNames: readonly string[];
  /** The x-request-id (or http.id) the request carried, '' if none. */
  readonly requestId: string;
}

/** What the response must echo: header names, and x-request-id when decode could read the headers. */
export function sentOf(wire: unknown): Sent {
  const r = readRequest(wire);
  if (r === undefined) return { headerNames: [], requestId: '' };
  let chars = 0;
  for (const [k, vs] of r.headers) for (const v of vs) chars += k.length + v.length;
  // Past decode's limits (256 headers, 64 Ki chars) the headers, x-request-id included, are not read.
  const readable = r.headers.size <= 256 && chars <= 65536;
  const requestId = r.headers.get('x-request-id')?.join(',') ?? r.httpId;
  return { headerNames: [...r.headers.keys()], requestId: readable ? requestId : '' };
}

function headerMap(list: readonly WireHeaderOption[] | undefined): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const h of list ?? []) {
    const action = (h as { append_action?: unknown }).append_action;
    if (action !== 2 && action !== 'OVERWRITE_IF_EXISTS_OR_ADD') return `header ${h.header.key} without OVERWRITE_IF_EXISTS_OR_ADD`;
    if (out.has(h.header.key)) return `header ${h.header.key} set twice`;
    out.set(h.header.key, h.header.value);
  }
  return out;
}

function metadataOf(res: WireCheckResponse): Record<string, string> | string {
  const fields = res.dynamic_metadata?.fields ?? {};
  const keys = Object.keys(fields).sort();
  if (keys.join() !== METADATA_KEYS.join()) return `dynamic_metadata keys ${keys.join()}`;
  return Object.fromEntries(keys.map((k) => [k, fields[k]?.stringValue ?? '']));
}

function checkAllow(res: WireCheckResponse, sent: Sent, meta: Record<string, string>): string | undefined {
  const ok = res.ok_response;
  if (ok === undefined || res.denied_response !== undefined) return 'status OK without exactly an ok_response';
  const set = headerMap(ok.headers);
  if (typeof set === 'string') return set;
  const id = set.get('x-tollgate-decision-id');
  if (id === undefined || id !== meta.decision_id) return 'allow without a matching x-tollgate-decision-id';
  if (set.has('x-tollgate-rule') === set.has('x-tollgate-shadow-deny')) return 'allow needs exactly one of x-tollgate-rule, x-tollgate-shadow-deny';
  const removed = ok.headers_to_remove ?? [];
  for (const key of removed) if (set.has(key)) return `header ${key} both set and removed`;
  for (const name of sent.headerNames) {
    if (name.startsWith('x-tollgate-') && !set.has(name) && !removed.includes(name)) return `spoofed ${name} not removed`;
  }
  const verdict = set.has('x-tollgate-shadow-deny') ? 'shadow_deny' : 'allow';
  if (meta.decision !== verdict) return `metadata decision ${meta.decision} on an ${verdict}`;
  return undefined;
}

function checkDeny(res: WireCheckResponse, code: number, meta: Record<string, string>): string | undefined {
  const denied = res.denied_response;
  if (denied === undefined || res.ok_response !== undefined) return `status ${code} without exactly a denied_response`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(denied.body) as Record<string, unknown>;
  } catch {
    return 'deny body is not JSON';
  }
  const reason = String(body.reason);
  if (Object.keys(body).sort().join() !== 'decision_id,error,reason') return `deny body keys ${Object.keys(body).join()}`;
  if (!isDenyReason(reason)) return `reason ${reason} is not in the catalog`;
  const info = DENY_REASONS[reason];
  if (denied.status?.code !== info.http || code !== info.grpc) return `${reason} answered HTTP ${denied.status?.code} gRPC ${code}`;
  if (body.error !== (info.http === 401 ? 'unauthenticated' : 'forbidden')) return `error ${String(body.error)} for ${reason}`;
  const headers = headerMap(denied.headers);
  if (typeof headers === 'string') return headers;
  if (headers.get('content-type') !== 'application/json') return 'deny without content-type application/json';
  if (headers.get('x-tollgate-decision-id') !== body.decision_id || meta.decision_id !== body.decision_id) return 'decision id differs';
  if (headers.has('www-authenticate') !== (info.http === 401)) return 'www-authenticate on the wrong status';
  if (meta.decision !== 'deny' || meta.reason !== reason) return `metadata ${meta.decision}/${meta.reason} on deny ${reason}`;
  return undefined;
}

/** undefined when well formed, else the first defect. */
export function wellFormed(res: WireCheckResponse | undefined, sent: Sent): string | undefined {
  if (res === undefined || res === null || typeof res !== 'object') return 'no response';
  if (res.status === undefined || res.status === null) return 'status not set';
  const code = res.status.code ?? 0;
  const meta = metadataOf(res);
  if (typeof meta === 'string') return meta;
  if (SANE_ID.test(sent.requestId) && meta.decision_id !== sent.requestId) return 'a sane x-request-id was not used as the decision id';
  if (!SANE_ID.test(meta.decision_id ?? '')) return `decision id ${meta.decision_id} is not header-safe`;
  return code === 0 ? checkAllow(res, sent, meta) : checkDeny(res, code, meta);
}
