/**
 * deploy/prometheus with Debian's promtool: the rules load, their unit tests pass, every alert has
 * a firing and a non-firing case (and the cases bite: with alerts that never fire the firing cases
 * fail), severities page only for user impact, and every alert has its runbook.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEPLOY, promtool, type Obj } from './helpers';

const PROM = path.join(DEPLOY, 'prometheus');
const rules = parse(fs.readFileSync(path.join(PROM, 'alerts.yaml'), 'utf8')) as Obj;
const alerts = (rules.groups as Obj[]).flatMap((g) => g.rules as Obj[]).filter((r) => r.alert);
const tests = parse(fs.readFileSync(path.join(PROM, 'alerts.test.yaml'), 'utf8')) as Obj;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetel-promtool-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd = PROM) {
  const r = spawnSync(promtool(), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Page only where users are hurt now. */
const PAGING = ['NodetelHighErrorRatio', 'NodetelLatencyP99AboveSLO', 'NodetelDependencyDown'];

describe('alert rules', () => {
  it('`promtool check rules` accepts them', () => {
    const r = run(['check', 'rules', 'alerts.yaml']);
    expect(r.out).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(r.code).toBe(0);
  });

  it('`promtool test rules` passes', () => {
    const r = run(['test', 'rules', 'alerts.test.yaml']);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('cover what issue 7 asks for', () => {
    const exprOf = (name: string) => alerts.find((a) => a.alert === name)!.expr as string;
    expect(exprOf('NodetelHighErrorRatio')).toMatch(/http_response_status_code=~"5\.\."/);
    expect(exprOf('NodetelHighErrorRatio')).toMatch(/> 0\.01/);
    expect(alerts.find((a) => a.alert === 'NodetelHighErrorRatio')!.for).toBe('5m');
    expect(exprOf('NodetelLatencyP99AboveSLO')).toMatch(/histogram_quantile\(0\.99,/);
    expect(exprOf('NodetelDependencyDown')).toMatch(/nodetel_dependency_up/);
    expect(exprOf('NodetelEventLoopDelayHigh')).toMatch(/nodejs_eventloop_delay_p99_seconds/);
    expect(exprOf('NodetelContainerRestarting')).toMatch(/kube_pod_container_status_restarts_total/);
    expect(exprOf('NodetelTelemetryDropped')).toMatch(/nodetel_telemetry_dropped_total/);
    expect(exprOf('NodetelCollectorExportFailing')).toMatch(/otelcol_exporter_send_failed_/);
    expect(exprOf('NodetelCollectorDroppingData')).toMatch(/otelcol_processor_refused_/);
    expect(exprOf('NodetelCollectorDroppingData')).toMatch(/otelcol_receiver_refused_/);
  });

  it.each(alerts.map((a) => [a.alert as string, a]))('%s: severity, summary, description, runbook', (name, a) => {
    const alert = a as Obj;
    expect(alert.labels.severity).toBe(PAGING.includes(name) ? 'page' : 'warning');
    expect(alert.annotations.summary).toBeTruthy();
    expect(alert.annotations.description).toBeTruthy();
    expect(alert.annotations.runbook_url).toBe(`https://github.com/nodetel/nodetel/blob/main/deploy/runbooks/${name}.md`);
    const runbook = fs.readFileSync(path.join(DEPLOY, 'runbooks', `${name}.md`), 'utf8');
    expect(runbook).toMatch(new RegExp(`^# ${name}\\n`));
    expect(runbook).toMatch(/\*\*Severity: (page|warning)\.\*\*/);
    expect(runbook.match(/\*\*Severity: (page|warning)\.\*\*/)![1]).toBe(alert.labels.severity);
    for (const section of ['## What it means', '## Investigate', '## Mitigate']) expect(runbook, `${name}.md ${section}`).toContain(section);
    for (const lang of ['promql', 'logql', 'traceql']) expect(runbook, `${name}.md has a ${lang} block`).toContain(`\`\`\`${lang}\n`);
  });

  it('every runbook belongs to an alert, and the index lists them all', () => {
    const pages = fs.readdirSync(path.join(DEPLOY, 'runbooks')).filter((f) => f !== 'README.md');
    expect(pages.sort()).toEqual(alerts.map((a) => `${a.alert}.md`).sort());
    const index = fs.readFileSync(path.join(DEPLOY, 'runbooks/README.md'), 'utf8');
    for (const a of alerts) expect(index).toContain(`[${a.alert}.md](${a.alert}.md)`);
  });

  it.each(alerts.map((a) => a.alert as string))('%s has a case where it fires and one where it does not', (name) => {
    const cases = (tests.tests as Obj[]).flatMap((t) => (t.alert_rule_test ?? []) as Obj[]).filter((c) => c.alertname === name);
    expect(cases.some((c) => (c.exp_alerts ?? []).length > 0), 'a firing case').toBe(true);
    expect(cases.some((c) => (c.exp_alerts ?? []).length === 0), 'a non-firing case').toBe(true);
  });

  it('the firing cases bite: with alerts that never fire, every one of them fails', () => {
    const never = structuredClone(rules);
    for (const g of never.groups as Obj[]) for (const r of g.rules as Obj[]) r.expr = 'vector(1) > 2';
    fs.writeFileSync(path.join(tmp, 'alerts.yaml'), stringify(never));
    fs.copyFileSync(path.join(PROM, 'alerts.test.yaml'), path.join(tmp, 'alerts.test.yaml'));
    const r = run(['test', 'rules', 'alerts.test.yaml'], tmp);
    expect(r.code).not.toBe(0);
    for (const a of alerts) expect(r.out, a.alert).toContain(`alertname: ${a.alert}, time:`);
  });
});

describe('prometheus.yml', () => {
  it('`promtool check config` accepts it with the Kubernetes discovery swapped for static targets', () => {
    // Debian builds Prometheus without Kubernetes service discovery (its client library is not
    // packaged), so Debian's promtool rejects kubernetes_sd_configs. Everything else is checked:
    // the rule file, honor_labels, every relabeling rule.
    const config = parse(fs.readFileSync(path.join(PROM, 'prometheus.yml'), 'utf8')) as Obj;
    expect(config.scrape_configs.map((s: Obj) => s.job_name)).toEqual(['nodetel-otel', 'nodetel-collector', 'nodetel-agent']);
    for (const s of config.scrape_configs as Obj[]) {
      expect(s.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
      delete s.kubernetes_sd_configs;
      s.static_configs = [{ targets: ['127.0.0.1:9'] }];
    }
    expect(config.scrape_configs[0].honor_labels).toBe(true);
    fs.writeFileSync(path.join(tmp, 'prometheus.yml'), stringify(config));
    fs.copyFileSync(path.join(PROM, 'alerts.yaml'), path.join(tmp, 'alerts.yaml'));
    const r = run(['check', 'config', 'prometheus.yml'], tmp);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
