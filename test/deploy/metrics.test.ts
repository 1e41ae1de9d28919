/**
 * Dashboards, alert rules and runbooks query only what the product exports (deploy/exported-
 * metrics.json), with the labels those series carry; and the dashboards link to traces and logs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { namesIn } from './promql';
import { alertQueries, dashboardFiles, dashboardQueries, runbookQueries, type Query } from './queries';
import { DEPLOY, exportedMetrics, seriesNames, type Obj } from './helpers';

const exported = exportedMetrics();

/** Series name -> the labels it may carry. */
const allowed = new Map<string, Set<string>>();
for (const m of exported.metrics) {
  const common = m.source === 'agent-metrics-endpoint' ? exported.scrapeLabels.labels : exported.resourceLabels;
  for (const s of seriesNames(m)) allowed.set(s, new Set([...m.labels, ...common, ...(s.endsWith('_bucket') ? ['le'] : [])]));
}
for (const e of exported.external) allowed.set(e.prometheus, new Set(e.labels));

function check(q: Query): string[] {
  const problems: string[] = [];
  const { selectors, grouping } = namesIn(q.expr);
  if (!selectors.length) problems.push(`${q.where}: no metric in ${q.expr}`);
  const labelsHere = new Set<string>(['le']);
  for (const s of selectors) {
    const name = s.metric ?? s.nameMatcher;
    const labels = name ? allowed.get(name) : undefined;
    if (!name || !labels) {
      problems.push(`${q.where}: "${name ?? '(no name)'}" is not a metric nodetel exports nor one of the listed external ones (deploy/exported-metrics.json)`);
      continue;
    }
    for (const l of labels) labelsHere.add(l);
    for (const l of s.labels) if (!labels.has(l)) problems.push(`${q.where}: ${name} has no label "${l}" (it has ${[...labels].sort().join(', ')})`);
  }
  for (const l of grouping) if (!labelsHere.has(l)) problems.push(`${q.where}: groups by "${l}", which none of its series carries`);
  return problems;
}

describe('queries name only exported metrics and their labels', () => {
  it('the reader finds names and labels', () => {
    expect(namesIn('sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{service_name=~"$service", http_route=~"$route"}[$__rate_interval]))')).toEqual({
      selectors: [{ metric: 'http_server_request_duration_seconds_bucket', labels: ['service_name', 'http_route'] }],
      grouping: ['le', 'http_route'],
    });
    expect(check({ where: 'x', expr: 'rate(http_requests_total[5m])' })).toEqual(['x: "http_requests_total" is not a metric nodetel exports nor one of the listed external ones (deploy/exported-metrics.json)']);
    expect(check({ where: 'x', expr: 'max by (pod) (nodejs_eventloop_delay_p99_seconds{route="/"})' })).toEqual([
      'x: nodejs_eventloop_delay_p99_seconds has no label "route" (it has deployment_environment_name, host_name, instance, job, k8s_container_name, k8s_deployment_name, k8s_namespace_name, k8s_node_name, k8s_pod_name, k8s_pod_uid, service_instance_id, service_name, service_namespace, service_version)',
      'x: groups by "pod", which none of its series carries',
    ]);
  });

  it.each([
    ['dashboards', dashboardQueries],
    ['alert rules', alertQueries],
    ['runbooks', runbookQueries],
  ] as const)('%s', (_what, queries) => {
    const qs = queries();
    expect(qs.length).toBeGreaterThan(5);
    expect(qs.flatMap(check)).toEqual([]);
  });

  it('every metric in the list is on a dashboard', () => {
    const used = new Set(dashboardQueries().flatMap((q) => namesIn(q.expr).selectors.map((s) => s.metric)));
    const missing = exported.metrics.filter((m) => !seriesNames(m).some((s) => used.has(s))).map((m) => m.prometheus);
    expect(missing).toEqual([]);
  });

  it('the list follows the exporter\'s translation: dots to underscores, unit suffix, _total for counters', () => {
    const suffix: Record<string, string> = { s: '_seconds', By: '_bytes', '1': '_ratio' };
    for (const m of exported.metrics.filter((x) => x.otlp)) {
      let expected = m.otlp!.replace(/\./g, '_') + (suffix[m.unit] ?? '');
      if (m.type === 'counter') expected += '_total';
      expect(m.prometheus, m.otlp!).toBe(expected);
      for (const l of m.labels) expect(l, m.prometheus).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    expect(new Set(exported.metrics.map((m) => m.prometheus)).size).toBe(exported.metrics.length);
  });
});

describe('dashboards', () => {
  const dashboards = dashboardFiles().map((f) => ({ name: path.basename(f), d: JSON.parse(fs.readFileSync(f, 'utf8')) as Obj }));

  it('cover RED by route, the runtime, and dependencies', () => {
    expect(dashboards.map((x) => x.d.uid).sort()).toEqual(['nodetel-dependencies', 'nodetel-red', 'nodetel-runtime']);
    const titles = (uid: string) => dashboards.find((x) => x.d.uid === uid)!.d.panels.map((p: Obj) => p.title as string);
    expect(titles('nodetel-red')).toEqual(expect.arrayContaining(['Rate by route', '5xx ratio by route', '4xx ratio by route', 'p50 latency by route', 'p95 latency by route', 'p99 latency by route']));
    expect(titles('nodetel-runtime')).toEqual(expect.arrayContaining(['Event-loop delay p99', 'GC pause p99', 'Heap used by space']));
    expect(titles('nodetel-dependencies')).toEqual(expect.arrayContaining(['Dependency up', 'Check latency p99']));
  });

  it('link panels to traces in Tempo and logs in Loki, and show exemplars on latency', () => {
    for (const { name, d } of dashboards) {
      const links = (d.panels as Obj[]).flatMap((p) => p.fieldConfig?.defaults?.links ?? []).map((l: Obj) => decodeURIComponent(l.url));
      expect(links.some((u) => u.includes('"type":"tempo"') && u.includes('"queryType":"traceql"')), `${name} links to Tempo`).toBe(true);
      if (name !== 'nodetel-dependencies.json') expect(links.some((u) => u.includes('"type":"loki"')), `${name} links to Loki`).toBe(true);
    }
    const red = dashboards.find((x) => x.d.uid === 'nodetel-red')!.d;
    const latency = (red.panels as Obj[]).filter((p) => /latency by route/.test(p.title));
    for (const p of latency) expect(p.targets[0].exemplar, p.title).toBe(true);
    const routeLinks = latency[0].fieldConfig.defaults.links.map((l: Obj) => decodeURIComponent(l.url));
    expect(routeLinks.some((u: string) => u.includes('span.http.route = \\"${__field.labels.http_route:percentencode}\\"') && u.includes('status = error'))).toBe(true);
  });

  it('the provisioned data sources link metrics to traces and traces to logs, both ways, by trace_id', () => {
    const ds = parse(fs.readFileSync(path.join(DEPLOY, 'grafana/provisioning/datasources.yaml'), 'utf8')) as Obj;
    const by = (type: string) => (ds.datasources as Obj[]).find((d) => d.type === type)!;
    expect(by('prometheus').jsonData.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: by('tempo').uid }]);
    expect(by('tempo').jsonData.tracesToLogsV2).toMatchObject({ datasourceUid: by('loki').uid, filterByTraceID: true });
    expect(by('loki').jsonData.derivedFields).toEqual([expect.objectContaining({ matcherType: 'label', matcherRegex: 'trace_id', datasourceUid: by('tempo').uid })]);
    // The dashboards' data-source variables pick these by type.
    for (const { d } of dashboards) expect((d.templating.list as Obj[]).filter((v) => v.type === 'datasource').map((v) => v.query).sort()).toEqual(['loki', 'prometheus', 'tempo']);
  });
});
