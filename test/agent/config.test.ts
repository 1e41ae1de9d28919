// The agent's configuration: environment variables and the YAML file into one typed object, and
// every mistake reported with where it is (file:line:col or the variable), the key, and the fix;
// never with a secret in it. Unit tests on the compiled module (what ships).
import { describe, expect, it } from 'vitest';
import { agentModule, type Loose } from './helpers.ts';

const { readConfig, DEFAULTS } = agentModule('config');

interface ConfigError {
  code: string;
  problems: { where: string; key: string; message: string }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withFile(text: string, env: Record<string, string> = {}): any {
  return readConfig({ env, file: '/etc/nodetel/agent.yaml', readFile: () => text });
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect((err as ConfigError).code).toBe('ERR_NODETEL_AGENT_CONFIG');
    return (err as ConfigError).problems.map((p) => `${p.where} | ${p.key} | ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('defaults and environment variables', () => {
  it('has documented defaults with nothing set', () => {
    const c = readConfig({ env: {} });
    expect(c).toMatchObject({
      file: undefined,
      server: { host: undefined, port: 9466 },
      app: { heartbeat: { host: '127.0.0.1', port: 4319, family: 4 }, livenessThresholdMs: 30_000, startupGraceMs: 60_000, requireListening: true },
      drainMs: 5000,
      logFormat: 'text',
      checks: [],
      otlp: undefined,
    });
    expect(DEFAULTS.port).toBe(9466);
  });

  it('defines checks from NODETEL_AGENT_CHECK_<NAME>=<url>, the kind from the scheme', () => {
    const c = readConfig({
      env: {
        NODETEL_AGENT_CHECK_ORDERS_DB: 'postgresql://app:pa%24%24word@db:5432/orders?sslmode=require',
        NODETEL_AGENT_CHECK_USERS: 'mariadb://root@maria:3306/users',
        NODETEL_AGENT_CHECK_CACHE: 'rediss://:hunter2@cache:6380/0',
        NODETEL_AGENT_CHECK_PAYMENTS: 'https://payments.internal/healthz?token=abc123',
        NODETEL_AGENT_CHECK_SEARCH: 'tcp://search:9200',
        NODETEL_AGENT_CHECK_RESOLVER: 'dns://payments.internal',
        NODETEL_AGENT_OPTIONAL_CHECKS: 'search, resolver',
        NODETEL_AGENT_CHECKS_INTERVAL_MS: '5000',
        NODETEL_AGENT_CHECKS_TIMEOUT_MS: '1000',
        NODETEL_AGENT_CHECKS_FAILURE_THRESHOLD: '4',
        NODETEL_AGENT_CHECKS_SUCCESS_THRESHOLD: '2',
      },
    });
    expect(c.checks.map((k: Loose) => [k.name, k.kind, k.required, k.target])).toEqual([
      ['cache', 'redis', true, 'rediss://:***@cache:6380/0'],
      ['orders_db', 'postgres', true, 'postgresql://app:***@db:5432/orders?sslmode=require'],
      ['payments', 'http', true, 'https://payments.internal/healthz?token=***'],
      ['resolver', 'dns', false, 'dns://payments.internal'],
      ['search', 'tcp', false, 'tcp://search:9200'],
      ['users', 'mariadb', true, 'mariadb://root@maria:3306/users'],
    ]);
    for (const check of c.checks) expect(check).toMatchObject({ intervalMs: 5000, timeoutMs: 1000, failureThreshold: 4, successThreshold: 2 });
    expect(c.checks.find((k: Loose) => k.name === 'orders_db')!.secrets).toContain('pa%24%24word');
    expect(c.checks.find((k: Loose) => k.name === 'payments')!.secrets).toContain('abc123');
    expect(c.checks.find((k: Loose) => k.name === 'payments')).toMatchObject({ method: 'GET', expectStatus: [[200, 299]] });
  });

  it('reports bad values naming the variable and the fix, without showing a URL that may hold a password', () => {
    const found = problems(() =>
      readConfig({
        env: {
          NODETEL_AGENT_PORT: 'eighty',
          NODETEL_AGENT_LIVENESS_THRESHOLD_MS: '30s',
          NODETEL_AGENT_REQUIRE_LISTENING: 'yes',
          NODETEL_AGENT_HEARTBEAT: 'tcp://127.0.0.1:4319',
          NODETEL_AGENT_CHECK_DB: 'postgres//user:s3cr3t@db',
          NODETEL_AGENT_CHECK_WHAT: 'ftp://files',
          NODETEL_AGENT_OPTIONAL_CHECKS: 'nope',
        },
      }),
    );
    expect(found).toEqual([
      'environment variable NODETEL_AGENT_PORT | NODETEL_AGENT_PORT | "eighty" is not a whole number from 0 to 65535',
      'environment variable NODETEL_AGENT_HEARTBEAT | NODETEL_AGENT_HEARTBEAT | "tcp://127.0.0.1:4319" is not udp://host:port; expected e.g. udp://127.0.0.1:4319 (or off)',
      'environment variable NODETEL_AGENT_LIVENESS_THRESHOLD_MS | NODETEL_AGENT_LIVENESS_THRESHOLD_MS | "30s" is not a whole number of milliseconds of at least 1 (e.g. 30000 for 30 s)',
      'environment variable NODETEL_AGENT_REQUIRE_LISTENING | NODETEL_AGENT_REQUIRE_LISTENING | "yes" is not true or false',
      'environment variable NODETEL_AGENT_CHECK_DB | checks.db.url | is not a valid URL (value not shown, it may hold a password); expected e.g. postgres://user@host:5432/db',
      expect.stringMatching(/^environment variable NODETEL_AGENT_CHECK_WHAT \| checks\.what\.url \| the scheme ftp:\/\/ says nothing about the kind of check/),
      'environment variable NODETEL_AGENT_OPTIONAL_CHECKS | NODETEL_AGENT_OPTIONAL_CHECKS | no check is named "nope" (checks: none)',
    ]);
    expect(found.join('\n')).not.toContain('s3cr3t');
  });

  it('turns the app watch off with NODETEL_AGENT_HEARTBEAT=off', () => {
    expect(readConfig({ env: { NODETEL_AGENT_HEARTBEAT: 'off' } }).app.heartbeat).toBeUndefined();
    expect(readConfig({ env: { NODETEL_AGENT_HEARTBEAT: 'udp://[::1]:5000' } }).app.heartbeat).toEqual({ host: '::1', port: 5000, family: 6 });
  });

  it('exports OTLP only when asked: an endpoint, or OTEL_METRICS_EXPORTER=otlp', () => {
    expect(readConfig({ env: {} }).otlp).toBeUndefined();
    expect(readConfig({ env: { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' } }).otlp).toBeUndefined();
    const c = readConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics-collector:4318/v1/metrics',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x',
        OTEL_METRIC_EXPORT_INTERVAL: '15000',
        OTEL_SERVICE_NAME: 'checkout',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
        K8S_POD_NAME: 'checkout-7d9',
      },
    });
    expect(c.otlp).toMatchObject({
      protocol: 'http/protobuf',
      url: 'http://metrics-collector:4318/v1/metrics',
      headers: { authorization: 'Bearer x' },
      exportIntervalMs: 15_000,
      resource: { 'service.name': 'checkout', 'deployment.environment': 'prod', 'k8s.pod.name': 'checkout-7d9' },
    });
  });

  it('speaks OTLP/HTTP with protobuf by default, and gRPC when asked for or when the endpoint is on port 4317', () => {
    const otlp = (env: Record<string, string>) => {
      const { protocol, url } = readConfig({ env }).otlp!;
      return { protocol, url };
    };
    expect(otlp({ OTEL_METRICS_EXPORTER: 'otlp' })).toEqual({ protocol: 'http/protobuf', url: 'http://localhost:4318/v1/metrics' });
    // The generic endpoint gets the signal's path, as in every OpenTelemetry SDK; the metrics one is taken whole.
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ protocol: 'http/protobuf', url: 'http://collector:4318/v1/metrics' });
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gateway.example/otlp/' })).toEqual({ protocol: 'http/protobuf', url: 'https://gateway.example/otlp/v1/metrics' });
    expect(otlp({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:9000/custom' })).toEqual({ protocol: 'http/protobuf', url: 'http://c:9000/custom' });
    // gRPC: by name, or the gRPC port with no protocol named (one endpoint shared with the app's preload).
    expect(otlp({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({ protocol: 'grpc', url: 'http://localhost:4317' });
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' })).toEqual({ protocol: 'grpc', url: 'http://collector:4317' });
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' })).toEqual({ protocol: 'http/protobuf', url: 'http://collector:4317/v1/metrics' });
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:14317' })).toEqual({ protocol: 'http/protobuf', url: 'http://collector:14317/v1/metrics' });
    expect(problems(() => readConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } }))).toEqual([
      expect.stringContaining('OTEL_EXPORTER_OTLP_PROTOCOL | "http/json" is not supported by the agent; use http/protobuf (port 4318, the default) or grpc (port 4317)'),
    ]);
  });
});

describe('the YAML file', () => {
  const FULL = `# nodetel agent
server:
  host: 0.0.0.0
  port: 9500
app:
  heartbeat: udp://127.0.0.1:4400
  livenessThreshold: 20s
  startupGrace: 2m
  requireListening: false
shutdown:
  drain: 10s
defaults:
  interval: 15s
  timeout: 1500ms
  failureThreshold: 2
checks:
  orders-db:
    url: \${env:DATABASE_URL}
  cache:
    kind: redis
    url: redis://cache:6379
    password: \${REDIS_PASSWORD}
    required: false
  payments:
    url: https://payments/healthz
    expectStatus: [200, "3xx", "401-403"]
    method: HEAD
    headers:
      authorization: Bearer \${env:PAYMENTS_TOKEN}
    interval: 30s
    successThreshold: 3
  search:
    kind: tcp
    host: search
    port: 9200
  resolver:
    kind: dns
    host: payments.internal
    record: A
    servers: [10.0.0.10]
log:
  format: json
`;
  const ENV = { DATABASE_URL: 'postgres://app:hunter2@db/orders', REDIS_PASSWORD: 'r3dis', PAYMENTS_TOKEN: 'tok-123' };

  it('reads every setting, with ${env:NAME} from the environment', () => {
    const c = withFile(FULL, ENV);
    expect(c).toMatchObject({
      file: '/etc/nodetel/agent.yaml',
      server: { host: '0.0.0.0', port: 9500 },
      app: { heartbeat: { host: '127.0.0.1', port: 4400 }, livenessThresholdMs: 20_000, startupGraceMs: 120_000, requireListening: false },
      drainMs: 10_000,
      logFormat: 'json',
    });
    const byName = Object.fromEntries(c.checks.map((k: Loose) => [k.name, k]));
    expect(byName['orders-db']).toMatchObject({ kind: 'postgres', url: ENV.DATABASE_URL, target: 'postgres://app:***@db/orders', intervalMs: 15_000, timeoutMs: 1500, failureThreshold: 2, successThreshold: 1, required: true });
    expect(byName.cache).toMatchObject({ kind: 'redis', password: 'r3dis', required: false });
    expect(byName.cache!.secrets).toContain('r3dis');
    expect(byName.payments).toMatchObject({ kind: 'http', method: 'HEAD', expectStatus: [[200, 200], [300, 399], [401, 403]], headers: { authorization: 'Bearer tok-123' }, intervalMs: 30_000, successThreshold: 3 });
    expect(byName.payments!.secrets).toContain('Bearer tok-123');
    expect(byName.search).toMatchObject({ kind: 'tcp', host: 'search', port: 9200, target: 'tcp://search:9200' });
    expect(byName.resolver).toMatchObject({ kind: 'dns', host: 'payments.internal', record: 'A', servers: ['10.0.0.10'] });
  });

  it('is overridden by environment variables', () => {
    const c = withFile(FULL, { ...ENV, NODETEL_AGENT_PORT: '9600', NODETEL_AGENT_DRAIN_MS: '1000', NODETEL_AGENT_CHECKS_TIMEOUT_MS: '700' });
    expect(c.server.port).toBe(9600);
    expect(c.drainMs).toBe(1000);
    expect(c.checks.find((k: Loose) => k.name === 'orders-db')!.timeoutMs).toBe(700);
  });

  it('names the line of a syntax error', () => {
    expect(problems(() => withFile('checks:\n  db:\n    url: postgres://db/x\n   kind: postgres\n'))).toEqual([
      '/etc/nodetel/agent.yaml:4:1 | (syntax) | not valid YAML: All mapping items must start at the same column',
    ]);
    expect(problems(() => withFile('server:\n  port: 1\n\thost: x\n'))).toEqual(['/etc/nodetel/agent.yaml:3:1 | (syntax) | not valid YAML: Tabs are not allowed as indentation']);
    expect(problems(() => withFile('checks:\n  db:\n    kind: tcp\n  db:\n    kind: tcp\n'))[0]).toMatch(/^\/etc\/nodetel\/agent\.yaml:4:3 \| \(syntax\) \| not valid YAML: Map keys must be unique/);
  });

  it('names the file, line, key and fix of every wrong value, and never shows a secret', () => {
    const text = `server:
  port: 99999
app:
  livenessThreshold: 30
checks:
  db:
    url: postgres://app:s3cret@db/x
    intervall: 10s
    timeout: soon
  web:
    url: http://web/healthz
    expectStatus: OK
  q:
    kind: tcp
  bad name:
    kind: tcp
  from-env:
    url: \${env:MISSING_URL}
logs:
  format: json
`;
    expect(problems(() => withFile(text))).toEqual([
      '/etc/nodetel/agent.yaml:18:10 | checks.from-env.url | environment variable MISSING_URL is not set; set it, or write the value in the file',
      '/etc/nodetel/agent.yaml:19:1 | logs | unknown key; known keys here: server, app, shutdown, defaults, checks, log',
      '/etc/nodetel/agent.yaml:2:9 | server.port | 99999 is not a whole number from 0 to 65535',
      '/etc/nodetel/agent.yaml:4:22 | app.livenessThreshold | 30 has no unit; write it with one, e.g. 30s or 30ms',
      '/etc/nodetel/agent.yaml:8:5 | checks.db.intervall | unknown key; known keys here: kind, url, required, interval, timeout, failureThreshold, successThreshold, password, query',
      '/etc/nodetel/agent.yaml:9:14 | checks.db.timeout | "soon" is not a duration; write e.g. 500ms, 10s, 1m30s',
      '/etc/nodetel/agent.yaml:12:19 | checks.web.expectStatus | "OK" is not a status (200), a class ("2xx") or a range ("200-204")',
      '/etc/nodetel/agent.yaml:14:5 | checks.q.host | a tcp check needs host: and port: (or url: tcp://host:port)',
      '/etc/nodetel/agent.yaml:15:3 | checks.bad name | a check name is 1 to 63 letters, digits, _ . - (starting with a letter or digit)',
    ]);
    expect(problems(() => withFile(text)).join('\n')).not.toContain('s3cret');
  });

  it('refuses a check defined both in the file and by a variable', () => {
    expect(problems(() => withFile('checks:\n  cache:\n    url: redis://a:6379\n', { NODETEL_AGENT_CHECK_CACHE: 'redis://b:6379' }))).toEqual([
      'environment variable NODETEL_AGENT_CHECK_CACHE | NODETEL_AGENT_CHECK_CACHE | a check named "cache" is also defined at /etc/nodetel/agent.yaml:3:5; remove one of them',
    ]);
  });

  it('says when the file cannot be read', () => {
    expect(problems(() => readConfig({ env: {}, file: '/nonexistent/agent.yaml' }))).toEqual([
      '/nonexistent/agent.yaml | /nonexistent/agent.yaml | does not exist; check the path given to --config or NODETEL_AGENT_CONFIG',
    ]);
  });
});
