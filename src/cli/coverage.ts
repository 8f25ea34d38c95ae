// `tollgate coverage`: compares a service policy with the service's API description (.proto files,
// OpenAPI documents) and lists the methods no rule selects, the rule patterns that select no
// method, and the callers each method is open to. Exit 1 with --fail-on-uncovered, 2 usage.

import { isEngineService, type EngineService } from '../policy/compiled.js';
import type { LoadedPolicySet } from '../policy/load.js';
import type { ApiMethod } from '../tooling/api-methods.js';
import { callersText, coverage, type CoverageReport, type PatternCoverage } from '../tooling/coverage.js';
import { openApiMethods } from '../tooling/openapi-methods.js';
import { protoMethods } from '../tooling/proto-methods.js';
import { EXIT_FINDING, EXIT_OK, EXIT_USAGE, formatOf, loadOrReport, parseCommand, policiesDir, requireDirectory, UsageError, usageFailure } from './args.js';

export const COVERAGE_USAGE = `Usage: tollgate coverage (--proto FILE | --openapi FILE)... [--service S] [--policies DIR]
                         [--base-path /prefix] [--fail-on-uncovered] [--format text|json]

Compares a service policy (from DIR, default: $TOLLGATE_POLICIES, else ./policies) with the
service's own API description and lists:
  - every method no rule selects: all its calls will be denied (no_rule);
  - methods only partly selected (a rule matches some values of a path parameter only);
  - every rule pattern that selects no method of the API: a dead or mistyped grant;
  - the callers each method is open to (each selecting rule's require, allow and deny entries).

  --proto FILE          a .proto file; every rpc of its services (repeatable)
  --openapi FILE        an OpenAPI 3 (or Swagger 2.0) document, YAML or JSON (repeatable);
                        paths get the base path of its servers (or Swagger's basePath)
  --base-path /prefix   use this base path for OpenAPI paths instead
  --service S           the service policy to check (needed when DIR has several)
  --fail-on-uncovered   exit 1 when some method is selected by no rule
  --format text|json    output format (default text)

HTTP patterns are only judged dead when an OpenAPI document is given, gRPC patterns when a
.proto file is. Exit codes: 0 done, 1 an uncovered method with --fail-on-uncovered, 2 bad
usage, an unreadable API description or a policy set with errors.

Example:
  tollgate coverage --proto api/payments.proto --openapi api/payments.yaml --service payments
`;

const OPTIONS = {
  policies: { type: 'string' },
  proto: { type: 'string', multiple: true },
  openapi: { type: 'string', multiple: true },
  'base-path': { type: 'string' },
  service: { type: 'string' },
  'fail-on-uncovered': { type: 'boolean' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function pickService(set: LoadedPolicySet, name: string | undefined): EngineService {
  const names = [...set.services.keys()].sort();
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) throw new UsageError(`${names.length === 0 ? 'no service policies' : `several services (${names.join(', ')})`}: name one with --service`);
  const service = set.services.get(chosen);
  if (service === undefined || !isEngineService(service)) throw new UsageError(`no ServicePolicy for service ${chosen} (services: ${names.join(', ')})`);
  return service;
}

async function readMethods(protos: readonly string[], openapis: readonly string[], basePath: string | undefined): Promise<{ methods: ApiMethod[]; notes: string[] }> {
  const methods: ApiMethod[] = [];
  const notes: string[] = [];
  for (const file of protos) {
    methods.push(...(await protoMethods(file).catch((err: Error) => {
      throw new UsageError(`${file}: ${err.message}`);
    })));
  }
  for (const file of openapis) {
    const result = await openApiMethods(file, basePath).catch((err: Error) => {
      throw new UsageError(err.message.startsWith(file) ? err.message : `${file}: ${err.message}`);
    });
    methods.push(...result.methods);
    notes.push(...result.notes);
  }
  if (methods.length === 0) notes.push('the API description declares no methods');
  return { methods, notes };
}

function patternLine(p: PatternCoverage): string {
  const at = `${p.rule.position.file}:${p.rule.position.line}:${p.rule.position.col}`;
  return `  ${at}: rule ${p.rule.name}: ${p.spec.kind}: ${p.spec.text}`;
}

function textReport(r: CoverageReport, sources: readonly string[], notes: readonly string[]): string[] {
  const pos = r.service.position;
  const out = [`service ${r.service.name} (${pos.file}) against ${sources.join(', ')}: ${r.methods.length} methods`, '', 'methods:'];
  for (const m of r.methods) {
    if (m.status === 'uncovered') out.push(`  UNCOVERED  ${m.label}: no rule selects it; every call is denied (no_rule)`);
    else out.push(`  ${m.status === 'covered' ? 'covered  ' : 'partial  '}  ${m.label}${m.status === 'partial' ? ': only some of its paths are selected' : ''}`);
    for (const rule of [...m.full, ...m.partial]) out.push(`               ${m.full.includes(rule) ? '' : '(some paths) '}${callersText(rule)}`);
  }
  const unused = r.patterns.filter((p) => p.status === 'unused');
  const unchecked = r.patterns.filter((p) => p.status === 'unchecked');
  out.push('', unused.length === 0 ? 'every rule pattern selects some method' : 'rule patterns that select no method:', ...unused.map(patternLine));
  if (unchecked.length > 0) out.push('not checked (the API description has no methods of their kind):', ...unchecked.map(patternLine));
  const count = (s: string) => r.methods.filter((m) => m.status === s).length;
  out.push('', ...notes.map((n) => `note: ${n}`));
  out.push(`${r.methods.length} methods: ${count('covered')} covered, ${count('partial')} partly covered, ${count('uncovered')} uncovered; ${unused.length} dead patterns`);
  return out;
}

function jsonReport(r: CoverageReport, notes: readonly string[]): unknown {
  return {
    service: r.service.name,
    methods: r.methods.map((m) => ({
      method: m.label, kind: m.method.kind, source: m.method.source, status: m.status,
      rules: m.full.map((x) => x.name), partial_rules: m.partial.map((x) => x.name),
      callers: [...m.full, ...m.partial].map(callersText),
    })),
    patterns: r.patterns.map((p) => ({ rule: p.rule.name, kind: p.spec.kind, pattern: p.spec.text, status: p.status, position: p.rule.position })),
    notes,
  };
}

export async function coverageCommand(argv: readonly string[]): Promise<number> {
  let values;
  let format: 'text' | 'json';
  try {
    values = parseCommand(argv, OPTIONS, false).values;
    if (values.help === true) {
      process.stdout.write(COVERAGE_USAGE);
      return EXIT_OK;
    }
    if (values.proto === undefined && values.openapi === undefined) throw new UsageError('give the API description: --proto FILE or --openapi FILE');
    format = formatOf(values.format, ['text', 'json'] as const);
    await requireDirectory(policiesDir(values.policies));
  } catch (err) {
    return usageFailure('coverage', err);
  }
  const loaded = await loadOrReport('coverage', policiesDir(values.policies));
  if (loaded === undefined) return EXIT_USAGE;
  let report: CoverageReport;
  let notes: string[];
  try {
    const service = pickService(loaded.snapshot, values.service);
    const read = await readMethods(values.proto ?? [], values.openapi ?? [], values['base-path']);
    notes = read.notes;
    report = coverage(service, read.methods);
  } catch (err) {
    return usageFailure('coverage', err);
  }
  const sources = [...(values.proto ?? []), ...(values.openapi ?? [])];
  const text = format === 'json' ? JSON.stringify(jsonReport(report, notes), null, 2) : textReport(report, sources, notes).join('\n');
  process.stdout.write(`${text}\n`);
  const uncovered = report.methods.some((m) => m.status === 'uncovered');
  return values['fail-on-uncovered'] === true && uncovered ? EXIT_FINDING : EXIT_OK;
}
