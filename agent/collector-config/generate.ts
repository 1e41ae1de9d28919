/**
 * `agent collector-config`: prints the shipped Collector configuration (collector-config/
 * collector.yaml) with the settings given as flags or environment variables filled in. Settings
 * not given keep their `${env:VAR:-default}` reference, so the Collector still reads them when
 * it starts; secrets (Authorization headers) are never filled in, whatever the environment holds.
 * Comments are kept. Components that no pipeline can use any more (the metrics exporter not
 * chosen) are removed, so the result passes `validate` with no note.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, visit, isScalar, isMap, isSeq, Scalar, type Document } from 'yaml';
import { tokenize, escapeLiteral, type Env } from './env-refs';
import { REPO_ROOT, KINDS } from './components';

export const SHIPPED_CONFIG = path.join(REPO_ROOT, 'collector-config/collector.yaml');

export type SettingName =
  | 'mode'
  | 'tracesEndpoint'
  | 'tracesInsecure'
  | 'logsEndpoint'
  | 'auditLogsEndpoint'
  | 'metricsExporter'
  | 'prometheusEndpoint'
  | 'remoteWriteEndpoint'
  | 'samplingRatio'
  | 'latencyThreshold';

export interface Setting {
  name: SettingName;
  flag: string;
  /** The variable the shipped configuration reads; also read by `agent collector-config`. */
  env: string;
  describe: string;
  choices?: readonly string[];
}

/** Every setting the command can fill in. Secrets are deliberately absent. */
export const SETTINGS: readonly Setting[] = [
  { name: 'mode', flag: 'mode', env: 'NODETEL_COLLECTOR_MODE', describe: 'sidecar (OTLP on localhost only) or gateway (OTLP on every interface)', choices: ['sidecar', 'gateway'] },
  { name: 'tracesEndpoint', flag: 'traces-endpoint', env: 'NODETEL_TEMPO_ENDPOINT', describe: "Tempo's OTLP/gRPC endpoint, host:port" },
  { name: 'tracesInsecure', flag: 'traces-insecure', env: 'NODETEL_TEMPO_INSECURE', describe: 'plaintext gRPC to Tempo (true) or TLS (false)', choices: ['true', 'false'] },
  { name: 'logsEndpoint', flag: 'logs-endpoint', env: 'NODETEL_LOKI_ENDPOINT', describe: "Loki's OTLP endpoint, http(s)://host:port/otlp" },
  { name: 'auditLogsEndpoint', flag: 'audit-logs-endpoint', env: 'NODETEL_LOKI_AUDIT_ENDPOINT', describe: 'where audit records go, http(s)://host:port/otlp' },
  { name: 'metricsExporter', flag: 'metrics-exporter', env: 'NODETEL_METRICS_EXPORTER', describe: 'prometheus (a scrape endpoint) or prometheusremotewrite', choices: ['prometheus', 'prometheusremotewrite'] },
  { name: 'prometheusEndpoint', flag: 'prometheus-endpoint', env: 'NODETEL_PROMETHEUS_ENDPOINT', describe: 'listen address of the scrape endpoint, host:port' },
  { name: 'remoteWriteEndpoint', flag: 'remote-write-endpoint', env: 'NODETEL_REMOTE_WRITE_ENDPOINT', describe: 'remote-write URL, http(s)://host:port/api/v1/write' },
  { name: 'samplingRatio', flag: 'sampling-ratio', env: 'NODETEL_SAMPLING_PERCENTAGE', describe: 'share of ordinary traces kept, 0 to 1 (the variable is a percentage, 0 to 100); errors and slow traces are always kept' },
  { name: 'latencyThreshold', flag: 'latency-threshold', env: 'NODETEL_SLOW_TRACE_THRESHOLD_MS', describe: 'a trace at least this long is always kept: 500ms, 2s, or milliseconds (the variable is in milliseconds)' },
];

export type Settings = Partial<Record<SettingName, string | number | boolean>>;

export class SettingError extends Error {
  readonly code = 'ERR_NODETEL_COLLECTOR_SETTING';
  override readonly name = 'SettingError';
}

/**
 * Turns flags (as given) and the environment into the values of the variables the
 * configuration reads. Flags win over the environment; an empty variable counts as not given.
 * Throws SettingError naming the flag or variable and what is accepted.
 */
export function resolveSettings(flags: Settings, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of SETTINGS) {
    const fromFlag = flags[s.name];
    const fromEnv = env[s.env];
    let source: string;
    let value: string;
    if (fromFlag !== undefined && fromFlag !== '') {
      source = `--${s.flag}`;
      value = String(fromFlag);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      source = s.env;
      value = fromEnv;
    } else continue;
    const fromVariable = source === s.env;
    const bad = (what: string) => new SettingError(`${source}: ${JSON.stringify(value)} is not ${what}`);
    value = value.trim();
    if (s.choices && !s.choices.includes(value)) throw bad(`one of ${s.choices.join(', ')}`);
    switch (s.name) {
      case 'mode':
        out.NODETEL_OTLP_GRPC_ENDPOINT = value === 'gateway' ? '0.0.0.0:4317' : 'localhost:4317';
        out.NODETEL_OTLP_HTTP_ENDPOINT = value === 'gateway' ? '0.0.0.0:4318' : 'localhost:4318';
        continue;
      case 'tracesEndpoint':
      case 'prometheusEndpoint':
        if (!/^(https?:\/\/)?[^\s/:]+:\d{1,5}\/?$/.test(value)) throw bad('an endpoint of the form host:port');
        break;
      case 'logsEndpoint':
      case 'auditLogsEndpoint':
      case 'remoteWriteEndpoint':
        if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)) throw bad('an http:// or https:// URL');
        break;
      case 'samplingRatio': {
        const n = Number(value);
        if (fromVariable) {
          if (value === '' || !Number.isFinite(n) || n < 0 || n > 100) throw bad('a percentage from 0 to 100');
          value = String(n);
        } else {
          if (value === '' || !Number.isFinite(n) || n < 0 || n > 1) throw bad('a ratio from 0 to 1 (0.1 keeps one ordinary trace in ten)');
          value = String(Math.round(n * 100 * 1e6) / 1e6);
        }
        break;
      }
      case 'latencyThreshold': {
        const ms = fromVariable ? (/^\d+$/.test(value) ? Number(value) : NaN) : parseDuration(value);
        if (!Number.isInteger(ms) || ms < 0) throw bad(fromVariable ? 'a whole number of milliseconds' : 'a duration such as 500ms, 2s or 750');
        value = String(ms);
        break;
      }
      default:
        break;
    }
    out[s.env] = value;
  }
  return out;
}

function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  if (!m) return NaN;
  const n = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  return Number.isInteger(n) ? n : NaN;
}

/**
 * Fills `${env:VAR...}` references of the given variables with literal values, keeping
 * comments and layout, and removes components that no pipeline can reach any more.
 */
export function generateCollectorConfig(baseText: string, values: Record<string, string>, header?: string): string {
  const doc = parseDocument(baseText, { keepSourceTokens: false });
  if (doc.errors.length) throw new SettingError(`the base configuration does not parse: ${doc.errors[0].message.split('\n')[0]}`);

  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const tokens = tokenize(node.value);
      if (!tokens.some((t) => t.kind === 'env' && Object.hasOwn(values, t.name))) return;
      if (tokens.length === 1 && tokens[0].kind === 'env') {
        // The whole scalar: the Collector would parse the value as YAML, so do the same.
        const v = values[tokens[0].name];
        const parsed: unknown = parseDocument(v).toJS();
        node.value = typeof parsed === 'string' ? escapeLiteral(parsed) : parsed;
        node.type = typeof parsed === 'string' ? Scalar.PLAIN : undefined;
        return;
      }
      node.value = tokens
        .map((t) => {
          if (t.kind === 'text') return escapeLiteral(t.text);
          if (t.kind === 'env' && Object.hasOwn(values, t.name)) return escapeLiteral(values[t.name]);
          return t.raw;
        })
        .join('');
    },
  });

  pruneUnreachable(doc);

  const given = Object.keys(values).sort();
  const top = [
    header ?? 'Printed by `agent collector-config`.',
    given.length
      ? `Filled in: ${given.map((k) => `${k}=${values[k]}`).join(', ')}. Every other \${env:...} below is still read when the Collector starts.`
      : 'Nothing was filled in: every ${env:...} below is read when the Collector starts.',
  ];
  doc.commentBefore = `${top.map((l) => ` ${l}`).join('\n')}\n\n${doc.commentBefore ?? ''}`;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Removes receivers, processors, exporters and connectors no pipeline can reach. */
function pruneUnreachable(doc: Document): void {
  const pipelines = doc.getIn(['service', 'pipelines']);
  if (!isMap(pipelines)) return;
  const referenced = new Set<string>();
  const choicesIn = new Set<string>();
  for (const p of pipelines.items) {
    if (!isMap(p.value)) continue;
    for (const role of ['receivers', 'processors', 'exporters']) {
      const list = p.value.get(role, true);
      if (!isSeq(list)) continue;
      for (const item of list.items) {
        if (!isScalar(item) || typeof item.value !== 'string') continue;
        if (tokenize(item.value).some((t) => t.kind === 'env')) choicesIn.add(role);
        else referenced.add(item.value);
      }
    }
  }
  for (const kind of KINDS) {
    if (kind === 'extensions') continue;
    if (choicesIn.has(kind) || (kind === 'connectors' && (choicesIn.has('receivers') || choicesIn.has('exporters')))) continue;
    const section = doc.get(kind, true);
    if (!isMap(section)) continue;
    for (const item of [...section.items]) {
      const id = isScalar(item.key) ? String(item.key.value) : '';
      if (id && !referenced.has(id)) section.delete(item.key);
    }
  }
}

export function readShippedConfig(file = SHIPPED_CONFIG): string {
  return fs.readFileSync(file, 'utf8');
}
