/**
 * Checks OpenTelemetry Collector configuration files without a Collector: every component
 * against the contrib distribution's list, the pipelines' wiring, and the `${env:...}`
 * references. Several files are merged as the Collector merges several --config flags (maps key
 * by key, lists and scalars replaced), then checked as one.
 */
import { LineCounter, parseDocument, isMap, isScalar, isSeq, isPair, type Document, type Node } from 'yaml';
import { expandAll, tokenize, lookup, type Env } from './env-refs';
import { distance, findType, loadCatalog, suggest, KINDS, SIGNALS, type Catalog, type Kind, type Signal } from './components';

export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  severity: Severity;
  /** Stable identifier of the rule, for tests and for grep. */
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface Source {
  /** Shown in findings (a path, or "<stdin>"). */
  name: string;
  text: string;
}

export interface ValidateOptions {
  /** The environment references are resolved against; default {} (defaults only). */
  env?: Env;
  catalog?: Catalog;
}

export interface ValidationResult {
  /** No finding of severity error. */
  ok: boolean;
  findings: Finding[];
  /** The merged configuration with references expanded, when the files parsed. */
  resolved?: Record<string, unknown>;
}

interface Parsed {
  source: Source;
  doc: Document;
  lines: LineCounter;
}

type Path = (string | number)[];

const TOP_LEVEL = new Set<string>([...KINDS, 'service']);
const PIPELINE_KEYS = new Set(['receivers', 'processors', 'exporters']);
const ID = /^[a-zA-Z][0-9a-zA-Z_]{0,62}(\/[^\s/][^\s]*)?$/;

const KIND_NOUN: Record<Kind, string> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  connectors: 'connector',
  extensions: 'extension',
};

export function validateCollectorConfig(sources: Source[], options: ValidateOptions = {}): ValidationResult {
  const env = options.env ?? {};
  const catalog = options.catalog ?? loadCatalog();
  const findings: Finding[] = [];
  const parsed: Parsed[] = [];

  for (const source of sources) {
    const lines = new LineCounter();
    const doc = parseDocument(source.text, { lineCounter: lines, uniqueKeys: true, merge: true, prettyErrors: false });
    for (const e of doc.errors) {
      if (e.code === 'DUPLICATE_KEY') continue; // reported below, at the second key
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      findings.push({ severity: 'error', code: 'yaml', message: `YAML: ${firstLine(e.message)}`, file: source.name, line: pos?.line, column: pos?.col });
    }
    if (doc.errors.some((e) => e.code === 'DUPLICATE_KEY')) findings.push(...duplicateKeys(source, lines));
    if (doc.errors.length) continue;
    const root: unknown = doc.contents;
    if (root !== null && !isMap(root)) {
      findings.push({ severity: 'error', code: 'not-a-map', message: 'the file must be a YAML mapping (receivers:, processors:, exporters:, service: ...)', file: source.name, line: 1 });
      continue;
    }
    parsed.push({ source, doc, lines });
    scanReferences(parsed[parsed.length - 1], env, findings);
  }
  const order = sources.map((s) => s.name);
  if (parsed.length !== sources.length) return finish(findings, order);

  const raw = parsed.reduce<Record<string, unknown>>((acc, p) => merge(acc, (p.doc.toJS() ?? {}) as Record<string, unknown>) as Record<string, unknown>, {});
  const resolved = expandAll(raw, env) as Record<string, unknown>;
  const at = (path: Path) => locate(parsed, path);
  const report = (severity: Severity, code: string, message: string, path: Path = []) => findings.push({ severity, code, message, ...at(path) });

  checkStructure(raw, resolved, catalog, env, report);
  return { ...finish(findings, order), resolved };
}

/** Findings in file order (as given), then line, errors first. */
function finish(findings: Finding[], files: string[]): ValidationResult {
  const rank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
  findings.sort((a, b) => files.indexOf(a.file ?? '') - files.indexOf(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || rank[a.severity] - rank[b.severity]);
  return { ok: !findings.some((f) => f.severity === 'error'), findings };
}

// ---------------------------------------------------------------------------------------------
// References

function scanReferences(p: Parsed, env: Env, findings: Finding[]): void {
  const visit = (node: unknown, isKey: boolean) => {
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) {
          visit(item.key, true);
          visit(item.value, false);
        } else visit(item, false);
      }
      return;
    }
    if (!isScalar(node) || typeof node.value !== 'string') return;
    const tokens = tokenize(node.value);
    if (!tokens.some((t) => t.kind !== 'text')) return;
    const pos = node.range ? p.lines.linePos(node.range[0]) : undefined;
    const where = { file: p.source.name, line: pos?.line, column: pos?.col };
    if (isKey) {
      findings.push({ severity: 'error', code: 'env-in-key', message: `"${node.value}": references in keys are not expanded by the Collector`, ...where });
      return;
    }
    for (const t of tokens) {
      if (t.kind === 'problem') findings.push({ severity: t.severity, code: 'env-syntax', message: t.message, ...where });
      else if (t.kind === 'other-scheme') findings.push({ severity: 'note', code: 'env-other-provider', message: `"${t.raw}" is read by the ${t.scheme} provider when the Collector starts; not checked here`, ...where });
      else if (t.kind === 'env' && lookup(t, env) === undefined) {
        findings.push({
          severity: 'error',
          code: 'env-unset',
          message: `${t.name} is not set and "${t.raw}" has no default: the Collector would use an empty value; set it or write \${env:${t.name}:-default}`,
          ...where,
        });
      }
    }
  };
  visit(p.doc.contents, false);
}

// ---------------------------------------------------------------------------------------------
// Structure and wiring

type Report = (severity: Severity, code: string, message: string, path?: Path) => void;

interface PipelineRef {
  pipeline: string;
  signal: Signal | undefined;
  role: 'receivers' | 'processors' | 'exporters';
  id: string;
  /** The entry came from an env reference, e.g. ${env:NODETEL_METRICS_EXPORTER:-prometheus}. */
  choice?: { raw: string; names: string[] };
  index: number;
}

function checkStructure(raw: Record<string, unknown>, cfg: Record<string, unknown>, catalog: Catalog, env: Env, report: Report): void {
  for (const key of Object.keys(cfg)) {
    if (!TOP_LEVEL.has(key)) report('error', 'unknown-section', `unknown top-level key "${key}" (expected ${[...TOP_LEVEL].join(', ')})`, [key]);
  }

  // Defined components.
  const defined = {} as Record<Kind, Map<string, unknown>>;
  for (const kind of KINDS) {
    defined[kind] = new Map();
    const section = cfg[kind];
    if (section === undefined || section === null) continue;
    if (!isObject(section)) {
      report('error', 'section-type', `"${kind}" must be a mapping of component ids to their settings`, [kind]);
      continue;
    }
    for (const [id, settings] of Object.entries(section)) {
      defined[kind].set(id, settings);
      const type = typeOf(id);
      if (!ID.test(id)) {
        report('error', 'bad-id', `${KIND_NOUN[kind]} id "${id}" is malformed: it must be type or type/name`, [kind, id]);
        continue;
      }
      if (!findType(catalog, kind, type)) {
        const near = suggest(catalog, kind, type);
        report(
          'error',
          'unknown-component',
          `unknown ${KIND_NOUN[kind]} type "${type}" (not in ${catalog.distribution} ${catalog.version})` + (near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''),
          [kind, id],
        );
      }
      if (settings !== null && settings !== undefined && !isObject(settings)) {
        report('error', 'settings-type', `the settings of ${KIND_NOUN[kind]} "${id}" must be a mapping (or empty)`, [kind, id]);
      }
    }
  }

  const service = cfg.service;
  if (!isObject(service)) {
    report('error', 'no-service', 'no "service" section: the Collector needs service::pipelines', service === undefined ? [] : ['service']);
    return;
  }
  const pipelines = service.pipelines;
  if (!isObject(pipelines) || Object.keys(pipelines).length === 0) {
    report('error', 'no-pipelines', 'service::pipelines is missing or empty: define at least one pipeline (traces, metrics, logs)', ['service']);
    return;
  }

  // Extensions: listed ones defined, defined ones listed.
  const listedExt = service.extensions ?? [];
  if (!Array.isArray(listedExt)) report('error', 'list-type', 'service::extensions must be a list', ['service', 'extensions']);
  else {
    listedExt.forEach((id, i) => {
      if (typeof id !== 'string') return report('error', 'list-type', 'service::extensions entries must be strings', ['service', 'extensions', i]);
      if (!defined.extensions.has(id)) report('error', 'undefined-component', `service::extensions lists "${id}", which is not defined under extensions${nearDefined(defined.extensions, id)}`, ['service', 'extensions', i]);
    });
    for (const id of defined.extensions.keys()) {
      if (!listedExt.includes(id)) report('error', 'unused-component', `extension "${id}" is defined but not listed in service::extensions, so it never starts`, ['extensions', id]);
    }
  }

  // Pipelines.
  const refs: PipelineRef[] = [];
  const rawPipelines = (isObject(raw.service) && isObject(raw.service.pipelines) ? raw.service.pipelines : {}) as Record<string, unknown>;
  for (const [name, p] of Object.entries(pipelines)) {
    const signal = SIGNALS.find((s) => name === s || name.startsWith(`${s}/`));
    if (!signal) report('error', 'pipeline-type', `pipeline "${name}" must be named traces, metrics, logs or profiles (optionally followed by /name)`, ['service', 'pipelines', name]);
    if (!isObject(p)) {
      report('error', 'pipeline-type', `pipeline "${name}" must be a mapping with receivers, processors and exporters`, ['service', 'pipelines', name]);
      continue;
    }
    for (const k of Object.keys(p)) {
      if (!PIPELINE_KEYS.has(k)) report('error', 'pipeline-key', `pipeline "${name}" has an unknown key "${k}" (expected receivers, processors, exporters)`, ['service', 'pipelines', name, k]);
    }
    const rawP = isObject(rawPipelines[name]) ? rawPipelines[name] : {};
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const list = p[role];
      const path: Path = ['service', 'pipelines', name, role];
      if (list === undefined || list === null) {
        if (role !== 'processors') report('error', 'pipeline-incomplete', `pipeline "${name}" has no ${role}: every pipeline needs at least one ${role.slice(0, -1)}`, ['service', 'pipelines', name]);
        continue;
      }
      if (!Array.isArray(list)) {
        report('error', 'list-type', `${role} of pipeline "${name}" must be a list`, path);
        continue;
      }
      if (list.length === 0 && role !== 'processors') report('error', 'pipeline-incomplete', `pipeline "${name}" has an empty ${role} list: every pipeline needs at least one ${role.slice(0, -1)}`, path);
      const rawList = Array.isArray(rawP[role]) ? (rawP[role] as unknown[]) : [];
      const seen = new Set<string>();
      list.forEach((id, index) => {
        if (typeof id !== 'string' || id === '') return report('error', 'list-type', `${role} of pipeline "${name}" must list component ids (strings); entry ${index + 1} is ${JSON.stringify(id)}`, [...path, index]);
        if (seen.has(id)) report('error', 'duplicate-ref', `pipeline "${name}" lists ${role.slice(0, -1)} "${id}" twice`, [...path, index]);
        seen.add(id);
        const rawEntry = rawList[index];
        const names = typeof rawEntry === 'string' ? tokenize(rawEntry).flatMap((t) => (t.kind === 'env' ? [t.name] : [])) : [];
        refs.push({ pipeline: name, signal, role, id, index, choice: names.length && typeof rawEntry === 'string' ? { raw: rawEntry, names } : undefined });
      });
    }
  }

  // Every reference defined, with the right signal.
  const pipelineNames = new Set(Object.keys(pipelines));
  for (const r of refs) {
    const path: Path = ['service', 'pipelines', r.pipeline, r.role, r.index];
    const via = r.choice ? ` (from ${r.choice.raw}${describeEnv(r.choice.names, env)})` : '';
    const kinds: Kind[] = r.role === 'processors' ? ['processors'] : r.role === 'receivers' ? ['receivers', 'connectors'] : ['exporters', 'connectors'];
    const kind = kinds.find((k) => defined[k].has(r.id));
    if (!kind) {
      const noun = r.role.slice(0, -1);
      report('error', 'undefined-component', `pipeline "${r.pipeline}" references ${noun} "${r.id}"${via}, which is not defined under ${kinds.join(' or ')}${nearDefined(defined[kinds[0]], r.id)}`, path);
      continue;
    }
    if (kind === 'connectors' || !r.signal) continue;
    const info = findType(catalog, kind, typeOf(r.id));
    if (info?.signals && r.signal !== 'profiles' && !info.signals.includes(r.signal)) {
      report('error', 'signal-unsupported', `${KIND_NOUN[kind]} "${r.id}" does not support ${r.signal} (it handles ${info.signals.join(', ')}), but pipeline "${r.pipeline}" uses it`, path);
    }
  }

  // Connectors: an exporter in one pipeline and a receiver in another, of a supported pair.
  for (const [id, settings] of defined.connectors) {
    const asExporter = refs.filter((r) => r.role === 'exporters' && r.id === id);
    const asReceiver = refs.filter((r) => r.role === 'receivers' && r.id === id);
    if (!asExporter.length && !asReceiver.length) continue; // reported as unused below
    if (typeOf(id) === 'routing' && isObject(settings)) checkRouting(id, settings, asReceiver, pipelineNames, report);
    if (!asExporter.length || !asReceiver.length) {
      report('error', 'connector-half', `connector "${id}" must be an exporter of one pipeline and a receiver of another; it is only ${asExporter.length ? 'an exporter' : 'a receiver'}`, ['connectors', id]);
      continue;
    }
    const info = findType(catalog, 'connectors', typeOf(id));
    if (info?.pairs) {
      for (const e of asExporter) {
        for (const r of asReceiver) {
          if (!e.signal || !r.signal) continue;
          if (!info.pairs.some(([from, to]) => from === e.signal && to === r.signal)) {
            report('error', 'connector-pair', `connector "${id}" cannot connect ${e.signal} (pipeline "${e.pipeline}") to ${r.signal} (pipeline "${r.pipeline}")`, ['service', 'pipelines', r.pipeline, 'receivers', r.index]);
          }
        }
      }
    }
  }

  // Every defined component used. An unused one that an env reference in the same role of a
  // pipeline could select is an alternative, not a mistake: a note says so.
  for (const kind of ['receivers', 'processors', 'exporters', 'connectors'] as const) {
    for (const id of defined[kind].keys()) {
      if (refs.some((r) => r.id === id)) continue;
      const role = kind === 'connectors' ? undefined : kind;
      const info = findType(catalog, kind, typeOf(id));
      const choice = refs.find((r) => r.choice && r.role === role && (!info?.signals || !r.signal || info.signals.includes(r.signal)));
      if (choice?.choice) {
        report('note', 'alternative', `${KIND_NOUN[kind]} "${id}" is not used with ${describeEnv(choice.choice.names, env).replace(/^, /, '')}; ${choice.choice.raw} in pipeline "${choice.pipeline}" can select it`, [kind, id]);
      } else {
        report('error', 'unused-component', `${KIND_NOUN[kind]} "${id}" is defined but no pipeline uses it; add it to a pipeline or remove it`, [kind, id]);
      }
    }
  }

  // Order inside pipelines.
  for (const [name, p] of Object.entries(pipelines)) {
    if (!isObject(p) || !Array.isArray(p.processors)) continue;
    const procs = p.processors.filter((x): x is string => typeof x === 'string');
    const receivers = Array.isArray(p.receivers) ? p.receivers : [];
    const fedByConnectors = receivers.length > 0 && receivers.every((r) => typeof r === 'string' && defined.connectors.has(r));
    const ml = procs.findIndex((x) => typeOf(x) === 'memory_limiter');
    const path: Path = ['service', 'pipelines', name, 'processors'];
    if (ml > 0) report('warning', 'memory-limiter-order', `pipeline "${name}": memory_limiter should be the first processor (it is number ${ml + 1}), so data is refused before any other work`, path);
    else if (ml < 0 && !fedByConnectors) report('warning', 'memory-limiter-missing', `pipeline "${name}" has no memory_limiter: under load the Collector can run out of memory instead of refusing data`, path);
    const tail = procs.findIndex((x) => typeOf(x) === 'tail_sampling');
    const batch = procs.findIndex((x) => typeOf(x) === 'batch');
    if (tail >= 0 && batch >= 0 && batch < tail) report('warning', 'batch-before-tail-sampling', `pipeline "${name}": batch comes before tail_sampling; put batch after it, tail sampling regroups spans by trace`, path);
  }

  checkValues(cfg, report);
}

function checkRouting(id: string, settings: Record<string, unknown>, asReceiver: PipelineRef[], pipelineNames: Set<string>, report: Report): void {
  const fed = new Set(asReceiver.map((r) => r.pipeline));
  const check = (list: unknown, path: Path) => {
    if (!Array.isArray(list)) return;
    list.forEach((p, i) => {
      if (typeof p !== 'string') return;
      if (!pipelineNames.has(p)) report('error', 'routing-target', `connector "${id}" routes to pipeline "${p}", which is not defined`, [...path, i]);
      else if (!fed.has(p)) report('error', 'routing-target', `connector "${id}" routes to pipeline "${p}", which does not list "${id}" among its receivers`, [...path, i]);
    });
  };
  check(settings.default_pipelines, ['connectors', id, 'default_pipelines']);
  const table = settings.table;
  if (!Array.isArray(table) || table.length === 0) report('error', 'routing-table', `connector "${id}" needs a non-empty table of routes`, ['connectors', id]);
  else table.forEach((row, i) => isObject(row) && check(row.pipelines, ['connectors', id, 'table', i, 'pipelines']));
}

/** Value checks for the settings nodetel relies on, after expansion. */
function checkValues(cfg: Record<string, unknown>, report: Report): void {
  const each = (kind: Kind, type: string, fn: (id: string, s: Record<string, unknown>) => void) => {
    const section = cfg[kind];
    if (!isObject(section)) return;
    for (const [id, s] of Object.entries(section)) if (typeOf(id) === type && isObject(s)) fn(id, s);
  };
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

  each('processors', 'tail_sampling', (id, s) => {
    if (!Array.isArray(s.policies) || s.policies.length === 0) return report('error', 'value', `tail_sampling "${id}" has no policies: it would drop every trace`, ['processors', id]);
    s.policies.forEach((p, i) => {
      if (!isObject(p)) return;
      const path: Path = ['processors', id, 'policies', i];
      if (p.type === 'probabilistic' && isObject(p.probabilistic)) {
        const v = number(p.probabilistic.sampling_percentage);
        if (v === undefined || v < 0 || v > 100) report('error', 'value', `tail_sampling "${id}" policy "${String(p.name)}": sampling_percentage must be a number from 0 to 100, got ${JSON.stringify(p.probabilistic.sampling_percentage)}`, [...path, 'probabilistic', 'sampling_percentage']);
      }
      if (p.type === 'latency' && isObject(p.latency)) {
        const v = number(p.latency.threshold_ms);
        if (v === undefined || v < 0 || !Number.isInteger(v)) report('error', 'value', `tail_sampling "${id}" policy "${String(p.name)}": threshold_ms must be a whole number of milliseconds >= 0, got ${JSON.stringify(p.latency.threshold_ms)}`, [...path, 'latency', 'threshold_ms']);
      }
    });
  });
  each('processors', 'memory_limiter', (id, s) => {
    const limit = number(s.limit_percentage);
    const spike = number(s.spike_limit_percentage);
    if (s.limit_percentage !== undefined && (limit === undefined || limit <= 0 || limit > 100)) report('error', 'value', `memory_limiter "${id}": limit_percentage must be a number from 1 to 100, got ${JSON.stringify(s.limit_percentage)}`, ['processors', id, 'limit_percentage']);
    if (limit !== undefined && spike !== undefined && spike >= limit) report('error', 'value', `memory_limiter "${id}": spike_limit_percentage (${spike}) must be lower than limit_percentage (${limit})`, ['processors', id, 'spike_limit_percentage']);
    if (s.limit_percentage === undefined && s.limit_mib === undefined) report('error', 'value', `memory_limiter "${id}" needs limit_percentage or limit_mib`, ['processors', id]);
  });
  for (const kind of ['exporters', 'receivers'] as const) {
    const section = cfg[kind];
    if (!isObject(section)) continue;
    for (const [id, s] of Object.entries(section)) {
      if (!isObject(s)) continue;
      if ('endpoint' in s && (s.endpoint === null || s.endpoint === '')) report('error', 'value', `${KIND_NOUN[kind]} "${id}": endpoint is empty`, [kind, id, 'endpoint']);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function describeEnv(names: string[], env: Env): string {
  return names.map((n) => (env[n] === undefined ? `, ${n} unset (default)` : `, ${n}=${env[n]}`)).join('');
}

function nearDefined(map: Map<string, unknown>, id: string): string {
  const ids = [...map.keys()];
  if (!ids.length) return '';
  const close = ids.filter((d) => distance(d, id) <= 2 || typeOf(d) === typeOf(id));
  return close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ` (defined: ${ids.join(', ')})`;
}

export function typeOf(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Collector's merge of several configs: maps key by key; lists and scalars replaced. */
export function merge(base: unknown, over: unknown): unknown {
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  }
  return over;
}

function locate(parsed: Parsed[], path: Path): { file?: string; line?: number; column?: number } {
  // The file that defines the longest prefix of the path, the last such file when several do.
  for (let n = path.length; n >= 1; n--) {
    for (let i = parsed.length - 1; i >= 0; i--) {
      const p = parsed[i];
      const target = keyOf(p.doc, path.slice(0, n));
      if (target?.range) {
        const pos = p.lines.linePos(target.range[0]);
        return { file: p.source.name, line: pos.line, column: pos.col };
      }
    }
  }
  return parsed.length ? { file: parsed[parsed.length - 1].source.name } : {};
}

/** The key node naming the last step of the path (or the list item), whose position is reported. */
function keyOf(doc: Document, path: Path): Node | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    for (const item of parent.items) if (isScalar(item.key) && item.key.value === last) return item.key;
  }
  if (isSeq(parent) && typeof last === 'number') return parent.items[last] as Node | undefined;
  return undefined;
}

/** Duplicate keys, each reported where it is repeated (YAML allows a key once per mapping; the Collector refuses the file). */
function duplicateKeys(source: Source, lines: LineCounter): Finding[] {
  const out: Finding[] = [];
  const doc = parseDocument(source.text, { uniqueKeys: false });
  const visitNode = (node: unknown) => {
    if (isMap(node)) {
      const seen = new Map<unknown, number>();
      for (const item of node.items) {
        const key = isScalar(item.key) ? item.key.value : undefined;
        const start = (item.key as Node | null)?.range?.[0];
        if (key !== undefined && start !== undefined) {
          const first = seen.get(key);
          if (first !== undefined) {
            const at = lines.linePos(start);
            out.push({ severity: 'error', code: 'yaml', message: `YAML: duplicate key "${String(key)}" (first at line ${lines.linePos(first).line}); YAML allows a key once per mapping`, file: source.name, line: at.line, column: at.col });
          } else seen.set(key, start);
        }
        visitNode(item.value);
      }
    } else if (isSeq(node)) node.items.forEach(visitNode);
  };
  visitNode(doc.contents);
  return out;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
