// The oracle: given a request and tollgate's answer, is an allow one the fuzz policy (world.ts)
// really grants? It re-states the policy as plain data and judges from the spec: service
// selection, credentials (a bad one always denies), every reading of the path, require, allow and
// deny entries, revocation, dry-run. Returns undefined when the answer is legitimate.

import { NEVER_SHADOWED, isDenyReason } from '../../src/decision/reasons.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';
import {
  certificateUri, globMatch, pathReadings, readRequest, tokenInQuery, unusablePath, workloadId, xfccUri, type SeenRequest,
} from './oracle-read.js';
import { ID, TD, type GoodToken } from './world.js';

export interface OracleWorld {
  readonly goodTokens: readonly GoodToken[];
  readonly revokedToken: string;
  readonly trustXfcc: boolean;
}

type Peer = { kind: 'none' } | { kind: 'bad' } | { kind: 'id'; id: string };
type Token = { kind: 'none' } | { kind: 'bad' } | { kind: 'good'; token: GoodToken };

interface RuleSpec {
  readonly http: readonly (readonly [methods: string, pattern: string])[];
  readonly grpc?: readonly string[];
  readonly requireBoth?: boolean;
  allows(peer: string | undefined, token: GoodToken | undefined): boolean;
  denies?(peer: string | undefined): boolean;
}

/** world.ts's policies, restated. */
const POLICY: Readonly<Record<string, Readonly<Record<string, RuleSpec>>>> = {
  shop: {
    read: {
      http: [['GET', '/v1/items/**']], grpc: ['shop.v1.Items/Get*'],
      allows: (p, t) => p === ID.reader || t?.sub === 'reader-bot',
    },
    write: {
      http: [['POST|PUT', '/v1/items/*']], requireBoth: true,
      allows: (p, t) => p === ID.writer && t !== undefined && t.scopes.includes('items.write'),
    },
    admin: {
      http: [['*', '/admin/**']],
      allows: (p) => p !== undefined && globMatch(`${TD}/ns/ops/sa/*`, p),
      denies: (p) => p === ID.intern,
    },
  },
  legacy: { old: { http: [['GET', '/old/*']], allows: (p) => p === ID.reader } },
};
const DRY_RUN = new Set(['legacy']);
const AUDIENCE_SERVICES = new Set(['shop']);

function selectedService(r: SeenRequest): string | undefined {
  if (r.namedService !== '') return POLICY[r.namedService] === undefined ? undefined : r.namedService;
  return r.destination === ID.shopApi ? 'shop' : undefined;
}

function sameToken(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  return x.length === 3 && y.length === 3 && x[0] === y[0] && x[1] === y[1] &&
    Buffer.from(x[2] as string, 'base64url').equals(Buffer.from(y[2] as string, 'base64url'));
}

function bearerToken(r: SeenRequest): string | 'bad' | undefined {
  if (tokenInQuery(r.target)) return 'bad';
  const values = r.headers.get('authorization');
  if (values === undefined) return undefined;
  if (values.length !== 1 || (values[0] as string).includes(',')) return 'bad';
  return /^bearer\s+(\S+)$/i.exec((values[0] as string).trim())?.[1] ?? 'bad';
}

function tokenOf(r: SeenRequest, service: string, w: OracleWorld): Token {
  const jwt = bearerToken(r);
  if (jwt === undefined) return { kind: 'none' };
  // Every good token is minted for the audience `shop` only.
  const good = jwt === 'bad' || !AUDIENCE_SERVICES.has(service) ? undefined : w.goodTokens.find((g) => sameToken(jwt, g.jwt));
  return good === undefined ? { kind: 'bad' } : { kind: 'good', token: good };
}

function peerOf(r: SeenRequest, w: OracleWorld): Peer {
  const id = (uri: string | undefined): Peer => (uri !== undefined && workloadId(uri) ? { kind: 'id', id: uri } : { kind: 'bad' });
  if (r.certificate !== '') {
    const uri = certificateUri(r.certificate, Date.now());
    if (uri === undefined || (r.principal !== '' && r.principal !== uri)) return { kind: 'bad' };
    return id(uri);
  }
  if (r.principal !== '') return id(r.principal);
  const xfcc = r.headers.get('x-forwarded-client-cert');
  if (w.trustXfcc && xfcc !== undefined) return id(xfccUri(xfcc.join(',')));
  return { kind: 'none' };
}

function methodOk(methods: string, method: string): boolean {
  return methods === '*' || methods.split('|').includes(method);
}

/** The rule selects the request however the upstream reads the path. */
function ruleSelects(rule: RuleSpec, r: SeenRequest): boolean {
  const readings = pathReadings(r.target);
  const http = rule.http.some(([methods, pattern]) => methodOk(methods, r.method) && readings.every((p) => globMatch(pattern, p)));
  const contentType = (r.headers.get('content-type') ?? []).join(',');
  const grpc = contentType.startsWith('application/grpc') && (rule.grpc ?? []).some((pattern) =>
    readings.every((p) => /^\/[^/]+\/[^/]+$/.test(p) && globMatch(pattern, p.slice(1))));
  return http || grpc;
}

function headersOf(res: WireCheckResponse): Map<string, string> {
  return new Map((res.ok_response?.headers ?? []).map((h) => [h.header.key, h.header.value]));
}

function judgeShadow(r: SeenRequest, service: string, reason: string, peer: Peer, jwt: string | 'bad' | undefined, w: OracleWorld): string | undefined {
  if (!DRY_RUN.has(service)) return `shadow deny in enforcing service ${service}`;
  if (!isDenyReason(reason) || NEVER_SHADOWED.has(reason)) return `shadowed reason ${reason}`;
  if (r.method === '' || unusablePath(r.target)) return 'shadowed an unusable request';
  if (peer.kind === 'id' && peer.id === ID.revoked) return 'shadowed a revoked SPIFFE ID';
  // Only where it would verify (its audience): elsewhere it is just an invalid token, shadowed like any.
  if (AUDIENCE_SERVICES.has(service) && jwt !== undefined && jwt !== 'bad' && sameToken(jwt, w.revokedToken)) return 'shadowed a revoked token';
  return undefined;
}

/** undefined: the answer is one the policy gives; else what is wrong with it. */
export function judge(wire: unknown, res: WireCheckResponse, w: OracleWorld): string | undefined {
  if ((res.status?.code ?? 0) !== 0 || res.ok_response === undefined) return undefined;
  const r = readRequest(wire);
  if (r === undefined) return 'allowed a request without attributes or HTTP request';
  const service = selectedService(r);
  if (service === undefined) return 'allowed without a selectable policy';
  const headers = headersOf(res);
  const peer = peerOf(r, w);
  const shadow = headers.get('x-tollgate-shadow-deny');
  if (shadow !== undefined) return judgeShadow(r, service, shadow, peer, bearerToken(r), w);
  const [svc, ruleName] = (headers.get('x-tollgate-rule') ?? '').split('/');
  const rule = POLICY[service]?.[ruleName ?? ''];
  if (svc !== service || rule === undefined) return `allowed by ${headers.get('x-tollgate-rule')} but ${service} was selected`;
  if (r.method === '' || unusablePath(r.target)) return 'allowed an unusable request';
  const token = tokenOf(r, service, w);
  if (peer.kind === 'bad') return 'allowed with a bad peer credential';
  if (token.kind === 'bad') return 'allowed with a bad bearer token';
  const p = peer.kind === 'id' ? peer.id : undefined;
  const t = token.kind === 'good' ? token.token : undefined;
  if (p === ID.revoked) return 'allowed a revoked SPIFFE ID';
  if (!ruleSelects(rule, r)) return `rule ${ruleName} does not select ${r.method} ${r.target} under every reading`;
  if (rule.requireBoth === true && (p === undefined || t === undefined)) return 'require [mtls, token] not met';
  if (!rule.allows(p, t)) return `rule ${ruleName} does not list the caller`;
  if (rule.denies?.(p) === true) return `a deny entry of ${ruleName} holds`;
  const caller = p ?? (t === undefined ? '' : `corp:${t.sub}`);
  if ((headers.get('x-tollgate-caller') ?? '') !== caller) return `x-tollgate-caller ${headers.get('x-tollgate-caller')} is not ${caller}`;
  return undefined;
}
