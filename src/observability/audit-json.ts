// The JSON text of an audit line's fields, written directly: the same members, order and values
// as auditFields() followed by pino's serializer (a test holds the two equal), at a fraction of
// the cost — pino JSON.stringify's every nested object of every line, on the request path. The
// token part depends only on the verified token, so it is serialized once per token.

import type { Identity, VerifiedToken } from '../identity/types.js';
import type { Request } from '../decision/types.js';
import { cut, withoutQuery } from './audit-line.js';
import type { DecisionRecord } from './record.js';

/** A JSON string literal. Plain printable ASCII (nearly every value) needs no escaping and no native call. */
function q(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

const orNull = (s: string | undefined): string => (s === undefined || s === '' ? 'null' : q(s));
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

function list(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + q(values[i] as string);
  return `${out}]`;
}

const tokenJson = new WeakMap<VerifiedToken, string>();

function tokenText(t: VerifiedToken): string {
  let text = tokenJson.get(t);
  if (text === undefined) {
    // Kept as long as the token is cached: join() makes it one flat string, not a tree of pieces.
    text = [`{"issuer":${q(t.issuer)}`, `"iss":${q(t.iss)}`, `"sub":${q(t.sub)}`, `"jti":${t.jti === undefined ? 'null' : q(t.jti)}`,
      `"aud":${list(t.aud)}`, `"scopes":${list(t.scopes)}`, `"exp":${num(t.exp)}}`].join(',');
    tokenJson.set(t, text);
  }
  return text;
}

function callerText(identity: Identity | undefined): string {
  if (identity === undefined) return '{"spiffe_id":null,"spiffe_source":null,"token":null}';
  const peer = identity.peer;
  const token = identity.token === undefined ? 'null' : tokenText(identity.token);
  if (peer === undefined) return `{"spiffe_id":null,"spiffe_source":null,"token":${token}}`;
  return `{"spiffe_id":${q(peer.spiffeId)},"spiffe_source":${q(peer.source)},"token":${token}}`;
}

function requestText(r: Request | undefined): string {
  if (r === undefined) return 'null';
  return `{"method":${q(cut(r.method))},"path":${q(cut(withoutQuery(r.rawPath)))},"host":${q(cut(r.host))},` +
    `"grpc_method":${r.grpcMethod === undefined ? 'null' : q(cut(r.grpcMethod))},"source_address":${q(cut(r.sourceAddress))},` +
    `"source_principal":${q(cut(r.sourcePrincipal))},"destination_principal":${q(cut(r.destinationPrincipal))}}`;
}

/** The members of the audit line's JSON object, without the braces: `"time":…,"policy_generation":…`. */
export function auditMembers(rec: DecisionRecord): string {
  const d = rec.decision;
  return `"time":${num(rec.time)},"decision_id":${q(rec.decisionId)},"service":${orNull(d.service)},"rule":${orNull(d.rule)},` +
    `"decision":${q(d.verdict)},"reason":${q(d.reason)},"detail":${d.detail === undefined ? 'null' : q(d.detail)},` +
    `"caller":${callerText(rec.identity)},"request":${requestText(rec.request)},"cache":${q(rec.cache)},` +
    `"latency_us":${num(Math.round(rec.latencyUs))},"policy_generation":${num(d.generation)}`;
}
