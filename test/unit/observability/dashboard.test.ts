// The Grafana dashboard may only query metrics tollgate registers, with labels they carry.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';

const DASHBOARD = new URL('../../../demo/grafana/dashboards/tollgate.json', import.meta.url);

interface Target {
  readonly expr: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly query: { readonly query: string } }[] };
  readonly annotations: { readonly list: readonly { readonly expr: string }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Metric names of a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring)\s*\([^)]*\)/g, ' ')
    .replace(/label_values\(([^,]+),[^)]*\)/g, '$1');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    if (m[1] !== undefined || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

/** Label names used in matchers and in by (...) clauses. */
function labelNames(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)) out.push(l[1]!);
  for (const m of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) out.push(...m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  return out;
}

describe('Grafana dashboard', async () => {
  const registry = createMetrics().registry;
  const registered = new Map<string, { type: string; labels: readonly string[] }>();
  for (const m of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
    registered.set(m.name, { type: String(m.type), labels: metric.labelNames ?? [] });
  }
  const resolve = (name: string): { type: string; labels: readonly string[] } | undefined => {
    const direct = registered.get(name);
    if (direct !== undefined) return direct;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const histogram = registered.get(base);
    return histogram?.type === 'histogram' ? { ...histogram, labels: [...histogram.labels, ...(name.endsWith('_bucket') ? ['le'] : [])] } : undefined;
  };
  const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
  const exprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ...dashboard.templating.list.map((v) => ({ where: 'variable', expr: v.query.query })),
    ...dashboard.annotations.list.map((a) => ({ where: 'annotation', expr: a.expr })),
  ];

  it('has the panels the operators need', () => {
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const name of [
      'tollgate_decisions_total', 'tollgate_check_duration_seconds_bucket', 'tollgate_cache_requests_total',
      'tollgate_policy_reloads_total', 'tollgate_policy_generation', 'tollgate_jwks_refresh_total',
      'tollgate_jwks_age_seconds', 'tollgate_audit_dropped_total',
    ]) {
      expect(used, name).toContain(name);
    }
    expect(exprs.filter((e) => /histogram_quantile\(0\.5,/.test(e.expr))).not.toHaveLength(0);
    expect(exprs.filter((e) => /histogram_quantile\(0\.99,/.test(e.expr))).not.toHaveLength(0);
  });

  it('queries only metrics createMetrics() registers, with labels they have', () => {
    expect(exprs.length).toBeGreaterThan(10);
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      expect(names, `${where}: ${expr}`).not.toHaveLength(0);
      const known = names.map(resolve);
      names.forEach((n, i) => expect(known[i], `${where}: unknown metric ${n}`).toBeDefined());
      const allowed = new Set(known.flatMap((k) => k?.labels ?? []));
      for (const label of labelNames(expr)) expect(allowed.has(label), `${where}: label ${label} in ${expr}`).toBe(true);
    }
  });

  it('uses the demo Prometheus data source (uid prometheus) everywhere', () => {
    expect(dashboard.uid).toBe('tollgate');
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('prometheus');
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('prometheus');
    }
  });

  it('catches a metric that does not exist (the check itself works)', () => {
    expect(metricNames('sum by (le) (rate(tollgate_no_such_metric_bucket{service=~"$service"}[5m]))')).toEqual(['tollgate_no_such_metric_bucket']);
    expect(resolve('tollgate_no_such_metric_bucket')).toBeUndefined();
    expect(resolve('tollgate_decisions_total_bucket')).toBeUndefined();
  });
});
