/** The PromQL of the dashboards, the alert rules and the runbooks, each with where it comes from. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEPLOY, type Obj } from './helpers';

export interface Query {
  where: string;
  expr: string;
}

export function dashboardFiles(): string[] {
  const dir = path.join(DEPLOY, 'grafana/dashboards');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
}

export function dashboardQueries(): Query[] {
  const out: Query[] = [];
  for (const file of dashboardFiles()) {
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as Obj;
    for (const p of d.panels as Obj[]) {
      for (const t of p.targets ?? []) if (t.datasource?.type === 'prometheus') out.push({ where: `${path.basename(file)} "${p.title}" ${t.refId}`, expr: t.expr });
    }
    for (const v of d.templating.list as Obj[]) {
      if (v.type !== 'query') continue;
      const m = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(v.query.query);
      if (!m) throw new Error(`${path.basename(file)} variable ${v.name}: not label_values(selector, label): ${v.query.query}`);
      out.push({ where: `${path.basename(file)} variable ${v.name}`, expr: `group by (${m![2]}) (${m![1]})` });
    }
  }
  return out;
}

export function alertQueries(): Query[] {
  const rules = parse(fs.readFileSync(path.join(DEPLOY, 'prometheus/alerts.yaml'), 'utf8')) as Obj;
  return (rules.groups as Obj[]).flatMap((g) => (g.rules as Obj[]).map((r) => ({ where: `alerts.yaml ${r.alert ?? r.record}`, expr: r.expr as string })));
}

export function runbookQueries(): Query[] {
  const out: Query[] = [];
  const dir = path.join(DEPLOY, 'runbooks');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.md'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const block of text.matchAll(/```promql\n([\s\S]*?)```/g)) {
      // One query per line; a line that starts with spaces continues the one before.
      const queries: string[] = [];
      for (const line of block[1].split('\n').filter((l) => l.trim())) {
        if (/^\s/.test(line) && queries.length) queries[queries.length - 1] += ` ${line.trim()}`;
        else queries.push(line);
      }
      out.push(...queries.map((expr) => ({ where: f, expr })));
    }
  }
  return out;
}

export const ALL_QUERIES = (): Query[] => [...dashboardQueries(), ...alertQueries(), ...runbookQueries()];

