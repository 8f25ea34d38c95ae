// Compares a service policy with its API description: for each API method, the rules that select
// every call (found with the service's own method index, as decisions are), the rules that select
// only some calls, and whom they open it to; for each rule pattern, whether it selects any method.

import type { EngineRule, EngineService } from '../policy/compiled.js';
import { specMatches, type MethodSpec } from '../policy/method-spec.js';
import { methodLabel, probePath, templateSegments, type ApiMethod } from './api-methods.js';
import { httpSpecOverlaps } from './pattern-overlap.js';

export type MethodStatus = 'covered' | 'partial' | 'uncovered';
export type PatternStatus = 'used' | 'unused' | 'unchecked';

export interface MethodCoverage {
  readonly method: ApiMethod;
  readonly label: string;
  readonly status: MethodStatus;
  /** Rules that select every call of the method, in file order. */
  readonly full: readonly EngineRule[];
  /** Rules that select only some calls (some values of a path parameter). */
  readonly partial: readonly EngineRule[];
}

export interface PatternCoverage {
  readonly rule: EngineRule;
  readonly spec: MethodSpec;
  /** `unchecked`: the API description given has no methods of the pattern's kind. */
  readonly status: PatternStatus;
}

export interface CoverageReport {
  readonly service: EngineService;
  readonly methods: readonly MethodCoverage[];
  readonly patterns: readonly PatternCoverage[];
}

function fullRules(service: EngineService, m: ApiMethod): number[] {
  return m.kind === 'grpc' ? service.index.lookup('POST', `/${m.name}`, m.name) : service.index.lookup(m.method, probePath(m), undefined);
}

/** Whether the spec selects at least one call of the method. */
function specTouches(spec: MethodSpec, m: ApiMethod): boolean {
  if (m.kind === 'grpc') return specMatches(spec, 'POST', `/${m.name}`, m.name);
  return httpSpecOverlaps(spec, m.method, templateSegments(m));
}

function methodCoverage(service: EngineService, m: ApiMethod): MethodCoverage {
  const full = new Set(fullRules(service, m));
  const partial = service.rules.filter((r, i) => !full.has(i) && r.methods.some((s) => specTouches(s, m)));
  const fullList = service.rules.filter((_r, i) => full.has(i));
  const status: MethodStatus = fullList.length > 0 ? 'covered' : partial.length > 0 ? 'partial' : 'uncovered';
  return { method: m, label: methodLabel(m), status, full: fullList, partial };
}

function patternCoverage(rule: EngineRule, spec: MethodSpec, methods: readonly ApiMethod[]): PatternCoverage {
  if (methods.some((m) => specTouches(spec, m))) return { rule, spec, status: 'used' };
  // An HTTP pattern may select gRPC paths, but without an OpenAPI description nothing says it is dead.
  const checked = methods.some((m) => m.kind === spec.kind);
  return { rule, spec, status: checked ? 'unused' : 'unchecked' };
}

export function coverage(service: EngineService, methods: readonly ApiMethod[]): CoverageReport {
  return {
    service,
    methods: methods.map((m) => methodCoverage(service, m)),
    patterns: service.rules.flatMap((rule) => rule.methods.map((spec) => patternCoverage(rule, spec, methods))),
  };
}

/** Whom a rule opens its methods to, in one line (`require`, mode, allow and deny entries). */
export function callersText(rule: EngineRule): string {
  const conditions = [rule.mode === 'dry-run' ? 'dry-run' : '', rule.require.length > 0 ? `require ${rule.require.join('+')}` : ''].filter((s) => s !== '');
  const allow = rule.allow.length === 0 ? 'nobody (empty allow)' : rule.allow.map((e) => e.text).join(' | ');
  const deny = rule.deny.length === 0 ? '' : `; never ${rule.deny.map((e) => e.text).join(' | ')}`;
  return `${rule.name}${conditions.length > 0 ? ` (${conditions.join(', ')})` : ''}: ${allow}${deny}`;
}
