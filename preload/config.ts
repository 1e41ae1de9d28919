// The one place that reads the environment. Everything else receives a typed Config.
// A bad value never stops the app: it is reported once (the warning names the variable,
// the value and the fix) and replaced by the documented default.
import { kubernetesAttributes } from './kubernetes';
import { redactOptionProblems, type RedactOptions } from './redact';
import { reportOnce } from './report';

export type ExporterKind = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export type Temporality = 'cumulative' | 'delta' | 'lowmemory';

export interface OtlpConfig {
  protocol: OtlpProtocol;
  /** Full URL: for gRPC the collector address, for HTTP the signal's path included. */
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  /** gRPC without TLS. */
  insecure: boolean;
  /** PEM files for gRPC over TLS: the CA that signed the Collector's certificate, and a client key and certificate for mutual TLS. */
  certificate?: string;
  clientKey?: string;
  clientCertificate?: string;
}

export interface BatchConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
}

export interface Config {
  /** False when OTEL_SDK_DISABLED=true: the preload then does nothing at all. */
  enabled: boolean;
  serviceName: string | undefined;
  resourceAttributes: Record<string, string>;
  resourceDetectors: Set<string>;
  /** Downward-API variables, as k8s.* resource attributes. */
  kubernetes: Record<string, string>;
  traces: {
    exporter: ExporterKind;
    otlp: OtlpConfig;
    batch: BatchConfig;
    limits: SpanLimits;
    sampler: SamplerName;
    samplerRatio: number;
  };
  metrics: {
    exporter: ExporterKind;
    otlp: OtlpConfig;
    intervalMillis: number;
    timeoutMillis: number;
    temporality: Temporality;
    /** Series per metric; beyond it new attribute sets fold into one overflow series. */
    cardinalityLimit: number;
    /** Count health-check requests in the HTTP metrics too (off: they would swamp the RED figures). */
    includeIgnoredPaths: boolean;
  };
  logs: {
    exporter: ExporterKind;
    otlp: OtlpConfig;
    batch: BatchConfig;
    /** Capture console.log/info/warn/error/debug as records (what the app prints is unchanged). */
    console: boolean;
    /** Print console output as JSON lines carrying trace_id, span_id and request_id. */
    consoleJson: boolean;
    /** One record per request (health checks never). */
    accessLog: boolean;
    /** Share of INFO access-log records kept (0..1); WARN and ERROR ones (4xx, 5xx) are always kept. */
    accessLogSampleRatio: number;
  };
  /** More secret key names and patterns for redaction, on top of the built-in ones. */
  redact: RedactOptions;
  propagators: string[];
  logLevel: string;
  instrumentations: { enabled: Set<string> | undefined; disabled: Set<string> };
  /** Request paths that are never traced (health checks, scrapes). */
  ignoredPaths: Set<string>;
  shutdownTimeoutMillis: number;
  /** Where the app's heartbeat goes (the agent sidecar), e.g. udp://127.0.0.1:4319; undefined: none. */
  heartbeat: { target: string | undefined; intervalMillis: number };
}

/** Names accepted by OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export const INSTRUMENTATIONS = ['http', 'undici', 'express', 'fastify', 'koa', 'winston', 'pino', 'pg', 'mysql2', 'ioredis', 'redis'] as const;
export type InstrumentationName = (typeof INSTRUMENTATIONS)[number];

export const DEFAULT_IGNORED_PATHS = '/healthz,/readyz,/livez,/startupz,/health,/metrics';

const DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'];

type Env = Record<string, string | undefined>;
type Warn = (message: string) => void;

export function readConfig(env: Env = process.env, warn: Warn = defaultWarn): Config {
  const read = new Reader(env, warn);
  const samplerArg = read.number('OTEL_TRACES_SAMPLER_ARG', 1, { min: 0, max: 1 });
  return {
    enabled: !read.bool('OTEL_SDK_DISABLED', false),
    serviceName: read.string('OTEL_SERVICE_NAME'),
    resourceAttributes: read.keyValues('OTEL_RESOURCE_ATTRIBUTES'),
    resourceDetectors: read.detectors(),
    kubernetes: kubernetesAttributes(env),
    traces: {
      exporter: read.exporter('OTEL_TRACES_EXPORTER'),
      otlp: read.otlp('TRACES', 'v1/traces'),
      batch: read.batch('OTEL_BSP', 5000),
      limits: {
        attributeCountLimit: read.number('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', read.number('OTEL_ATTRIBUTE_COUNT_LIMIT', 128, { min: 0 }), { min: 0 }),
        attributeValueLengthLimit: read.number('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', read.number('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', Infinity, { min: 0 }), { min: 0 }),
        eventCountLimit: read.number('OTEL_SPAN_EVENT_COUNT_LIMIT', 128, { min: 0 }),
        linkCountLimit: read.number('OTEL_SPAN_LINK_COUNT_LIMIT', 128, { min: 0 }),
      },
      sampler: read.oneOf('OTEL_TRACES_SAMPLER', 'parentbased_always_on', [
        'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
      ]),
      samplerRatio: samplerArg,
    },
    metrics: {
      exporter: read.exporter('OTEL_METRICS_EXPORTER'),
      otlp: read.otlp('METRICS', 'v1/metrics'),
      intervalMillis: read.number('OTEL_METRIC_EXPORT_INTERVAL', 60000, { min: 1 }),
      timeoutMillis: read.number('OTEL_METRIC_EXPORT_TIMEOUT', 30000, { min: 1 }),
      temporality: read.oneOf<Temporality>('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'cumulative', ['cumulative', 'delta', 'lowmemory']),
      cardinalityLimit: read.number('NODETEL_METRICS_CARDINALITY_LIMIT', 2000, { min: 1 }),
      includeIgnoredPaths: read.bool('NODETEL_METRICS_INCLUDE_IGNORED_PATHS', false),
    },
    logs: {
      exporter: read.exporter('OTEL_LOGS_EXPORTER'),
      otlp: read.otlp('LOGS', 'v1/logs'),
      batch: read.batch('OTEL_BLRP', 1000),
      console: read.bool('NODETEL_LOGS_CONSOLE', true),
      consoleJson: read.bool('NODETEL_CONSOLE_JSON', false),
      accessLog: read.bool('NODETEL_ACCESS_LOG', true),
      accessLogSampleRatio: read.number('NODETEL_ACCESS_LOG_SAMPLE_RATIO', 1, { min: 0, max: 1 }),
    },
    redact: read.redaction(),
    propagators: read.list('OTEL_PROPAGATORS', 'tracecontext,baggage'),
    logLevel: read.oneOf('OTEL_LOG_LEVEL', 'info', ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']),
    instrumentations: read.instrumentations(),
    ignoredPaths: new Set(read.list('NODETEL_IGNORED_PATHS', DEFAULT_IGNORED_PATHS).map((p) => (p.startsWith('/') ? p : `/${p}`))),
    shutdownTimeoutMillis: read.number('NODETEL_SHUTDOWN_TIMEOUT_MS', 5000, { min: 0 }),
    heartbeat: {
      target: read.string('NODETEL_AGENT_HEARTBEAT'),
      intervalMillis: read.number('NODETEL_HEARTBEAT_INTERVAL_MS', 5000, { min: 10 }),
    },
  };
}

function defaultWarn(message: string): void {
  reportOnce(message);
}

class Reader {
  constructor(
    private readonly env: Env,
    readonly warn: Warn,
  ) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.warn(`${name}=${value} is not true or false; using ${fallback}`);
    return fallback;
  }

  number(name: string, fallback: number, range: { min?: number; max?: number }): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const { min = -Infinity, max = Infinity } = range;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.warn(`${name}=${raw} is not a number between ${min} and ${max}; using ${fallback}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.warn(`${name}=${value} is not one of ${allowed.join(', ')}; using ${fallback}`);
    return fallback;
  }

  list(name: string, fallback: string): string[] {
    return (this.string(name) ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** W3C-baggage-like `k=v,k2=v2`, values percent-decoded (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS). */
  keyValues(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of this.list(name, '')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        this.warn(`${name}: "${pair}" is not key=value; ignored`);
        continue;
      }
      try {
        out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        this.warn(`${name}: the value of "${pair.slice(0, eq)}" is not valid percent-encoding; ignored`);
      }
    }
    return out;
  }

  exporter(name: string): ExporterKind {
    const values = this.list(name, 'otlp').map((v) => v.toLowerCase());
    const known = values.filter((v): v is ExporterKind => v === 'otlp' || v === 'console' || v === 'none');
    if (known.length !== values.length) this.warn(`${name}=${values.join(',')}: only otlp, console and none are supported; using ${known[0] ?? 'otlp'}`);
    if (known.length > 1) this.warn(`${name}: one exporter at a time is supported; using ${known[0]}`);
    return known[0] ?? 'otlp';
  }

  /** NODETEL_REDACT_KEYS (comma list) and NODETEL_REDACT_PATTERNS (a JSON array of RegExp sources, or one source); bad entries are reported and dropped. */
  redaction(): RedactOptions {
    const extraKeys = this.list('NODETEL_REDACT_KEYS', '');
    const raw = this.string('NODETEL_REDACT_PATTERNS');
    let extraPatterns: string[] = [];
    if (raw?.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        extraPatterns = Array.isArray(parsed) ? parsed.map(String) : [];
      } catch {
        this.warn(`NODETEL_REDACT_PATTERNS is not a JSON array of strings (e.g. ["order-\\\\d{8}"]); ignored`);
      }
    } else if (raw) {
      extraPatterns = [raw];
    }
    const bad = new Map<string, Set<number>>();
    for (const problem of redactOptionProblems({ extraKeys, extraPatterns })) {
      const variable = problem.option === 'extraKeys' ? 'NODETEL_REDACT_KEYS' : 'NODETEL_REDACT_PATTERNS';
      this.warn(`${variable}: "${problem.value}" ${problem.message}; ignored`);
      if (!bad.has(problem.option)) bad.set(problem.option, new Set());
      bad.get(problem.option)!.add(problem.index);
    }
    return {
      extraKeys: extraKeys.filter((_, i) => !bad.get('extraKeys')?.has(i)),
      extraPatterns: extraPatterns.filter((_, i) => !bad.get('extraPatterns')?.has(i)),
    };
  }

  /** A batch processor's settings: OTEL_BSP_* for spans, OTEL_BLRP_* for log records. */
  batch(prefix: string, scheduledDelayMillis: number): BatchConfig {
    return {
      scheduledDelayMillis: this.number(`${prefix}_SCHEDULE_DELAY`, scheduledDelayMillis, { min: 0 }),
      exportTimeoutMillis: this.number(`${prefix}_EXPORT_TIMEOUT`, 30000, { min: 1 }),
      // The spec's 2048 sizes a queue of objects; ours holds encoded bytes (~400 B a span), so
      // four times the room costs ~3 MB and rides out a stalled Collector without losing any.
      maxQueueSize: this.number(`${prefix}_MAX_QUEUE_SIZE`, 8192, { min: 1 }),
      maxExportBatchSize: this.number(`${prefix}_MAX_EXPORT_BATCH_SIZE`, 512, { min: 1 }),
    };
  }

  /** The OTLP exporter settings of one signal: OTEL_EXPORTER_OTLP_<SIGNAL>_* over OTEL_EXPORTER_OTLP_*. */
  otlp(signal: string, path: string): OtlpConfig {
    const protocols: OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];
    const protocol = this.oneOf<OtlpProtocol>(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, this.oneOf<OtlpProtocol>('OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', protocols), protocols);
    const compressions: ('gzip' | 'none')[] = ['gzip', 'none'];
    return {
      protocol,
      url: this.otlpUrl(signal, protocol, path),
      headers: { ...this.keyValues('OTEL_EXPORTER_OTLP_HEADERS'), ...this.keyValues(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`) },
      timeoutMillis: this.number(`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, this.number('OTEL_EXPORTER_OTLP_TIMEOUT', 10000, { min: 1 }), { min: 1 }),
      compression: this.oneOf(`OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`, this.oneOf('OTEL_EXPORTER_OTLP_COMPRESSION', 'none', compressions), compressions),
      insecure: this.bool(`OTEL_EXPORTER_OTLP_${signal}_INSECURE`, this.bool('OTEL_EXPORTER_OTLP_INSECURE', false)),
      certificate: this.string(`OTEL_EXPORTER_OTLP_${signal}_CERTIFICATE`) ?? this.string('OTEL_EXPORTER_OTLP_CERTIFICATE'),
      clientKey: this.string(`OTEL_EXPORTER_OTLP_${signal}_CLIENT_KEY`) ?? this.string('OTEL_EXPORTER_OTLP_CLIENT_KEY'),
      clientCertificate: this.string(`OTEL_EXPORTER_OTLP_${signal}_CLIENT_CERTIFICATE`) ?? this.string('OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'),
    };
  }

  otlpUrl(signal: string, protocol: OtlpProtocol, path: string): string {
    const specific = this.string(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
    const generic = this.string('OTEL_EXPORTER_OTLP_ENDPOINT');
    const fallback = protocol === 'grpc' ? 'http://localhost:4317' : `http://localhost:4318/${path}`;
    const chosen = specific ?? generic;
    if (chosen === undefined) return fallback;
    const source = specific ? `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT` : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    let url: URL;
    try {
      url = new URL(chosen);
    } catch {
      this.warn(`${source}=${chosen} is not a URL (expected e.g. http://localhost:4317); using ${fallback}`);
      return fallback;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.warn(`${source}=${chosen} must start with http:// or https://; using ${fallback}`);
      return fallback;
    }
    // The generic endpoint is a base for HTTP: each signal appends its own path (OTLP spec).
    if (protocol !== 'grpc' && !specific) return `${chosen.replace(/\/+$/, '')}/${path}`;
    return chosen;
  }

  detectors(): Set<string> {
    const values = this.list('OTEL_NODE_RESOURCE_DETECTORS', 'all').map((v) => v.toLowerCase());
    if (values.includes('none')) return new Set();
    if (values.includes('all')) return new Set(DETECTORS);
    const unknown = values.filter((v) => !DETECTORS.includes(v));
    if (unknown.length) this.warn(`OTEL_NODE_RESOURCE_DETECTORS: ${unknown.join(', ')} not supported (supported: ${DETECTORS.join(', ')}, all, none); ignored`);
    return new Set(values.filter((v) => DETECTORS.includes(v)));
  }

  instrumentations(): Config['instrumentations'] {
    const parse = (name: string): Set<string> | undefined => {
      const raw = this.string(name);
      if (raw === undefined) return undefined;
      const values = this.list(name, '').map((v) => v.toLowerCase().replace(/^@opentelemetry\/instrumentation-/, ''));
      const unknown = values.filter((v) => !(INSTRUMENTATIONS as readonly string[]).includes(v));
      if (unknown.length) this.warn(`${name}: unknown instrumentation ${unknown.join(', ')} (known: ${INSTRUMENTATIONS.join(', ')}); ignored`);
      return new Set(values);
    };
    return { enabled: parse('OTEL_NODE_ENABLED_INSTRUMENTATIONS'), disabled: parse('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? new Set() };
  }
}

export function isInstrumentationEnabled(config: Config, name: InstrumentationName): boolean {
  const { enabled, disabled } = config.instrumentations;
  return (enabled === undefined || enabled.has(name)) && !disabled.has(name);
}
