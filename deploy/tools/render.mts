/**
 * Renders every generated file under deploy/ from its one source, so reviewers see exactly what
 * will run (the files are committed; test/deploy checks they are current):
 *
 *   collector-config/collector.yaml  -> deploy/kubernetes/base/collector.yaml (kustomize reads
 *                                       files only from below the kustomization)
 *   deploy/kubernetes/base           -> deploy/kubernetes/rendered/sidecar.yaml
 *   deploy/kubernetes/overlays/gateway -> deploy/kubernetes/rendered/gateway.yaml
 *   deploy/tools/dashboards.mts      -> deploy/grafana/dashboards/*.json
 *
 *   node deploy/tools/render.mts          write the files
 *   node deploy/tools/render.mts --check  write nothing; exit 1 and list the stale files
 *
 * The manifests are rendered by deploy/tools/kustomize.mts, which prints what `kubectl
 * kustomize` prints for these kustomizations (compared in test/deploy when kubectl is installed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from './kustomize.mts';
import { dashboards } from './dashboards.mts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Repository-relative path -> expected content. */
export function outputs(): Record<string, string> {
  const out: Record<string, string> = {};
  // The copy first: the base renders from it.
  out['deploy/kubernetes/base/collector.yaml'] = fs.readFileSync(path.join(ROOT, 'collector-config/collector.yaml'), 'utf8');
  return out;
}

/** Writes or checks everything; returns the stale paths. */
export function run(check: boolean): string[] {
  const stale: string[] = [];
  const put = (rel: string, content: string) => {
    const file = path.join(ROOT, rel);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === content) return;
    stale.push(rel);
    if (!check) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  };
  for (const [rel, content] of Object.entries(outputs())) put(rel, content);
  // Rendering reads the copy from disk; in --check mode a stale copy is reported above and
  // the manifests are compared as they would be rendered from the fresh copy.
  const withFreshCopy = <T,>(fn: () => T): T => {
    if (!check) return fn();
    const copy = path.join(ROOT, 'deploy/kubernetes/base/collector.yaml');
    const saved = fs.existsSync(copy) ? fs.readFileSync(copy, 'utf8') : undefined;
    const fresh = outputs()['deploy/kubernetes/base/collector.yaml'];
    if (saved === fresh) return fn();
    fs.writeFileSync(copy, fresh);
    try {
      return fn();
    } finally {
      if (saved === undefined) fs.rmSync(copy);
      else fs.writeFileSync(copy, saved);
    }
  };
  withFreshCopy(() => {
    put('deploy/kubernetes/rendered/sidecar.yaml', render(path.join(ROOT, 'deploy/kubernetes/base')));
    put('deploy/kubernetes/rendered/gateway.yaml', render(path.join(ROOT, 'deploy/kubernetes/overlays/gateway')));
  });
  for (const [name, json] of Object.entries(dashboards())) put(`deploy/grafana/dashboards/${name}`, json);
  return stale;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = run(check);
  if (check && stale.length) {
    process.stderr.write(`stale (run node deploy/tools/render.mts):\n${stale.map((s) => `  ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(stale.length ? `${check ? 'stale' : 'wrote'}:\n${stale.map((s) => `  ${s}`).join('\n')}\n` : 'up to date\n');
  }
}
