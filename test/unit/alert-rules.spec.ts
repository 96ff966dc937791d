import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { parse, stringify } from 'yaml';
import { ApiMetrics } from '../../src/observability/metrics/api-metrics';
import { PROMETHEUS_METRICS, TEMPORAL_SDK_METRICS, TEMPORAL_SERVER_METRICS } from '../../src/observability/metrics/external-metrics';
import { WorkerMetrics } from '../../src/observability/metrics/worker-metrics';

/**
 * The alerting rules and the Grafana dashboard are PromQL that no compiler checks: promtool parses
 * and unit-tests them here, and every metric they name must be one that something exports.
 */

const root = resolve(__dirname, '..', '..');
const prometheusDir = join(root, 'deploy', 'prometheus');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\(|[a-zA-Z0-9_:])/g)].map((m) => m[0]);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

/** Every series name Intake's registries can expose (histograms as their _bucket, _sum and _count). */
async function intakeSeriesNames(): Promise<Set<string>> {
  // An empty scratch dir: the scratch gauge walks it at collect time (the whole of /tmp took seconds).
  const scratch = mkdtempSync(join(tmpdir(), 'intake-scratch-'));
  const registries = [new ApiMetrics({ query: async () => [] } as unknown as DataSource, 10).registry, new WorkerMetrics(scratch).registry];
  const names = new Set<string>();
  for (const registry of registries) {
    for (const { name, type } of await registry.getMetricsAsJSON()) {
      if (String(type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      else names.add(name);
    }
  }
  return names;
}

const rules = parse(read('deploy/prometheus/alerts.yml')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
const dashboard = JSON.parse(read('deploy/grafana/intake.json')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));

function promtool(args: string[], cwd: string): string {
  try {
    return execFileSync('promtool', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('alerting rules and dashboard', () => {
  it('the rules file is valid and every alert passes its promtool unit tests', () => {
    expect(promtool(['check', 'rules', 'alerts.yml'], prometheusDir)).toMatch(`SUCCESS: ${ruleExprs.length} rules found`);
    expect(promtool(['test', 'rules', 'alerts.test.yml'], prometheusDir)).toMatch(/SUCCESS/);
  });

  it("every dashboard query parses (as a recording rule, promtool's parser)", () => {
    expect(dashboardExprs.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), 'intake-dashboard-'));
    try {
      const asRules = { groups: [{ name: 'dashboard', rules: dashboardExprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: e.expr })) }] };
      writeFileSync(join(dir, 'dashboard.yml'), stringify(asRules));
      expect(promtool(['check', 'rules', 'dashboard.yml'], dir)).toMatch(`SUCCESS: ${dashboardExprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every metric the rules and the dashboard name is exported by Intake, Temporal or Prometheus', async () => {
    const known = new Set([...(await intakeSeriesNames()), ...TEMPORAL_SERVER_METRICS, ...TEMPORAL_SDK_METRICS, ...PROMETHEUS_METRICS]);
    const unknown = [...ruleExprs, ...dashboardExprs].flatMap(({ where, expr }) =>
      metricNames(expr).filter((name) => !known.has(name)).map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('docs/metrics.md describes every metric Intake defines', async () => {
    const docs = read('docs/metrics.md');
    const defined = [...(await intakeSeriesNames())].filter((n) => n.startsWith('intake_')).map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect([...new Set(defined)].filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });

  it('finds metric names in PromQL, and nothing else', () => {
    expect(
      metricNames('histogram_quantile(0.95, sum by (le, kind) (rate(intake_upload_processing_seconds_bucket{kind=~"v.*"}[15m]))) > 2'),
    ).toEqual(['intake_upload_processing_seconds_bucket']);
    expect(metricNames('sum(rate(a_total{status="x y"}[5m])) / on (job) group_left b > bool 0.5')).toEqual(['a_total', 'b']);
  });
});
