// The pure decision core (policy-format.md "Semantics"): request problems, service selection,
// revocations, credential failures, matching rules, deny entries, allow entries, default deny,
// then dry-run modes. No I/O, clock, cache or logger; a deny is a value. With `trace` it also
// says why, step by step, for `tollgate explain`; without it, no trace text is ever built.

import { checkEntry, explainCheck } from '../policy/entries.js';
import type { CompiledEntry } from '../policy/entries.js';
import { isEngineService } from '../policy/compiled.js';
import type { EngineRule, EngineService } from '../policy/compiled.js';
import { specMatches } from '../policy/method-spec.js';
import type { PolicySnapshot } from '../policy/types.js';
import type { Identity } from '../identity/types.js';
import { NEVER_SHADOWED } from './reasons.js';
import type { DenyReason } from './reasons.js';
import type { Selection } from './select.js';
import type { Decision, Request, TraceStep } from './types.js';

export interface DecideOptions {
  readonly trace?: boolean;
}

const NO_TRACE: readonly TraceStep[] = Object.freeze([]);
const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_MATCHES: readonly number[] = Object.freeze([]);

interface Ctx {
  readonly request: Request;
  readonly identity: Identity;
  readonly snapshot: PolicySnapshot;
  readonly selection: Selection;
  readonly t: TraceStep[] | undefined;
  svc: EngineService | undefined;
  matched: readonly number[];
}

export function decide(request: Request, identity: Identity, snapshot: PolicySnapshot, selection: Selection, options?: DecideOptions): Decision {
  const t: TraceStep[] | undefined = options?.trace === true ? [] : undefined;
  const c: Ctx = { request, identity, snapshot, selection, t, svc: undefined, matched: NO_MATCHES };
  try {
    return run(c);
  } catch (err) {
    // A bug must not allow: fail closed, and never shadow it.
    t?.push(step('error', false, `unexpected error: ${(err as Error).message}`));
    c.matched = NO_MATCHES;
    return deny(c, 'internal_error', 'decide_exception');
  }
}

function run(c: Ctx): Decision {
  const { request, selection, t } = c;
  if (t !== undefined) traceSelection(t, selection);
  const svc = selection.service;
  // Known before the request is judged, so a path attack is logged and counted against its service.
  if (svc !== undefined && isEngineService(svc)) c.svc = svc;
  if (request.problem !== undefined) return deny(c, request.problem.reason, request.problem.detail);
  if (svc === undefined) return deny(c, 'no_policy', selection.requested === '' ? 'no_service_named' : `service:${selection.requested}`);
  if (!isEngineService(svc)) return deny(c, 'internal_error', 'service_not_compiled');
  c.svc = svc;
  c.matched = svc.index.lookup(request.method, request.path, request.grpcMethod);
  if (t !== undefined) {
    traceIdentity(t, c.identity);
    traceMatches(c, svc);
  }
  const bad = credentialProblem(c, svc);
  if (bad !== undefined) return deny(c, bad[0], bad[1]);
  if (c.matched.length === 0) return deny(c, 'no_rule', undefined);
  return evaluateRules(c, svc);
}

/** Revocations first, then credentials that failed, then identities outside what this set trusts. */
function credentialProblem(c: Ctx, svc: EngineService): readonly [DenyReason, string] | undefined {
  const { identity, snapshot } = c;
  const { peer, token, peerFailure, tokenFailure } = identity;
  const revoked = snapshot.trust.revoked;
  if (peer !== undefined && revoked.spiffeIds.has(peer.spiffeId)) return ['revoked', 'revoked_spiffe_id'];
  if (token !== undefined) {
    if (token.jti !== undefined && revoked.tokenIds.has(token.jti)) return ['revoked', 'revoked_jti'];
    if (token.kid !== undefined && revoked.keyIds.has(token.kid)) return ['revoked', 'revoked_kid'];
    if (token.svid !== undefined && revoked.spiffeIds.has(token.svid.spiffeId)) return ['revoked', 'revoked_svid'];
  }
  if (peerFailure?.reason === 'revoked' || tokenFailure?.reason === 'revoked') return ['revoked', (peerFailure ?? tokenFailure)?.detail ?? 'revoked'];
  if (peerFailure !== undefined) return [peerFailure.reason, peerFailure.detail];
  if (tokenFailure !== undefined) return [tokenFailure.reason, tokenFailure.detail];
  if (identity.tokenPresented && token === undefined) return ['invalid_token', 'token_not_verified'];
  const domains = snapshot.trust.trustDomains;
  if (peer !== undefined && !domains.has(peer.trustDomain)) return ['untrusted_domain', 'peer_trust_domain'];
  if (token !== undefined) {
    if (token.svid !== undefined && !domains.has(token.svid.trustDomain)) return ['untrusted_domain', 'svid_trust_domain'];
    if (!token.aud.includes(svc.audience)) return ['invalid_token', 'audience_mismatch'];
  }
  return undefined;
}

function evaluateRules(c: Ctx, svc: EngineService): Decision {
  const { identity, t } = c;
  let allowed: EngineRule | undefined;
  let allowedEntry = -1;
  let unmet: string | undefined;
  for (const i of c.matched) {
    const rule = svc.rules[i];
    if (rule === undefined) continue;
    const denied = firstHolding(rule, rule.deny, 'deny', identity, t);
    if (denied >= 0) return deny(c, 'explicit_deny', `${rule.name}/deny[${denied}]`);
    if (allowed !== undefined && t === undefined) continue;
    const missing = missingCredential(rule, identity);
    if (missing !== undefined) {
      unmet ??= `${rule.name}: require ${missing}`;
      t?.push(step('require', false, `${rule.name}: require ${rule.require.join(', ')} not met (${missing} missing)`));
      continue;
    }
    const held = firstHolding(rule, rule.allow, 'allow', identity, t);
    if (held >= 0 && allowed === undefined) {
      allowed = rule;
      allowedEntry = held;
    }
  }
  if (allowed !== undefined) return allow(c, svc, allowed, allowedEntry);
  if (identity.peer === undefined && identity.token === undefined) return deny(c, 'no_credentials', undefined);
  if (unmet !== undefined) return deny(c, 'missing_credential', unmet);
  return deny(c, 'not_allowed', undefined);
}

function missingCredential(rule: EngineRule, identity: Identity): string | undefined {
  const mtls = rule.requireMtls && identity.peer === undefined;
  const token = rule.requireToken && identity.token === undefined;
  return mtls ? (token ? 'mtls+token' : 'mtls') : token ? 'token' : undefined;
}

/** Index of the first entry that holds, or -1; with a trace, every entry is checked and told. */
function firstHolding(rule: EngineRule, entries: readonly CompiledEntry[], kind: 'allow' | 'deny', identity: Identity, t: TraceStep[] | undefined): number {
  let found = -1;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as CompiledEntry;
    const result = checkEntry(entry, identity);
    if (t !== undefined) t.push(step(kind, result === 'ok', `${rule.name} ${kind}[${i}] ${entry.text}: ${explainCheck(entry, identity, result)}`));
    if (result === 'ok' && found < 0) {
      found = i;
      if (t === undefined) break;
    }
  }
  return found;
}

function ruleNames(c: Ctx): readonly string[] {
  const svc = c.svc;
  if (svc === undefined || c.matched.length === 0) return NO_NAMES;
  return c.matched.map((i) => svc.rules[i]?.name ?? '');
}

/** Dry-run applies when every matching rule is dry-run, or none matched and the service is. */
function shadowed(c: Ctx, reason: DenyReason): boolean {
  const svc = c.svc;
  if (svc === undefined || NEVER_SHADOWED.has(reason)) return false;
  if (c.matched.length === 0) return svc.mode === 'dry-run';
  for (const i of c.matched) if (svc.rules[i]?.mode !== 'dry-run') return false;
  return true;
}

function deny(c: Ctx, reason: DenyReason, detail: string | undefined): Decision {
  const shadow = shadowed(c, reason);
  const t = c.t;
  if (t !== undefined) {
    const why = detail === undefined ? '' : ` (${detail})`;
    t.push(step('decision', shadow, shadow ? `shadow deny ${reason}${why}: dry-run, the request is let through` : `deny ${reason}${why}`));
  }
  return Object.freeze({
    verdict: shadow ? 'shadow_deny' : 'deny',
    reason,
    detail,
    service: c.svc?.name ?? '',
    selectedBy: c.selection.selectedBy,
    rule: '',
    entry: -1,
    matchedRules: ruleNames(c),
    forwardToken: c.svc?.forwardToken ?? false,
    generation: c.snapshot.generation,
    trace: t ?? NO_TRACE,
  });
}

function allow(c: Ctx, svc: EngineService, rule: EngineRule, entry: number): Decision {
  c.t?.push(step('decision', true, `allow by ${svc.name}/${rule.name} allow[${entry}] ${rule.allowEntries[entry] ?? ''}`));
  return Object.freeze({
    verdict: 'allow',
    reason: 'allow',
    detail: undefined,
    service: svc.name,
    selectedBy: c.selection.selectedBy,
    rule: rule.name,
    entry,
    matchedRules: ruleNames(c),
    forwardToken: svc.forwardToken,
    generation: c.snapshot.generation,
    trace: c.t ?? NO_TRACE,
  });
}

function step(name: string, ok: boolean, message: string): TraceStep {
  return { step: name, ok, message };
}

function traceSelection(t: TraceStep[], s: Selection): void {
  const how = {
    context_extensions: 'context_extensions["service"]',
    destination_principal: 'the destination principal',
    default: 'the server default (--service)',
    none: 'nothing',
  }[s.selectedBy];
  if (s.service !== undefined) t.push(step('select', true, `service ${s.service.name} selected by ${how}`));
  else t.push(step('select', false, s.requested === '' ? 'no service named by the request or the server' : `no policy for service ${s.requested} (named by ${how})`));
}

function traceIdentity(t: TraceStep[], identity: Identity): void {
  const { peer, token, peerFailure, tokenFailure } = identity;
  if (peerFailure !== undefined) t.push(step('peer', false, `peer identity failed: ${peerFailure.reason} (${peerFailure.detail})`));
  else t.push(step('peer', peer !== undefined, peer === undefined ? 'no mTLS peer identity' : `mTLS peer ${peer.spiffeId} (from ${peer.source})`));
  if (tokenFailure !== undefined) t.push(step('token', false, `token failed: ${tokenFailure.reason} (${tokenFailure.detail})`));
  else if (token !== undefined) t.push(step('token', true, `token from ${token.issuer}, sub ${token.sub}, scopes ${token.scopes.join(' ') || '(none)'}`));
  else t.push(step('token', false, identity.tokenPresented ? 'a token was presented but not verified' : 'no bearer token'));
}

function traceMatches(c: Ctx, svc: EngineService): void {
  const { request, t } = c;
  if (t === undefined) return;
  const what = request.grpcMethod === undefined ? `${request.method} ${request.path}` : `${request.method} ${request.path} (gRPC ${request.grpcMethod})`;
  if (c.matched.length === 0) t.push(step('rules', false, `no rule of ${svc.name} selects ${what}`));
  for (const i of c.matched) {
    const rule = svc.rules[i];
    const spec = rule?.methods.find((m) => specMatches(m, request.method, request.path, request.grpcMethod));
    t.push(step('rule', true, `rule ${rule?.name ?? '?'} (${rule?.mode ?? '?'}) selects ${what} by ${spec?.text ?? '?'}`));
  }
}
