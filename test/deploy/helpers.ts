/** Shared by the deploy tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEPLOY = path.join(ROOT, 'deploy');

export type Obj = Record<string, any>;

export function readYamlObjects(file: string): Obj[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);
}

export interface ExportedMetric {
  otlp: string | null;
  prometheus: string;
  type: 'histogram' | 'gauge' | 'counter';
  unit: string;
  source: string;
  labels: string[];
}

export interface ExportedMetrics {
  metrics: ExportedMetric[];
  resourceLabels: string[];
  scrapeLabels: { labels: string[] };
  external: { prometheus: string; labels: string[]; source: string }[];
}

export function exportedMetrics(): ExportedMetrics {
  return JSON.parse(fs.readFileSync(path.join(DEPLOY, 'exported-metrics.json'), 'utf8')) as ExportedMetrics;
}

/** The series names Prometheus holds for a metric of the list. */
export function seriesNames(m: ExportedMetric): string[] {
  return m.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.prometheus + s) : [m.prometheus];
}

/** `command` on PATH, or undefined. */
export function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** kubectl with a kustomize 5 built in (Debian's kubernetes-client 1.20 has kustomize 2, too old). */
export function kubectlWithKustomize5(): string | undefined {
  const kubectl = which('kubectl');
  if (!kubectl) return undefined;
  try {
    const v = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
    return /Kustomize Version: v5\./.test(v) ? kubectl : undefined;
  } catch {
    return undefined;
  }
}

/** promtool, required: .ci/run installs Debian's prometheus package. */
export function promtool(): string {
  const p = which('promtool');
  if (!p) throw new Error('promtool is not installed: `apt-get install prometheus` (as .ci/run does)');
  return p;
}
