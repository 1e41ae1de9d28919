// The one place that reads the agent's environment and its YAML file, once, into a typed
// AgentConfig. Precedence: environment variable, then the file, then the default. Unlike the
// preload (which must never stop the app), the agent refuses a bad configuration: readConfig
// throws a ConfigError listing every problem with where it is (file:line:col or the variable),
// the key, and the fix; the CLI prints it and exits with code 2.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from './errors';
import { buildCheck, CHECK_NAME, MIN_INTERVAL_MS, MIN_TIMEOUT_MS, type CheckDefaults } from './config/checks';
import { Problems, Section } from './config/fields';
import { parseYamlFile, type Path } from './config/yaml-file';
import type { AgentConfig, CheckConfig, HeartbeatAddress, OtlpMetricsConfig } from './config/types';
import { kubernetesAttributes } from '../preload/kubernetes';

export type * from './config/types';

export type Env = Record<string, string | undefined>;

export const DEFAULTS = {
  port: 9466,
  heartbeat: 'udp://127.0.0.1:4319',
  livenessThresholdMs: 30_000,
  startupGraceMs: 60_000,
  drainMs: 5_000,
  intervalMs: 10_000,
  timeoutMs: 2_000,
  failureThreshold: 3,
  successThreshold: 1,
  /** By protocol, as the OpenTelemetry SDKs default them. */
  otlpEndpoint: { 'http/protobuf': 'http://localhost:4318/v1/metrics', grpc: 'http://localhost:4317' },
  otlpTimeoutMs: 10_000,
  exportIntervalMs: 60_000,
  exportTimeoutMs: 30_000,
  serviceName: 'nodetel-agent',
} as const;

/** Checks defined by environment variables: NODETEL_AGENT_CHECK_<NAME>=<url>. */
const CHECK_VAR = /^NODETEL_AGENT_CHECK_([A-Za-z0-9_]+)$/;

const TOP_KEYS = ['server', 'app', 'shutdown', 'defaults', 'checks', 'log'];

export interface ReadConfigOptions {
  env?: Env;
  /** --config; falls back to NODETEL_AGENT_CONFIG. */
  file?: string;
  readFile?: (path: string) => string;
}

export function readConfig(options: ReadConfigOptions = {}): AgentConfig {
  const env = options.env ?? process.env;
  const problems = new Problems();
  const e = new EnvReader(env, problems);

  // The file.
  const file = options.file ?? e.string('NODETEL_AGENT_CONFIG');
  let root = new Section({}, [], () => '(no file)', problems);
  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(file);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(err)})`;
      problems.add(file, file, `${why}; check the path given to --config or NODETEL_AGENT_CONFIG`);
    }
    if (text !== undefined) {
      const yaml = parseYamlFile(file, text, env);
      for (const p of yaml.problems) problems.add(p.where, p.key, p.message);
      root = Section.of(yaml.data, [], (path: Path, at) => yaml.where(path, at), problems, yaml.substituted) ?? root;
      root.onlyKeys(TOP_KEYS);
    }
  }
  const server = root.section('server');
  server?.onlyKeys(['host', 'port']);
  const app = root.section('app');
  app?.onlyKeys(['heartbeat', 'livenessThreshold', 'startupGrace', 'requireListening']);
  const shutdown = root.section('shutdown');
  shutdown?.onlyKeys(['drain']);
  const defaultsSection = root.section('defaults');
  defaultsSection?.onlyKeys(['interval', 'timeout', 'failureThreshold', 'successThreshold', 'required']);
  const log = root.section('log');
  log?.onlyKeys(['format']);

  // Scalars: env, then file, then default.
  const host = e.host('NODETEL_AGENT_HOST') ?? hostFrom(server);
  const port = e.int('NODETEL_AGENT_PORT', 0, 65535) ?? server?.int('port', 0, 65535) ?? DEFAULTS.port;
  const heartbeat = heartbeatAddress(e, app);
  const livenessThresholdMs = e.ms('NODETEL_AGENT_LIVENESS_THRESHOLD_MS', 1) ?? app?.duration('livenessThreshold', 1) ?? DEFAULTS.livenessThresholdMs;
  const startupGraceMs = e.ms('NODETEL_AGENT_STARTUP_GRACE_MS', 0) ?? app?.duration('startupGrace', 0) ?? DEFAULTS.startupGraceMs;
  const requireListening = e.bool('NODETEL_AGENT_REQUIRE_LISTENING') ?? app?.bool('requireListening') ?? true;
  const drainMs = e.ms('NODETEL_AGENT_DRAIN_MS', 0) ?? shutdown?.duration('drain', 0) ?? DEFAULTS.drainMs;
  const logFormat = e.oneOf('NODETEL_AGENT_LOG_FORMAT', ['text', 'json'] as const) ?? log?.oneOf('format', ['text', 'json'] as const) ?? 'text';

  const defaults: CheckDefaults = {
    required: defaultsSection?.bool('required') ?? true,
    intervalMs: e.ms('NODETEL_AGENT_CHECKS_INTERVAL_MS', MIN_INTERVAL_MS) ?? defaultsSection?.duration('interval', MIN_INTERVAL_MS) ?? DEFAULTS.intervalMs,
    timeoutMs: e.ms('NODETEL_AGENT_CHECKS_TIMEOUT_MS', MIN_TIMEOUT_MS) ?? defaultsSection?.duration('timeout', MIN_TIMEOUT_MS) ?? DEFAULTS.timeoutMs,
    failureThreshold: e.int('NODETEL_AGENT_CHECKS_FAILURE_THRESHOLD', 1, 100) ?? defaultsSection?.int('failureThreshold', 1, 100) ?? DEFAULTS.failureThreshold,
    successThreshold: e.int('NODETEL_AGENT_CHECKS_SUCCESS_THRESHOLD', 1, 100) ?? defaultsSection?.int('successThreshold', 1, 100) ?? DEFAULTS.successThreshold,
  };

  const checks = readChecks(env, root, defaults, problems);
  const optional = e.list('NODETEL_AGENT_OPTIONAL_CHECKS');
  for (const name of optional) {
    const check = checks.find((c) => c.name === name);
    if (check) check.required = false;
    else problems.add('environment variable NODETEL_AGENT_OPTIONAL_CHECKS', 'NODETEL_AGENT_OPTIONAL_CHECKS', `no check is named ${JSON.stringify(name)} (checks: ${checks.map((c) => c.name).join(', ') || 'none'})`);
  }

  const otlp = readOtlp(e, env);

  if (problems.list.length) throw new ConfigError(problems.list);
  return {
    file,
    server: { host, port },
    app: { heartbeat, livenessThresholdMs, startupGraceMs, requireListening },
    drainMs,
    logFormat,
    checks,
    otlp,
  };
}

function hostFrom(server: Section | undefined): string | undefined {
  const host = server?.string('host');
  if (host !== undefined && !isIP(host) && !/^[A-Za-z0-9.-]+$/.test(host)) server!.problem('host', `${JSON.stringify(host)} is not an address to listen on (0.0.0.0, ::, 127.0.0.1, a host name)`);
  return host;
}

function heartbeatAddress(e: EnvReader, app: Section | undefined): HeartbeatAddress | undefined {
  const fromEnv = e.string('NODETEL_AGENT_HEARTBEAT');
  const text = fromEnv ?? app?.string('heartbeat') ?? DEFAULTS.heartbeat;
  const report = (message: string): void => {
    if (fromEnv !== undefined) e.problem('NODETEL_AGENT_HEARTBEAT', message);
    else app?.problem('heartbeat', message);
  };
  if (/^(off|none|false|disabled)$/i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    report(`${JSON.stringify(text)} is not a URL; expected udp://127.0.0.1:4319 (or off)`);
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || NaN);
  if (url.protocol !== 'udp:' || !host || !Number.isInteger(port) || port < 0 || port > 65535) {
    report(`${JSON.stringify(text)} is not udp://host:port; expected e.g. udp://127.0.0.1:4319 (or off)`);
    return undefined;
  }
  return { host, port, family: isIP(host) === 6 ? 6 : 4 };
}

function readChecks(env: Env, root: Section, defaults: CheckDefaults, problems: Problems): CheckConfig[] {
  const checks: CheckConfig[] = [];
  const seen = new Map<string, string>();
  const section = root.section('checks');
  for (const name of Object.keys(section?.data ?? {})) {
    if (!CHECK_NAME.test(name)) {
      section!.problem(name, 'a check name is 1 to 63 letters, digits, _ . - (starting with a letter or digit)', 'key');
      continue;
    }
    const s = section!.section(name);
    if (!s) continue;
    const check = buildCheck(name, s, defaults);
    if (check) checks.push(check);
    seen.set(name, s.where(undefined));
  }
  // Sorted by code unit, not localeCompare: the names are ASCII, and a collator would map about
  // 2 MB of ICU collation data into the sidecar's memory for this one sort.
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const m = CHECK_VAR.exec(variable);
    if (!m || value === undefined) continue;
    const name = m[1]!.toLowerCase();
    const where = `environment variable ${variable}`;
    if (seen.has(name)) {
      problems.add(where, variable, `a check named ${JSON.stringify(name)} is also defined at ${seen.get(name)}; remove one of them`);
      continue;
    }
    seen.set(name, where);
    const s = new Section({ url: value }, ['checks', name], () => where, problems, new Set([`checks.${name}.url`]));
    const check = buildCheck(name, s, defaults);
    if (check) checks.push(check);
  }
  return checks;
}

function readOtlp(e: EnvReader, env: Env): OtlpMetricsConfig | undefined {
  const exporters = e.list('OTEL_METRICS_EXPORTER').map((v) => v.toLowerCase());
  for (const value of exporters) {
    if (!['otlp', 'none', 'prometheus'].includes(value)) {
      e.problem('OTEL_METRICS_EXPORTER', `${JSON.stringify(value)} is not supported by the agent (otlp, prometheus or none; /metrics always serves Prometheus text)`);
    }
  }
  const endpointVar = e.string('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined ? 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = e.string(endpointVar);
  // OTLP when asked for by name, or when an endpoint is set and nothing says otherwise: a sidecar
  // with no Collector configured must not retry exports to localhost forever.
  const wanted = exporters.length ? exporters.includes('otlp') : endpoint !== undefined;
  if (!wanted) return undefined;

  const protocolVar = e.string('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const requested = e.string(protocolVar);
  const supported = otlpProtocol(requested, endpoint);
  if (!supported) e.problem(protocolVar, `${JSON.stringify(requested)} is not supported by the agent; use http/protobuf (port 4318, the default) or grpc (port 4317)`);
  const protocol = supported ?? 'http/protobuf'; // the problem above already fails the configuration
  let url = endpoint ?? DEFAULTS.otlpEndpoint[protocol];
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    e.problem(endpointVar, `${JSON.stringify(url)} is not an http:// or https:// URL; expected e.g. http://otel-collector:4318`);
  }
  // As the SDKs do: a signal's own endpoint is the full URL; the generic one gets /v1/metrics (HTTP only).
  if (protocol === 'http/protobuf' && endpoint !== undefined && endpointVar === 'OTEL_EXPORTER_OTLP_ENDPOINT') url = url.replace(/\/?$/, '/v1/metrics');
  const attributes = e.keyValues('OTEL_RESOURCE_ATTRIBUTES');
  const resource: Record<string, string> = {
    ...attributes,
    'service.name': e.string('OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? DEFAULTS.serviceName,
    ...kubernetesAttributes(env),
  };
  return {
    protocol,
    url,
    headers: { ...e.keyValues('OTEL_EXPORTER_OTLP_HEADERS'), ...e.keyValues('OTEL_EXPORTER_OTLP_METRICS_HEADERS') },
    timeoutMs: e.int('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 1, 600_000) ?? e.int('OTEL_EXPORTER_OTLP_TIMEOUT', 1, 600_000) ?? DEFAULTS.otlpTimeoutMs,
    compression: e.oneOf('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', ['gzip', 'none'] as const) ?? e.oneOf('OTEL_EXPORTER_OTLP_COMPRESSION', ['gzip', 'none'] as const) ?? 'none',
    insecure: e.bool('OTEL_EXPORTER_OTLP_METRICS_INSECURE') ?? e.bool('OTEL_EXPORTER_OTLP_INSECURE') ?? false,
    exportIntervalMs: e.int('OTEL_METRIC_EXPORT_INTERVAL', 1, 86_400_000) ?? DEFAULTS.exportIntervalMs,
    exportTimeoutMs: e.int('OTEL_METRIC_EXPORT_TIMEOUT', 1, 86_400_000) ?? DEFAULTS.exportTimeoutMs,
    resource,
  };
}

/**
 * OTLP/HTTP with protobuf unless gRPC is asked for: it is the OpenTelemetry default. With no protocol set, an endpoint on port 4317
 * (gRPC's registered port, the preload's default, and often one variable shared by the whole pod)
 * is taken to mean gRPC. Undefined for a protocol the agent does not speak (http/json).
 */
function otlpProtocol(value: string | undefined, endpoint: string | undefined): OtlpMetricsConfig['protocol'] | undefined {
  if (value === undefined) return endpoint !== undefined && /^[a-z]+:\/\/[^/]*:4317(\/|$)/i.test(endpoint) ? 'grpc' : 'http/protobuf';
  if (value === 'grpc' || value === 'http/protobuf') return value;
  return undefined;
}

/** Environment variables, typed; a bad value is a problem naming the variable and the fix. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: Problems,
  ) {}

  problem(name: string, message: string): void {
    this.problems.add(`environment variable ${name}`, name, message);
  }

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  list(name: string): string[] {
    return (this.string(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  bool(name: string): boolean | undefined {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problem(name, `${JSON.stringify(value)} is not true or false`);
    return undefined;
  }

  int(name: string, min: number, max: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problem(name, `${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  }

  /** Milliseconds, as a whole number (the variable names end in _MS). */
  ms(name: string, min: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min) {
      this.problem(name, `${JSON.stringify(raw)} is not a whole number of milliseconds${min > 0 ? ` of at least ${min}` : ''} (e.g. 30000 for 30 s)`);
      return undefined;
    }
    return Number(raw);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(name, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    return undefined;
  }

  host(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && !isIP(value) && !/^[A-Za-z0-9.-]+$/.test(value)) {
      this.problem(name, `${JSON.stringify(value)} is not an address to listen on (0.0.0.0, ::, 127.0.0.1, a host name)`);
      return undefined;
    }
    return value;
  }

  /** `k=v,k2=v2`, values percent-decoded (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS). Header values are never echoed. */
  keyValues(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of this.list(name)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        this.problem(name, 'an entry is not key=value (values not shown); expected k1=v1,k2=v2');
        continue;
      }
      try {
        out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        this.problem(name, `the value of ${JSON.stringify(pair.slice(0, eq).trim())} is not valid percent-encoding`);
      }
    }
    return out;
  }
}
