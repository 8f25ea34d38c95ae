// The allow response of a cached decision, encoded once: per decision, caller and removed headers
// the bytes around the decision id are kept, and a request writes only its id and the lengths that
// enclose it. The same bytes as encodeCheckResponse(allowResponse(…)), which a property test holds;
// anything it does not expect (a deny, a non-ASCII id) is left to that generic path.

import type { Decision, Request } from '../decision/types.js';
import type { Identity } from '../identity/types.js';
import { Backwards, bound, option, structFields } from './encode.js';
import { authorizationService } from './proto.js';
import { HEADER_DECISION_ID, allowRemovals, allowResponse, callerOf, type WireCheckResponse, type WireHeaderOption } from './respond.js';

/** A CheckResponse already in protobuf bytes; serializing it is passing it on. */
export class EncodedCheckResponse {
  constructor(readonly bytes: Buffer) {}
}

/** What the Check handler answers: a response to encode, or one already encoded. */
export type CheckAnswer = WireCheckResponse | EncodedCheckResponse;

/** The object form of an answer, for those who read it rather than send it (explain, tests). */
export function wireResponse(answer: CheckAnswer): WireCheckResponse {
  if (!(answer instanceof EncodedCheckResponse)) return answer;
  const r = authorizationService().Check?.responseDeserialize(answer.bytes) as WireCheckResponse;
  // proto3 does not tell an empty list from an absent one; the object form always has both lists.
  if (r.ok_response !== undefined) r.ok_response = { headers: r.ok_response.headers ?? [], headers_to_remove: r.ok_response.headers_to_remove ?? [] };
  return r;
}

const ID_FIELD = 'decision_id';
const PLACEHOLDER = '';
const ID_HEADER = Buffer.from(HEADER_DECISION_ID, 'latin1');
const ID_ENTRY = Buffer.from(ID_FIELD, 'latin1');
// Tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_1_LEN = 0x0a;
const TAG_2_LEN = 0x12;
const TAG_3_LEN = 0x1a;
const TAG_4_LEN = 0x22;
const TAG_3_VARINT = 0x18;

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

function putVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** A field's tag and the length of its content, which follows. */
function putTagged(buf: Buffer, at: number, tag: number, size: number): number {
  buf[at] = tag;
  return putVarint(buf, at + 1, size);
}

/** A length-delimited field of `size` content bytes, with its tag and length. */
const field = (size: number): number => 1 + varintSize(size) + size;

/** `s` as bytes when every character is ASCII (each one byte), else -1. */
function putAscii(buf: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[at + i] = c;
  }
  return at + s.length;
}

class AllowTemplate {
  constructor(
    readonly caller: string,
    readonly removes: readonly string[],
    private readonly appendAction: number,
    /** The status field, whole. */
    private readonly status: Buffer,
    /** ok_response's content after its first header (the decision id). */
    private readonly okRest: Buffer,
    /** dynamic_metadata's content after its first field (decision_id). */
    private readonly metadataRest: Buffer,
  ) {}

  /** The parts of an allow response made with the placeholder id, or undefined if it is not of the expected shape. */
  static of(r: WireCheckResponse, caller: string, removes: readonly string[]): AllowTemplate | undefined {
    const ok = r.ok_response;
    const first = ok?.headers[0];
    const fields = r.dynamic_metadata.fields;
    const action = first?.append_action;
    if (ok === undefined || r.denied_response !== undefined || r.status.code !== 0 || r.status.message !== undefined) return undefined;
    if (first?.header.key !== HEADER_DECISION_ID || first.header.value !== PLACEHOLDER) return undefined;
    if (action === undefined || !(action >= 0 && action < 0x80) || Object.keys(fields)[0] !== ID_FIELD) return undefined;
    if (fields[ID_FIELD]?.stringValue !== PLACEHOLDER) return undefined;
    const w = new Backwards(bound(r));
    const end = w.pos;
    structFields(w, r.dynamic_metadata, 1);
    const metadata = w.pos;
    for (let i = ok.headers_to_remove.length - 1; i >= 0; i--) w.string(5, ok.headers_to_remove[i] as string);
    for (let i = ok.headers.length - 1; i >= 1; i--) option(w, 2, ok.headers[i] as WireHeaderOption);
    const okRest = w.pos;
    w.uint(1, r.status.code);
    w.close(1, okRest);
    // Unpooled: a kept slice of Buffer's shared pool would keep the whole pool alive.
    const parts = Buffer.allocUnsafeSlow(end - w.pos);
    w.buf.copy(parts, 0, w.pos, end);
    const okAt = okRest - w.pos;
    const metadataAt = metadata - w.pos;
    return new AllowTemplate(caller, removes, action, parts.subarray(0, okAt), parts.subarray(okAt, metadataAt), parts.subarray(metadataAt));
  }

  /** The response for this decision id, or undefined if the id is not ASCII. */
  splice(id: string): Buffer | undefined {
    const n = id.length;
    // ok_response: HeaderValueOption { header: HeaderValue { key, value: id }, append_action }, then the rest.
    const headerSize = field(ID_HEADER.length) + field(n);
    const optionSize = field(headerSize) + 2; // + append_action: its tag and a one-byte value
    const okSize = field(optionSize) + this.okRest.length;
    // dynamic_metadata: entry { key: "decision_id", value: Value { string_value: id } }, then the rest.
    const valueSize = field(n);
    const entrySize = field(ID_ENTRY.length) + field(valueSize);
    const metadataSize = field(entrySize) + this.metadataRest.length;
    const buf = Buffer.allocUnsafe(this.status.length + field(okSize) + field(metadataSize));
    // set() and copyWithin() rather than Buffer's copy(), which makes a view of its source per call.
    buf.set(this.status, 0);
    let at = putTagged(buf, this.status.length, TAG_3_LEN, okSize);
    at = putTagged(buf, at, TAG_2_LEN, optionSize);
    at = putTagged(buf, at, TAG_1_LEN, headerSize);
    at = putTagged(buf, at, TAG_1_LEN, ID_HEADER.length);
    buf.set(ID_HEADER, at);
    at = putTagged(buf, at + ID_HEADER.length, TAG_2_LEN, n);
    const idAt = at;
    at = putAscii(buf, at, id);
    if (at < 0) return undefined;
    buf[at++] = TAG_3_VARINT;
    buf[at++] = this.appendAction;
    buf.set(this.okRest, at);
    at = putTagged(buf, at + this.okRest.length, TAG_4_LEN, metadataSize);
    at = putTagged(buf, at, TAG_1_LEN, entrySize);
    at = putTagged(buf, at, TAG_1_LEN, ID_ENTRY.length);
    buf.set(ID_ENTRY, at);
    at = putTagged(buf, at + ID_ENTRY.length, TAG_2_LEN, valueSize);
    at = putTagged(buf, at, TAG_3_LEN, n);
    buf.copyWithin(at, idAt, idAt + n);
    buf.set(this.metadataRest, at + n);
    return buf;
  }
}

const templates = new WeakMap<Decision, AllowTemplate>();

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The allow (or shadow-deny) response of a decision that will be seen again (a decision-cache
 * hit), from its template; undefined for a deny or an id that is not ASCII.
 */
export function encodedAllow(decisionId: string, decision: Decision, request: Request | undefined, identity: Identity | undefined): EncodedCheckResponse | undefined {
  if (decision.verdict === 'deny') return undefined;
  const caller = callerOf(identity);
  const removes = allowRemovals(decision, request, caller);
  let template = templates.get(decision);
  if (template === undefined || template.caller !== caller || !sameList(template.removes, removes)) {
    template = AllowTemplate.of(allowResponse(PLACEHOLDER, decision, request, identity), caller, removes);
    if (template === undefined) return undefined;
    templates.set(decision, template);
  }
  const bytes = template.splice(decisionId);
  return bytes === undefined ? undefined : new EncodedCheckResponse(bytes);
}
