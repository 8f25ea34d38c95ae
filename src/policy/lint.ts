// Lint warnings of a policy set that loads (policy-format.md "Lint warnings"): empty allow,
// domain-wide SPIFFE patterns, shadowed method patterns, writes without `require`, long issuer
// lifetimes, unused issuers, lower-case HTTP methods. Warnings never block a load.

import { durationMs } from './duration.js';
import { canWrite, specCovers } from './lint-shadow.js';
import { parseGrpcSpec, parseHttpSpec } from './method-spec.js';
import type { MethodSpec } from './method-spec.js';
import { problem } from './problems.js';
import type { Problem } from './problems.js';
import type { RuleDoc, ServicePolicyDoc, TrustDoc } from './schema.js';
import { isDomainWide, parseSpiffePattern } from './spiffe-pattern.js';
import type { DataPath, SourceFile } from './yaml-source.js';

export interface LintInput {
  readonly trust: { readonly source: SourceFile; readonly doc: TrustDoc } | undefined;
  readonly services: readonly { readonly source: SourceFile; readonly doc: ServicePolicyDoc }[];
}

const DAY_MS = 24 * 3_600_000;

export function collectWarnings(input: LintInput): Problem[] {
  const out: Problem[] = [];
  const used = new Set<string>();
  for (const { source, doc } of input.services) {
    const warn = (path: DataPath, message: string) => out.push(problem(source.file, source.at(path), 'warning', message));
    const svid = (issuer: string) => input.trust?.doc.issuers[issuer]?.svid === true;
    doc.rules.forEach((rule, r) => lintRule(rule, r, warn, used, svid));
    lintShadowing(doc.rules, warn);
  }
  if (input.trust !== undefined) lintIssuers(input.trust, used, out);
  return out;
}

type Warn = (path: DataPath, message: string) => void;

function specOf(item: RuleDoc['methods'][number]): MethodSpec | undefined {
  const parsed = item.grpc !== undefined ? parseGrpcSpec(item.grpc) : parseHttpSpec(item.http ?? '');
  return parsed.ok ? parsed.value : undefined;
}

function lintRule(rule: RuleDoc, r: number, warn: Warn, used: Set<string>, svid: (issuer: string) => boolean): void {
  if (rule.allow.length === 0) warn(['rules', r], `rule ${rule.name} allows nobody: its allow list is empty`);
  for (const kind of ['allow', 'deny'] as const) {
    rule[kind].forEach((entry, e) => {
      const at: DataPath = ['rules', r, kind, e];
      if (entry.spiffe !== undefined) domainWide(entry.spiffe, [...at, 'spiffe'], warn);
      if (entry.token === undefined) return;
      used.add(entry.token.issuer);
      if (entry.token.subject !== undefined && svid(entry.token.issuer)) domainWide(entry.token.subject, [...at, 'token', 'subject'], warn);
    });
  }
  rule.methods.forEach((item, m) => {
    const spec = specOf(item);
    if (spec === undefined) return;
    if ((rule.require ?? []).length === 0 && canWrite(spec)) {
      warn(['rules', r, 'methods', m], `rule ${rule.name}: ${spec.text} can write but the rule has no require (e.g. require: [mtls])`);
    }
    for (const method of spec.kind === 'http' ? (spec.methods ?? []) : []) {
      if (method !== method.toUpperCase()) {
        warn(['rules', r, 'methods', m], `HTTP method ${method} is compared case-sensitively: it never matches ${method.toUpperCase()}`);
      }
    }
  });
}

function domainWide(text: string, at: DataPath, warn: Warn): void {
  const parsed = parseSpiffePattern(text);
  if (parsed.ok && isDomainWide(parsed.value)) warn(at, `${text} matches every workload of ${parsed.value.trustDomain}`);
}

/** Same grant: same mode, require, allow and deny entries (order does not matter). */
function grantKey(rule: RuleDoc): string {
  const entries = (list: RuleDoc['allow']) => list.map((e) => JSON.stringify(e)).sort();
  return JSON.stringify([rule.mode ?? '', [...new Set(rule.require ?? [])].sort(), entries(rule.allow), entries(rule.deny)]);
}

function lintShadowing(rules: readonly RuleDoc[], warn: Warn): void {
  // Only rules granting the same thing can shadow each other: group by grant, so a service with
  // hundreds of distinct rules costs a look-up per method, not a scan of every earlier one.
  const earlier = new Map<string, { rule: string; spec: MethodSpec }[]>();
  rules.forEach((rule, r) => {
    const key = grantKey(rule);
    const group = earlier.get(key) ?? [];
    if (group.length === 0) earlier.set(key, group);
    rule.methods.forEach((item, m) => {
      const spec = specOf(item);
      if (spec === undefined) return;
      const by = group.find((e) => specCovers(e.spec, spec));
      if (by !== undefined) {
        warn(['rules', r, 'methods', m], `${spec.text} is shadowed by rule ${by.rule} (${by.spec.text}) with the same entries: it grants nothing new`);
      }
      group.push({ rule: rule.name, spec });
    });
  });
}

function lintIssuers(trust: NonNullable<LintInput['trust']>, used: ReadonlySet<string>, out: Problem[]): void {
  const { source, doc } = trust;
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    if (durationMs(issuer.maxLifetime) > DAY_MS) {
      out.push(problem(source.file, source.at(['issuers', name, 'maxLifetime']), 'warning', `issuer ${name} accepts tokens living up to ${issuer.maxLifetime} (more than 24h)`));
    }
    if (!used.has(name)) out.push(problem(source.file, source.keyAt(['issuers', name]), 'warning', `issuer ${name} is never referenced by a service policy`));
  }
}
