// Checks that span files: exactly one Trust file, unique service names and spiffeIds, unique rule
// names, and references from service policies and tests to issuers, trust domains, services and
// rules. Works on raw data so that it reports even when other parts of a file are invalid.

import { parseSpiffePattern } from './spiffe-pattern.js';
import { problem, START } from './problems.js';
import type { Problem } from './problems.js';
import { field, isObj, list, str } from './raw.js';
import type { SourceFile, DataPath } from './yaml-source.js';

export interface Classified {
  readonly dir: string;
  readonly trust: readonly SourceFile[];
  readonly services: readonly SourceFile[];
  readonly tests: readonly SourceFile[];
}

interface TrustView {
  readonly issuers: ReadonlyMap<string, { readonly svid: boolean }>;
  readonly domains: ReadonlySet<string> | undefined;
}

export function crossCheck(files: Classified): Problem[] {
  const out: Problem[] = [];
  const err = (src: SourceFile, path: DataPath, message: string) => out.push(problem(src.file, src.at(path), 'error', message));
  if (files.trust.length === 0) out.push(problem(files.dir, START, 'error', `no Trust file (kind: Trust) in ${files.dir}`));
  const first = files.trust[0];
  for (const extra of files.trust.slice(1)) err(extra, ['kind'], `more than one Trust file (the first is ${first?.file ?? '?'})`);
  uniqueAcross(files.services, 'service', 'service', err);
  uniqueAcross(files.services, 'spiffeId', 'spiffeId', err);
  const trust = first === undefined ? undefined : trustView(first, err);
  for (const svc of files.services) {
    uniqueRuleNames(svc, err);
    if (trust !== undefined) checkEntries(svc, trust, err);
  }
  checkTests(files, trust, err);
  return out;
}

type Report = (src: SourceFile, path: DataPath, message: string) => void;

function uniqueAcross(sources: readonly SourceFile[], key: string, what: string, err: Report): void {
  const seen = new Map<string, SourceFile>();
  for (const src of sources) {
    const value = str(field(src.data, key));
    if (value === undefined) continue;
    const before = seen.get(value);
    if (before === undefined) seen.set(value, src);
    else err(src, [key], `${what} ${value} is already used by ${before.file}:${before.at([key]).line}`);
  }
}

function uniqueRuleNames(src: SourceFile, err: Report): void {
  const seen = new Map<string, number>();
  list(field(src.data, 'rules')).forEach((rule, i) => {
    const name = str(field(rule, 'name'));
    if (name === undefined) return;
    const before = seen.get(name);
    if (before === undefined) seen.set(name, i);
    else err(src, ['rules', i, 'name'], `duplicate rule name ${name} (also rules[${before}], line ${src.at(['rules', before, 'name']).line})`);
  });
}

function trustView(src: SourceFile, err: Report): TrustView {
  const issuers = new Map<string, { svid: boolean }>();
  const byIss = new Map<string, string>();
  const raw = field(src.data, 'issuers');
  for (const [name, value] of isObj(raw) ? Object.entries(raw) : []) {
    issuers.set(name, { svid: field(value, 'svid') === true });
    const iss = str(field(value, 'issuer'));
    if (iss === undefined) continue;
    const other = byIss.get(iss);
    if (other !== undefined) err(src, ['issuers', name, 'issuer'], `issuer ${iss} is already configured as ${other}`);
    else byIss.set(iss, name);
  }
  const domains = field(src.data, 'trustDomains');
  return { issuers, domains: Array.isArray(domains) ? new Set(domains.filter((d) => typeof d === 'string')) : undefined };
}

const ENTRY_KINDS = ['allow', 'deny'] as const;

/** Where the entry being checked is. One per file, moved along: this runs over every entry of a
 *  large set before the JIT has warmed up, so no path is built unless there is a problem. */
interface EntryAt {
  readonly src: SourceFile;
  readonly err: Report;
  r: number;
  kind: (typeof ENTRY_KINDS)[number];
  e: number;
}

function report(at: EntryAt, tail: DataPath, message: string): void {
  at.err(at.src, ['rules', at.r, at.kind, at.e, ...tail], message);
}

function checkEntries(src: SourceFile, trust: TrustView, err: Report): void {
  const at: EntryAt = { src, err, r: 0, kind: 'allow', e: 0 };
  const rules = list(field(src.data, 'rules'));
  for (let r = 0; r < rules.length; r++) {
    for (let k = 0; k < ENTRY_KINDS.length; k++) {
      const kind = ENTRY_KINDS[k] as EntryAt['kind'];
      const entries = list(field(rules[r], kind));
      for (let e = 0; e < entries.length; e++) {
        at.r = r;
        at.kind = kind;
        at.e = e;
        const entry = entries[e];
        const spiffe = str(field(entry, 'spiffe'));
        if (spiffe !== undefined) checkDomain(at, 'spiffe', spiffe, trust);
        const token = field(entry, 'token');
        if (isObj(token)) checkTokenEntry(at, token, trust);
      }
    }
  }
}

function checkDomain(at: EntryAt, key: 'spiffe' | 'subject', pattern: string, trust: TrustView): void {
  const parsed = parseSpiffePattern(pattern);
  if (!parsed.ok || trust.domains === undefined || trust.domains.has(parsed.value.trustDomain)) return;
  const message = `trust domain ${parsed.value.trustDomain} is not in trust.yaml trustDomains, so ${pattern} can never match`;
  report(at, key === 'spiffe' ? ['spiffe'] : ['token', 'subject'], message);
}

function checkTokenEntry(at: EntryAt, token: Readonly<Record<string, unknown>>, trust: TrustView): void {
  const issuer = str(token['issuer']);
  if (issuer === undefined) return;
  const config = trust.issuers.get(issuer);
  if (config === undefined) {
    report(at, ['token', 'issuer'], `unknown issuer ${issuer} (trust.yaml defines: ${[...trust.issuers.keys()].join(', ') || 'none'})`);
    return;
  }
  const subject = str(token['subject']);
  if (config.svid && subject !== undefined) {
    const parsed = parseSpiffePattern(subject);
    if (!parsed.ok) report(at, ['token', 'subject'], `${issuer} is a JWT-SVID issuer, so subject is a SPIFFE pattern: ${parsed.error}`);
    else checkDomain(at, 'subject', subject, trust);
  }
  if (token['samePeer'] === true && !config.svid) {
    report(at, ['token', 'samePeer'], `samePeer needs a JWT-SVID issuer (svid: true); ${issuer} is not one`);
  }
}

function checkTests(files: Classified, trust: TrustView | undefined, err: Report): void {
  const services = new Map<string, SourceFile>();
  for (const s of files.services) {
    const name = str(field(s.data, 'service'));
    if (name !== undefined && !services.has(name)) services.set(name, s);
  }
  for (const t of files.tests) {
    const name = str(field(t.data, 'service'));
    const svc = name === undefined ? undefined : services.get(name);
    if (name !== undefined && svc === undefined) err(t, ['service'], `no ServicePolicy for service ${name}`);
    const rules = new Set(list(field(svc?.data, 'rules')).map((r) => str(field(r, 'name'))));
    list(field(t.data, 'cases')).forEach((c, i) => {
      const issuer = str(field(field(field(c, 'caller'), 'token'), 'issuer'));
      if (issuer !== undefined && trust !== undefined && !trust.issuers.has(issuer)) {
        err(t, ['cases', i, 'caller', 'token', 'issuer'], `unknown issuer ${issuer}`);
      }
      const rule = str(field(field(c, 'expect'), 'allow'));
      if (rule !== undefined && svc !== undefined && !rules.has(rule)) err(t, ['cases', i, 'expect', 'allow'], `service ${name} has no rule ${rule}`);
    });
  }
}
