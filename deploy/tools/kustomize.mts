/**
 * A small `kubectl kustomize` for the kustomizations in deploy/kubernetes, so the committed
 * rendered manifests can be produced and checked where neither kubectl nor kustomize is
 * installed (Debian's kubernetes-client is 1.20, whose kustomize 2.0 predates `labels` and
 * `patches`; npm has no official package).
 *
 * It implements the subset these kustomizations use, the way kustomize 5.5 does it, and refuses
 * anything else rather than render it differently: resources (files and directories),
 * namespace, labels (pairs only), configMapGenerator (files, literals, behavior create /
 * replace / merge, name hash suffix), patches (strategic merge, from a file or inline), name
 * references to generated ConfigMaps, and kustomize's "legacy" output order. When kubectl is
 * present the tests compare this output with `kubectl kustomize`, object by object.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse, Document } from 'yaml';

type Obj = Record<string, unknown>;

export interface Resource {
  obj: Obj;
  /** Set on ConfigMaps made by configMapGenerator: the name before the hash suffix. */
  generatedName?: string;
  hashSuffix?: boolean;
}

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'configMapGenerator', 'patches']);
const GENERATOR_KEYS = new Set(['name', 'files', 'literals', 'behavior', 'options']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

/** kustomize's legacy order (api/resid/gvk.go): these kinds first, in this order; then the rest by kind; then webhooks. */
const ORDER_FIRST = ['Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange', 'PriorityClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget'];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** Merge keys of the lists the patches here touch (from the Kubernetes OpenAPI x-kubernetes-patch-merge-key). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

/** Renders a kustomization directory to the YAML stream `kubectl kustomize` prints. */
export function render(dir: string): string {
  const resources = finalize(build(path.resolve(dir)));
  return resources.map((r) => toYaml(r.obj)).join('---\n');
}

/** The objects of a render, in output order (for comparisons). */
export function renderObjects(dir: string): Obj[] {
  return finalize(build(path.resolve(dir))).map((r) => r.obj);
}

function build(dir: string): Resource[] {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const k = parse(fs.readFileSync(file, 'utf8')) as Obj;
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_KEYS.has(key)) throw new KustomizeError(`${file}: "${key}" is not supported by this renderer (it handles ${[...KUSTOMIZATION_KEYS].join(', ')})`);
  }
  let out: Resource[] = [];

  for (const entry of list<string>(k.resources, file, 'resources')) {
    const target = path.resolve(dir, entry);
    if (fs.statSync(target).isDirectory()) out.push(...build(target));
    else out.push(...readObjects(target).map((obj) => ({ obj })));
  }

  for (const g of list<Obj>(k.configMapGenerator, file, 'configMapGenerator')) {
    for (const key of Object.keys(g)) if (!GENERATOR_KEYS.has(key)) throw new KustomizeError(`${file}: configMapGenerator "${key}" is not supported`);
    const name = String(g.name);
    const data: Record<string, string> = {};
    for (const f of list<string>(g.files, file, 'files')) {
      const eq = f.indexOf('=');
      const [key, rel] = eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [path.basename(f), f];
      const abs = path.resolve(dir, rel);
      if (!abs.startsWith(dir + path.sep)) throw new KustomizeError(`${file}: ${f} is outside the kustomization directory (kustomize refuses that too)`);
      data[key] = fs.readFileSync(abs, 'utf8');
    }
    for (const l of list<string>(g.literals, file, 'literals')) {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new KustomizeError(`${file}: literal "${l}" is not KEY=VALUE`);
      data[l.slice(0, eq)] = l.slice(eq + 1);
    }
    const options = (g.options ?? {}) as Obj;
    for (const key of Object.keys(options)) if (key !== 'disableNameSuffixHash') throw new KustomizeError(`${file}: generator option "${key}" is not supported`);
    const behavior = (g.behavior as string | undefined) ?? 'create';
    const existing = out.find((r) => r.generatedName === name || (r.obj.kind === 'ConfigMap' && meta(r.obj).name === name));
    if (behavior === 'create') {
      if (existing) throw new KustomizeError(`${file}: ConfigMap ${name} already exists; use behavior: replace or merge`);
      out.push({ obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: sortKeys(data) }, generatedName: name, hashSuffix: options.disableNameSuffixHash !== true });
    } else if (behavior === 'replace' || behavior === 'merge') {
      if (!existing) throw new KustomizeError(`${file}: behavior ${behavior} needs an existing ConfigMap ${name}`);
      existing.obj.data = sortKeys(behavior === 'replace' ? data : { ...(existing.obj.data as Record<string, string>), ...data });
    } else throw new KustomizeError(`${file}: unknown behavior "${behavior}"`);
  }

  for (const p of list<Obj>(k.patches, file, 'patches')) {
    const docs = typeof p.path === 'string' ? readObjects(path.resolve(dir, p.path)) : typeof p.patch === 'string' ? parseObjects(p.patch, `${file} (inline patch)`) : [];
    if (!docs.length || Object.keys(p).some((key) => key !== 'path' && key !== 'patch')) throw new KustomizeError(`${file}: patches entries need a path or an inline patch (targets are not supported)`);
    for (const patch of docs) {
      const i = out.findIndex((r) => r.obj.kind === patch.kind && meta(r.obj).name === meta(patch).name);
      if (i < 0) throw new KustomizeError(`${file}: patch for ${String(patch.kind)} ${String(meta(patch).name)} matches no resource`);
      if (patch.$patch === 'delete') out.splice(i, 1);
      else strategicMerge(out[i].obj, patch);
    }
  }

  const namespace = k.namespace as string | undefined;
  const labels: Record<string, string> = {};
  for (const l of list<Obj>(k.labels, file, 'labels')) {
    for (const key of Object.keys(l)) if (key !== 'pairs') throw new KustomizeError(`${file}: labels "${key}" is not supported (only pairs)`);
    Object.assign(labels, l.pairs);
  }
  out = out.map((r) => {
    const m = meta(r.obj);
    if (namespace && !CLUSTER_SCOPED.has(String(r.obj.kind))) m.namespace = namespace;
    if (Object.keys(labels).length) m.labels = { ...((m.labels as Obj | undefined) ?? {}), ...labels };
    return r;
  });
  return out;
}

/** Hash suffixes, references to the renamed ConfigMaps, and output order. */
function finalize(resources: Resource[]): Resource[] {
  const renamed = new Map<string, string>(); // "namespace/name" -> new name
  for (const r of resources) {
    if (!r.generatedName || !r.hashSuffix) continue;
    const m = meta(r.obj);
    const name = `${r.generatedName}-${configMapHash(r.obj.data as Record<string, string>)}`;
    renamed.set(`${String(m.namespace ?? '')}/${r.generatedName}`, name);
    m.name = name;
  }
  for (const r of resources) {
    if (r.obj.kind === 'ConfigMap') continue;
    const ns = String(meta(r.obj).namespace ?? '');
    rewriteConfigMapRefs(r.obj, (n) => renamed.get(`${ns}/${n}`));
  }
  return [...resources].sort(legacyOrder);
}

/**
 * kustomize's ConfigMap name suffix: the first 10 hex digits of the SHA-256 of
 * {"data":...,"kind":"ConfigMap","name":""} as Go's json.Marshal writes it, with 0 1 3 a e
 * mapped to g h k m t. The name is empty because kustomize's hasher looks up "metadata/name"
 * as one field name (api/hasher), which finds nothing; matching that keeps the suffixes equal.
 */
export function configMapHash(data: Record<string, string>): string {
  const json = goJson({ data: sortKeys(data), kind: 'ConfigMap', name: '' });
  const hex = crypto.createHash('sha256').update(json).digest('hex');
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => map[c] ?? c).join('');
}

/** JSON as Go's encoding/json writes it: HTML-sensitive characters and U+2028/2029 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function rewriteConfigMapRefs(node: unknown, rename: (name: string) => string | undefined): void {
  if (Array.isArray(node)) return node.forEach((n) => rewriteConfigMapRefs(n, rename));
  if (!node || typeof node !== 'object') return;
  const o = node as Obj;
  for (const key of ['configMap', 'configMapRef', 'configMapKeyRef']) {
    const ref = o[key] as Obj | undefined;
    if (ref && typeof ref.name === 'string') {
      const n = rename(ref.name);
      if (n) ref.name = n;
    }
  }
  for (const v of Object.values(o)) rewriteConfigMapRefs(v, rename);
}

function strategicMerge(target: Obj, patch: Obj): void {
  for (const [key, pv] of Object.entries(patch)) {
    if (key === '$patch') continue;
    const tv = target[key];
    if (pv === null) delete target[key];
    else if (isObj(pv) && isObj(tv)) strategicMerge(tv, pv);
    else if (Array.isArray(pv) && Array.isArray(tv) && MERGE_KEYS[key]) target[key] = mergeList(tv as Obj[], pv as Obj[], MERGE_KEYS[key]);
    else target[key] = structuredClone(pv);
  }
}

/** A keyed list: patch items first, in patch order (as kustomize's kyaml merge does), then the untouched originals. */
function mergeList(target: Obj[], patch: Obj[], key: string): Obj[] {
  const out: Obj[] = [];
  const touched = new Set<unknown>();
  for (const p of patch) {
    touched.add(p[key]);
    if (p.$patch === 'delete') continue;
    const t = target.find((x) => x[key] === p[key]);
    const merged = t ? structuredClone(t) : {};
    strategicMerge(merged, p);
    out.push(merged);
  }
  return [...out, ...target.filter((t) => !touched.has(t[key]))];
}

function legacyOrder(a: Resource, b: Resource): number {
  const rank = (kind: string) => {
    const first = ORDER_FIRST.indexOf(kind);
    if (first >= 0) return first;
    const last = ORDER_LAST.indexOf(kind);
    return last >= 0 ? ORDER_FIRST.length + 1 + last : ORDER_FIRST.length;
  };
  const ka = String(a.obj.kind);
  const kb = String(b.obj.kind);
  return rank(ka) - rank(kb) || (rank(ka) === ORDER_FIRST.length ? ka.localeCompare(kb) : 0) || String(meta(a.obj).namespace ?? '').localeCompare(String(meta(b.obj).namespace ?? '')) || String(meta(a.obj).name).localeCompare(String(meta(b.obj).name));
}

/** YAML as kustomize prints it: keys sorted, lists not indented, multi-line strings as literal blocks. */
export function toYaml(obj: Obj): string {
  const doc = new Document(obj, { sortMapEntries: true });
  return doc.toString({ indentSeq: false, lineWidth: 0, blockQuote: 'literal' });
}

function readObjects(file: string): Obj[] {
  return parseObjects(fs.readFileSync(file, 'utf8'), file);
}

function parseObjects(text: string, where: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) throw new KustomizeError(`${where}: ${doc.errors[0].message.split('\n')[0]}`);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (!isObj(v) || typeof v.kind !== 'string') throw new KustomizeError(`${where}: every document must be a Kubernetes object with a kind`);
    out.push(v);
  }
  return out;
}

function list<T>(v: unknown, file: string, what: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${file}: ${what} must be a list`);
  return v as T[];
}

function meta(o: Obj): Obj {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
