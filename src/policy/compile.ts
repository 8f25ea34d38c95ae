// Compiles a validated ServicePolicy document into an EngineService: effective rule modes,
// method specs, the method index and the entry matchers. Runs once per load; it assumes the
// document passed the schema and the cross-file checks and throws only on a bug.

import type { ClaimValue, CompiledEntry, CompiledTokenEntry } from './entries.js';
import type { Credential, EngineRule, EngineService } from './compiled.js';
import { buildMethodIndex } from './method-index.js';
import { parseGrpcSpec, parseHttpSpec } from './method-spec.js';
import type { MethodSpec, Parsed } from './method-spec.js';
import { packedMap } from './packed.js';
import { compileGlob } from './patterns.js';
import type { EntryDoc, RuleDoc, ServicePolicyDoc } from './schema.js';
import { parseSpiffePattern } from './spiffe-pattern.js';
import type { SourceFile } from './yaml-source.js';
import type { CompiledService, SourcePosition, TrustConfig } from './types.js';

/** One shared empty list: a 10,000-rule set has tens of thousands of empty deny, scope and claim
 *  lists, and each would be an object for the garbage collector to copy while the set loads. */
const NONE: readonly never[] = Object.freeze([]);

function listOf<T, U>(items: readonly T[] | undefined, map: (item: T) => U): readonly U[] {
  return items === undefined || items.length === 0 ? NONE : Object.freeze(packedMap(items, map));
}

function must<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`internal: a validated pattern failed to compile: ${parsed.error}`);
  return parsed.value;
}

function positionOf(source: SourceFile, path: readonly (string | number)[]): SourcePosition {
  const at = source.at(path);
  return Object.freeze({ file: source.file, line: at.line, col: at.col });
}

export function compileService(doc: ServicePolicyDoc, source: SourceFile, trust: TrustConfig): EngineService {
  // By push, which keeps it packed (packed.ts; no exact copy needed for one list per service).
  const rules: EngineRule[] = [];
  for (let i = 0; i < doc.rules.length; i++) rules.push(compileRule(doc.rules[i] as RuleDoc, i, doc, source, trust));
  return Object.freeze({
    name: doc.service,
    spiffeId: doc.spiffeId,
    audience: doc.audience ?? doc.service,
    mode: doc.mode,
    forwardToken: doc.forwardToken,
    position: positionOf(source, ['service']),
    rules: Object.freeze(rules),
    index: buildMethodIndex(rules.map((r) => r.methods)),
  });
}

/** A service's own fields without rules or index: what stands in when compiling it failed (service-table.ts). */
export function uncompiledService(doc: ServicePolicyDoc, source: SourceFile): CompiledService {
  return Object.freeze({
    name: doc.service, spiffeId: doc.spiffeId, audience: doc.audience ?? doc.service, mode: doc.mode,
    forwardToken: doc.forwardToken, position: positionOf(source, ['service']), rules: NONE,
  });
}

function methodSpec(m: RuleDoc['methods'][number]): MethodSpec {
  return m.grpc !== undefined ? must(parseGrpcSpec(m.grpc)) : must(parseHttpSpec(m.http ?? ''));
}

function compileRule(rule: RuleDoc, index: number, doc: ServicePolicyDoc, source: SourceFile, trust: TrustConfig): EngineRule {
  const methods = packedMap(rule.methods, methodSpec);
  const require = requirements(rule.require);
  const allow = listOf(rule.allow, (e) => compileEntry(e, trust));
  return Object.freeze({
    name: rule.name,
    index,
    mode: rule.mode ?? doc.mode,
    position: positionOf(source, ['rules', index]),
    allowEntries: listOf(allow, (e) => e.text),
    methods: Object.freeze(methods),
    require,
    requireMtls: require.includes('mtls'),
    requireToken: require.includes('token'),
    allow,
    deny: listOf(rule.deny, (e) => compileEntry(e, trust)),
  });
}

/** `require` without repeats. One shared list per combination: nearly every rule has one. */
const MTLS: readonly Credential[] = Object.freeze(['mtls']);
const TOKEN: readonly Credential[] = Object.freeze(['token']);
const MTLS_TOKEN: readonly Credential[] = Object.freeze(['mtls', 'token']);
const TOKEN_MTLS: readonly Credential[] = Object.freeze(['token', 'mtls']);

function requirements(list: readonly Credential[] | undefined): readonly Credential[] {
  if (list === undefined || list.length === 0) return NONE;
  const first = list[0];
  let both = false;
  for (let i = 1; i < list.length; i++) if (list[i] !== first) both = true;
  if (first === 'mtls') return both ? MTLS_TOKEN : MTLS;
  return both ? TOKEN_MTLS : TOKEN;
}

export function compileEntry(doc: EntryDoc, trust: TrustConfig): CompiledEntry {
  const spiffe = doc.spiffe === undefined ? undefined : must(parseSpiffePattern(doc.spiffe));
  const token = doc.token === undefined ? undefined : compileToken(doc.token, trust);
  const spiffeText = spiffe === undefined ? '' : `spiffe=${spiffe.text}`;
  const text = token === undefined ? spiffeText : spiffe === undefined ? tokenText(token) : `${spiffeText} ${tokenText(token)}`;
  return Object.freeze({ text, spiffe, token });
}

function compileToken(doc: NonNullable<EntryDoc['token']>, trust: TrustConfig): CompiledTokenEntry {
  const svid = trust.issuers.get(doc.issuer)?.svid === true;
  const subject =
    doc.subject === undefined
      ? undefined
      : svid
        ? Object.freeze({ spiffe: must(parseSpiffePattern(doc.subject)) })
        : Object.freeze({ glob: compileGlob(doc.subject) });
  const claims = listOf(
    doc.claims === undefined ? undefined : Object.entries(doc.claims),
    ([key, values]) => Object.freeze([key, Object.freeze([...values])] as const) as readonly [string, readonly ClaimValue[]],
  );
  return Object.freeze({
    issuer: doc.issuer,
    subject,
    scopes: listOf(doc.scopes, (scope) => scope),
    claims,
    samePeer: doc.samePeer === true,
  });
}

function tokenText(t: CompiledTokenEntry): string {
  const parts = [`token=${t.issuer}`];
  if (t.subject !== undefined) parts.push(`subject=${'glob' in t.subject ? t.subject.glob.text : t.subject.spiffe.text}`);
  if (t.scopes.length > 0) parts.push(`scopes=${t.scopes.join(',')}`);
  for (const [key, values] of t.claims) parts.push(`claims.${key}=${values.join('|')}`);
  if (t.samePeer) parts.push('samePeer');
  return parts.join(' ');
}
