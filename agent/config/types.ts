// The agent's configuration as the rest of the agent sees it: typed, validated, with defaults
// applied and secrets kept apart from what may be shown.

export const CHECK_KINDS = ['postgres', 'mysql', 'mariadb', 'redis', 'http', 'tcp', 'dns'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export interface CheckTiming {
  /** Time between the end of one run and the start of the next. */
  intervalMs: number;
  /** A run that takes longer fails (and its connection is destroyed). */
  timeoutMs: number;
  /** Consecutive failures before a passing check is reported failing. */
  failureThreshold: number;
  /** Consecutive successes before a failing check is reported passing again. */
  successThreshold: number;
}

interface CheckBase extends CheckTiming {
  name: string;
  /** Required checks gate readiness; optional ones are reported only. */
  required: boolean;
  /** What is checked, safe to show: passwords and secret query values replaced by ***. */
  target: string;
  /** Strings that must never be shown (passwords, tokens, header values), for scrubbing messages. */
  secrets: string[];
}

export interface SqlCheckConfig extends CheckBase {
  kind: 'postgres' | 'mysql' | 'mariadb';
  url: string;
  /** Overrides the URL's password (so it need not be percent-encoded into the URL). */
  password: string | undefined;
  query: string;
}

export interface RedisCheckConfig extends CheckBase {
  kind: 'redis';
  url: string;
  password: string | undefined;
}

/** Inclusive ranges of acceptable HTTP status codes. */
export type StatusRanges = [number, number][];

export interface HttpCheckConfig extends CheckBase {
  kind: 'http';
  url: string;
  method: 'GET' | 'HEAD';
  expectStatus: StatusRanges;
  headers: Record<string, string>;
  /** Accept any TLS certificate (self-signed internal endpoints). */
  insecure: boolean;
}

export interface TcpCheckConfig extends CheckBase {
  kind: 'tcp';
  host: string;
  port: number;
}

export const DNS_RECORDS = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT'] as const;
export type DnsRecord = (typeof DNS_RECORDS)[number];

export interface DnsCheckConfig extends CheckBase {
  kind: 'dns';
  host: string;
  /** Unset: resolve as the app would (getaddrinfo: /etc/hosts, then DNS). Set: ask DNS servers for this record type. */
  record: DnsRecord | undefined;
  /** DNS servers for `record` queries (`1.2.3.4`, `1.2.3.4:53`); default the system's. */
  servers: string[];
}

export type CheckConfig = SqlCheckConfig | RedisCheckConfig | HttpCheckConfig | TcpCheckConfig | DnsCheckConfig;

export interface OtlpMetricsConfig {
  protocol: 'http/protobuf' | 'grpc';
  /** http/protobuf: the full metrics URL (http://localhost:4318/v1/metrics); grpc: the Collector's origin (http://localhost:4317). */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  insecure: boolean;
  exportIntervalMs: number;
  exportTimeoutMs: number;
  resource: Record<string, string>;
}

export interface HeartbeatAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export interface AgentConfig {
  /** The YAML file read, if any. */
  file: string | undefined;
  server: { host: string | undefined; port: number };
  app: {
    /** Where heartbeats are received; undefined when the app is not watched (`off`). */
    heartbeat: HeartbeatAddress | undefined;
    /** Liveness fails when the app has been silent (its event loop blocked, or it stopped) longer than this. */
    livenessThresholdMs: number;
    /** Before the first heartbeat, liveness tolerates silence this long after the agent started. */
    startupGraceMs: number;
    /** Readiness needs the app to report a listening server. */
    requireListening: boolean;
  };
  /** After SIGTERM: /readyz answers 503 at once, and the agent keeps answering this long before it exits. */
  drainMs: number;
  logFormat: 'text' | 'json';
  checks: CheckConfig[];
  /** Undefined: no OTLP export (the SDK is then never loaded). */
  otlp: OtlpMetricsConfig | undefined;
}
