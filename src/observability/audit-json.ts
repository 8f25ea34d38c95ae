// An audit line, written directly: the same members, order and values as auditFields() followed
// by pino's serializer (a test holds the two equal, text for text), at a fraction of the cost.
// The caller parts depend only on the verified token and peer, so they are serialized once per
// object, and a cached decision's members with its caller once per decision. The rest is joined as
// text around them and encoded into the batch by one native call: JavaScript code touching each
// character costs ~40 instructions per character on this V8, and a line has ~650.

import type { Identity, PeerIdentity, VerifiedToken } from '../identity/types.js';
import type { Decision, Request } from '../decision/types.js';
import { cut, withoutQuery } from './audit-line.js';
import { JsonOut } from './json-out.js';
import type { DecisionRecord } from './record.js';

// Kept as long as the token or peer is cached (weakly keyed: they go when the caches drop them).
// Strings: a byte array per token would cost ~165 bytes more each (its ArrayBuffer and backing store).
const tokenJson = new WeakMap<VerifiedToken, string>();
const peerJson = new WeakMap<PeerIdentity, string>();
const parts = new JsonOut(1024);

function tokenText(t: VerifiedToken): string {
  let text = tokenJson.get(t);
  if (text === undefined) {
    const o = parts;
    o.reset();
    o.member('{"issuer":', t.issuer);
    o.member(',"iss":', t.iss);
    o.member(',"sub":', t.sub);
    o.raw(',"jti":');
    if (t.jti === undefined) o.raw('null');
    else o.str(t.jti);
    o.raw(',"aud":');
    o.list(t.aud);
    o.raw(',"scopes":');
    o.list(t.scopes);
    o.raw(',"exp":');
    o.num(t.exp);
    o.raw('}');
    text = o.textFrom(0);
    tokenJson.set(t, text);
  }
  return text;
}

/** `{"spiffe_id":…,"spiffe_source":…,"token":`, to be followed by the token. */
function peerText(p: PeerIdentity): string {
  let text = peerJson.get(p);
  if (text === undefined) {
    const o = parts;
    o.reset();
    o.member('{"spiffe_id":', p.spiffeId);
    o.member(',"spiffe_source":', p.source);
    o.raw(',"token":');
    text = o.textFrom(0);
    peerJson.set(p, text);
  }
  return text;
}

function caller(o: JsonOut, identity: Identity | undefined): void {
  if (identity?.peer === undefined) o.raw('{"spiffe_id":null,"spiffe_source":null,"token":');
  else o.json(peerText(identity.peer));
  if (identity?.token === undefined) o.raw('null}');
  else {
    o.json(tokenText(identity.token));
    o.raw('}');
  }
}

function request(o: JsonOut, r: Request | undefined): void {
  if (r === undefined) {
    o.raw('null');
    return;
  }
  o.member('{"method":', cut(r.method));
  o.member(',"path":', cut(withoutQuery(r.rawPath)));
  o.member(',"host":', cut(r.host));
  o.raw(',"grpc_method":');
  if (r.grpcMethod === undefined) o.raw('null');
  else o.str(cut(r.grpcMethod));
  o.member(',"source_address":', cut(r.sourceAddress));
  o.member(',"source_principal":', cut(r.sourcePrincipal));
  o.member(',"destination_principal":', cut(r.destinationPrincipal));
  o.raw('}');
}

/** `,"service":…,"detail":…,"caller":`: the members that depend on the decision alone. */
function writeDecision(o: JsonOut, d: Decision): void {
  o.raw(',"service":');
  o.strOrNull(d.service);
  o.raw(',"rule":');
  o.strOrNull(d.rule);
  o.member(',"decision":', d.verdict);
  o.member(',"reason":', d.reason);
  o.raw(',"detail":');
  if (d.detail === undefined) o.raw('null');
  else o.str(d.detail);
  o.raw(',"caller":');
}

function freshDecisionText(d: Decision): string {
  const o = parts;
  o.reset();
  writeDecision(o, d);
  return o.textFrom(0);
}

/** The members of the audit line's JSON object, without the braces: `"time":…,"policy_generation":…`. */
export function writeAuditMembers(o: JsonOut, rec: DecisionRecord): void {
  const d = rec.decision;
  o.raw('"time":');
  o.num(rec.time);
  o.member(',"decision_id":', rec.decisionId);
  writeDecision(o, d);
  caller(o, rec.identity);
  o.raw(',"request":');
  request(o, rec.request);
  o.member(',"cache":', rec.cache);
  o.raw(',"latency_us":');
  o.num(Math.round(rec.latencyUs));
  o.raw(',"policy_generation":');
  o.num(d.generation);
}

// Printable ASCII except `"` and `\`: such text stands in a JSON string literal as it is.
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** A number as JSON.stringify writes it. */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

// Requests arriving within the same millisecond share the time's text.
let lastTime = Number.NaN;
let lastTimeText = 'null';
function timeText(time: number): string {
  if (time !== lastTime) {
    lastTime = time;
    lastTimeText = numberText(time);
  }
  return lastTimeText;
}

function callerText(identity: Identity | undefined): string {
  const peer = identity?.peer === undefined ? '{"spiffe_id":null,"spiffe_source":null,"token":' : peerText(identity.peer);
  return identity?.token === undefined ? `${peer}null}` : `${peer}${tokenText(identity.token)}}`;
}

// A decision served from the decision cache is the same object on every hit, and its caller's
// peer and token are too: the members that depend on them alone are joined at the decision's
// first hit and kept as long as the decision is (weakly keyed). Decisions made afresh for each
// request are not kept: most are never seen again.
interface Kept {
  readonly peer: PeerIdentity | undefined;
  readonly token: VerifiedToken | undefined;
  readonly text: string;
}
const hitText = new WeakMap<Decision, Kept>();

/** `,"service":…,"caller":{…}`: the decision's members and the caller. */
function decisionAndCaller(rec: DecisionRecord): string {
  const d = rec.decision;
  if (rec.cache !== 'hit') return freshDecisionText(d) + callerText(rec.identity);
  const peer = rec.identity?.peer;
  const token = rec.identity?.token;
  const kept = hitText.get(d);
  if (kept !== undefined && kept.peer === peer && kept.token === token) return kept.text;
  const text = freshDecisionText(d) + callerText(rec.identity);
  hitText.set(d, { peer, token, text });
  return text;
}

/**
 * The whole line as text when every string from the request (and the decision id) is plain, as
 * nearly all are: one regular-expression test over them all instead of a look at each character.
 * Otherwise undefined, and the line is written member by member, escaping as needed.
 */
export function plainAuditLine(prefix: string, rec: DecisionRecord): string | undefined {
  const r = rec.request;
  if (r === undefined) return undefined;
  const method = cut(r.method);
  const path = cut(withoutQuery(r.rawPath));
  const host = cut(r.host);
  const grpc = r.grpcMethod === undefined ? '' : cut(r.grpcMethod);
  const source = cut(r.sourceAddress);
  const principal = cut(r.sourcePrincipal);
  const destination = cut(r.destinationPrincipal);
  if (NOT_PLAIN.test(rec.decisionId + method + path + host + grpc + source + principal + destination)) return undefined;
  return (
    prefix + ',"time":' + timeText(rec.time) + ',"decision_id":"' + rec.decisionId + '"' + decisionAndCaller(rec) +
    ',"request":{"method":"' + method + '","path":"' + path + '","host":"' + host + '","grpc_method":' +
    (r.grpcMethod === undefined ? 'null' : '"' + grpc + '"') + ',"source_address":"' + source + '","source_principal":"' + principal +
    '","destination_principal":"' + destination + '"},"cache":"' + rec.cache + '","latency_us":' + numberText(Math.round(rec.latencyUs)) +
    ',"policy_generation":' + numberText(rec.decision.generation) + '}\n'
  );
}

const line = new JsonOut(4096);

/**
 * One whole line, `prefix` (pino's opening, `{"level":30,…`) + `,` + the members + `}\n`: the
 * text of plainAuditLine() when it applies, else bytes written member by member with escaping,
 * a view of a buffer the next call reuses (copy it first, as LineBatch.add() does).
 */
export function auditLine(prefix: string, rec: DecisionRecord): string | Uint8Array {
  const text = plainAuditLine(prefix, rec);
  if (text !== undefined) return text;
  line.reset();
  line.json(prefix);
  line.raw(',');
  writeAuditMembers(line, rec);
  line.raw('}\n');
  return line.buf.subarray(0, line.pos);
}
