/**
 * `agent collector-config validate`: every shipped Collector file passes, broken ones fail with
 * exit code 2 and a message that says what is wrong and where.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { validateCollectorConfig, type Finding } from '../../agent/collector-config/validate';
import { tokenize, expand } from '../../agent/collector-config/env-refs';
import { loadCatalog, findType } from '../../agent/collector-config/components';
import { ROOT, SHIPPED, FIXTURES, ensureBuilt, runCommand } from './helpers';

const read = (file: string) => ({ name: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') });
const problems = (findings: Finding[]) => findings.filter((f) => f.severity !== 'note');

describe('shipped configuration', () => {
  const shipped = [
    ['collector-config/collector.yaml'],
    ['collector-config/collector.yaml', 'collector-config/debug.yaml'],
    ['deploy/kubernetes/base/collector.yaml'],
  ];

  it.each(shipped.map((files) => [files.join(' + '), files]))('%s: no error, no warning', (_name, files) => {
    const result = validateCollectorConfig((files as string[]).map((f) => read(path.join(ROOT, f))));
    expect(problems(result.findings)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it.each(['prometheus', 'prometheusremotewrite'])('is valid with NODETEL_METRICS_EXPORTER=%s, and the other exporter is only noted as an alternative', (exporter) => {
    const result = validateCollectorConfig([read(SHIPPED)], { env: { NODETEL_METRICS_EXPORTER: exporter } });
    expect(problems(result.findings)).toEqual([]);
    const other = exporter === 'prometheus' ? 'prometheusremotewrite' : 'prometheus';
    expect(result.findings).toEqual([expect.objectContaining({ severity: 'note', code: 'alternative', message: expect.stringContaining(`exporter "${other}" is not used with NODETEL_METRICS_EXPORTER=${exporter}`) })]);
    const pipelines = (result.resolved!.service as { pipelines: Record<string, { exporters: string[] }> }).pipelines;
    expect(pipelines.metrics.exporters).toEqual([exporter]);
  });

  it('an unknown metrics exporter chosen by env is an error naming the variable', () => {
    const result = validateCollectorConfig([read(SHIPPED)], { env: { NODETEL_METRICS_EXPORTER: 'influx' } });
    expect(result.ok).toBe(false);
    expect(result.findings).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'undefined-component', message: expect.stringContaining('exporter "influx" (from ${env:NODETEL_METRICS_EXPORTER:-prometheus}, NODETEL_METRICS_EXPORTER=influx)') }),
    );
  });

  it('the CLI exits 0 on every shipped file and combination', async () => {
    ensureBuilt();
    for (const files of shipped) {
      const r = await runCommand(['validate', ...files]);
      expect(r.stderr, files.join(' ')).not.toMatch(/error|warning/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${files.join(' + ')}: valid for otelcol-contrib 0.136.0 (0 errors, 0 warnings, 1 note)`);
    }
  });

  describe('has what issue 7 asks for', () => {
    const cfg = parseDocument(fs.readFileSync(SHIPPED, 'utf8')).toJS() as Record<string, any>;
    const resolved = validateCollectorConfig([read(SHIPPED)]).resolved as Record<string, any>;
    const p = resolved.service.pipelines;

    it('otlp receiver on 4317 (gRPC) and 4318 (HTTP)', () => {
      expect(resolved.receivers.otlp.protocols.grpc.endpoint).toBe('localhost:4317');
      expect(resolved.receivers.otlp.protocols.http.endpoint).toBe('localhost:4318');
    });

    it('memory_limiter first in every pipeline fed by a receiver, batch last', () => {
      for (const [name, pipeline] of Object.entries<any>(p)) {
        const fromConnector = pipeline.receivers.every((r: string) => r in (resolved.connectors ?? {}));
        if (!fromConnector) expect(pipeline.processors[0], name).toBe('memory_limiter');
        if (pipeline.processors.length > 1) expect(pipeline.processors.at(-1), name).toBe('batch');
      }
    });

    it('k8sattributes, resourcedetection (env, system), health filter and redaction where the data goes', () => {
      expect(resolved.processors.resourcedetection.detectors).toEqual(['env', 'system']);
      for (const name of ['traces', 'metrics', 'logs', 'logs/audit']) expect(p[name].processors, name).toEqual(expect.arrayContaining(['k8sattributes', 'resourcedetection']));
      for (const name of ['traces', 'logs']) expect(p[name].processors, name).toContain('filter/health');
      for (const name of ['traces', 'logs', 'logs/audit']) expect(p[name].processors, name).toEqual(expect.arrayContaining(['redaction', 'transform/redact']));
    });

    it('tail sampling keeps errors, slow traces and a ratio, with env-configurable threshold and ratio', () => {
      const policies = resolved.processors.tail_sampling.policies;
      expect(policies.map((x: any) => x.type).sort()).toEqual(['latency', 'probabilistic', 'status_code']);
      expect(policies.find((x: any) => x.type === 'status_code').status_code.status_codes).toEqual(['ERROR']);
      expect(cfg.processors.tail_sampling.policies.find((x: any) => x.type === 'latency').latency.threshold_ms).toBe('${env:NODETEL_SLOW_TRACE_THRESHOLD_MS:-500}');
      expect(cfg.processors.tail_sampling.policies.find((x: any) => x.type === 'probabilistic').probabilistic.sampling_percentage).toBe('${env:NODETEL_SAMPLING_PERCENTAGE:-10}');
      expect(p.traces.processors.indexOf('tail_sampling')).toBeLessThan(p.traces.processors.indexOf('batch'));
    });

    it('audit records are routed to their own pipeline, which neither samples nor filters', () => {
      const route = resolved.connectors['routing/audit'];
      expect(route.table[0].condition).toContain('"audit"');
      expect(route.table[0].pipelines).toEqual(['logs/audit']);
      expect(p['logs/in'].exporters).toEqual(['routing/audit']);
      expect(p['logs/audit'].receivers).toEqual(['routing/audit']);
      expect(p['logs/audit'].processors.some((x: string) => /sampl|filter/.test(x))).toBe(false);
      expect(p['logs/audit'].exporters).toEqual(['otlphttp/loki-audit']);
    });

    it('exporters: otlp to Tempo, otlphttp to Loki, prometheus or remote write; health_check extension', () => {
      expect(p.traces.exporters).toEqual(['otlp/tempo']);
      expect(p.logs.exporters).toEqual(['otlphttp/loki']);
      expect(resolved.exporters['otlphttp/loki'].endpoint).toBe('http://loki:3100/otlp');
      expect(cfg.service.pipelines.metrics.exporters).toEqual(['${env:NODETEL_METRICS_EXPORTER:-prometheus}']);
      expect(resolved.exporters.prometheus.resource_to_telemetry_conversion.enabled).toBe(true);
      expect(resolved.exporters.prometheusremotewrite.resource_to_telemetry_conversion.enabled).toBe(true);
      expect(resolved.service.extensions).toEqual(['health_check']);
    });

    it('every endpoint and secret comes from ${env:VAR:-default}, and each variable is in the header table with that default', () => {
      const text = fs.readFileSync(SHIPPED, 'utf8');
      const refs = new Map<string, string | undefined>();
      for (const line of text.split('\n').filter((l) => !l.trimStart().startsWith('#'))) {
        for (const t of tokenize(line)) if (t.kind === 'env') refs.set(t.name, t.default);
      }
      expect(refs.size).toBeGreaterThan(20);
      const header = text.split('\n').filter((l) => l.startsWith('#'));
      for (const [name, def] of refs) {
        expect(def, `${name} has a default`).not.toBeUndefined();
        const row = header.find((l) => new RegExp(`^#\\s+${name}\\s`).test(l));
        expect(row, `${name} is documented in the header`).toBeDefined();
        const documented = row!.replace(new RegExp(`^#\\s+${name}\\s+`), '').split(/\s{2,}/)[0];
        expect(documented === def || (def === '' && documented === '""') || (def === '' && documented.startsWith('""')), `${name}: header says ${documented}, file says ${def}`).toBe(true);
      }
      const walk = (v: unknown, at: string): void => {
        if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
        else if (/(endpoint|authorization|orgid|host|port)$/i.test(at) && !at.includes('.filter.')) expect(String(v), at).toMatch(/^\$\{env:[A-Z0-9_]+:-[^}]*\}$/);
      };
      walk(cfg.exporters, 'exporters');
      walk(cfg.receivers, 'receivers');
      walk(cfg.extensions, 'extensions');
      walk(cfg.service.telemetry, 'service.telemetry');
    });

    it('the header says how files layer and that merging replaces lists', () => {
      const header = fs.readFileSync(SHIPPED, 'utf8').split('\n\n')[0];
      expect(header).toMatch(/--config=/);
      expect(header).toMatch(/LIST IS REPLACED WHOLE/);
    });

    it('health-check paths are filtered from spans and logs', () => {
      const conditions = [...cfg.processors['filter/health'].traces.span, ...cfg.processors['filter/health'].logs.log_record].join('\n');
      for (const route of ['healthz', 'readyz', 'livez', 'health', 'metrics']) expect(conditions).toContain(route);
      expect(conditions).toContain('http.route');
      expect(conditions).toContain('url.path');
      // The Collector reads $$ as a literal $: the regex as the filter processor receives it.
      const regex = /IsMatch\(attributes\["url.path"\], "(.+)"\)/.exec(expand(cfg.processors['filter/health'].traces.span[1], {}) as string)![1];
      const re = new RegExp(regex);
      for (const yes of ['/healthz', '/readyz', '/livez', '/health', '/metrics', '/healthz/']) expect(re.test(yes), yes).toBe(true);
      for (const no of ['/healthcheck-report', '/api/metrics-export', '/users/health', '/']) expect(re.test(no), no).toBe(false);
    });
  });
});

describe('redaction patterns (as a second line of defence)', () => {
  // The redaction processor's blocked_values are Go RE2; these patterns use only syntax RE2 and
  // JavaScript read the same way ((?i) becomes the i flag here).
  const cfg = parseDocument(fs.readFileSync(SHIPPED, 'utf8')).toJS() as Record<string, any>;
  const toJs = (re: string) => (re.startsWith('(?i)') ? new RegExp(re.slice(4), 'gi') : new RegExp(re, 'g'));
  const values: RegExp[] = cfg.processors.redaction.blocked_values.map(toJs);
  const keys: RegExp[] = cfg.processors.redaction.blocked_key_patterns.map(toJs);
  const masked = (s: string) => values.reduce((acc, re) => acc.replace(re, '****'), s);

  it.each([
    ['an e-mail address', 'contact jane.doe+shop@example.co.uk now'],
    ['a Visa number', 'card 4111111111111111 declined'],
    ['a MasterCard number', 'pan=5500000000000004'],
    ['a card number with spaces', '4111 1111 1111 1111'],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi_jkl'],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    ['an AWS access key', 'key AKIAIOSFODNN7EXAMPLE used'],
  ])('masks %s in a value', (_what, input) => {
    expect(masked(input)).not.toEqual(input);
    expect(masked(input)).toContain('****');
  });

  it.each([
    'GET /users/:id',
    '4bf92f3577b34da6a3ce929d0e0e4736', // a trace id
    '00f067aa0ba902b7',
    '550e8400-e29b-41d4-a716-446655440000', // a request id
    '2024-05-01T12:00:00.000Z',
    'https://api.example.com/v1/orders?page=2',
    '127.0.0.1:4317',
    '1714564800000',
  ])('leaves %s alone', (input) => {
    expect(masked(input)).toEqual(input);
  });

  it.each(['password', 'db.password', 'http.request.header.authorization', 'http.request.header.cookie', 'http.response.header.set-cookie', 'api_key', 'x-api-key', 'refresh_token', 'client_secret', 'session_id'])('masks the value of key %s', (key) => {
    expect(keys.some((re) => new RegExp(re.source, re.flags.replace('g', '')).test(key))).toBe(true);
  });

  it.each(['http.route', 'url.path', 'http.request.method', 'service.name', 'db.operation.name', 'error.type', 'http.request.header.x-request-id'])('keeps key %s', (key) => {
    expect(keys.some((re) => new RegExp(re.source, re.flags.replace('g', '')).test(key))).toBe(false);
  });
});

interface Broken {
  file: string;
  code: string;
  message: RegExp;
  line?: number;
}

const BROKEN: Broken[] = [
  { file: 'unknown-component.yaml', code: 'unknown-component', message: /unknown receiver type "otlpp" \(not in otelcol-contrib 0\.136\.0\); did you mean "otlp"\?/, line: 2 },
  { file: 'undefined-processor.yaml', code: 'undefined-component', message: /pipeline "traces" references processor "batch\/fast", which is not defined under processors; did you mean "batch"\?/, line: 17 },
  { file: 'unused-exporter.yaml', code: 'unused-component', message: /exporter "otlp\/tempo" is defined but no pipeline uses it/, line: 12 },
  { file: 'no-exporter.yaml', code: 'pipeline-incomplete', message: /pipeline "logs" has no exporters/, line: 12 },
  { file: 'env-unset.yaml', code: 'env-unset', message: /NODETEL_TEST_SURELY_UNSET_GRPC is not set and "\$\{env:NODETEL_TEST_SURELY_UNSET_GRPC\}" has no default/, line: 5 },
  { file: 'env-syntax.yaml', code: 'env-syntax', message: /environment variable name "BAD-NAME" .* is invalid/, line: 5 },
  { file: 'env-syntax.yaml', code: 'env-syntax', message: /unterminated "\$\{"/, line: 7 },
  { file: 'env-syntax.yaml', code: 'env-syntax', message: /"\$TEMPO_ENDPOINT" is not expanded by the Collector/, line: 15 },
  { file: 'env-syntax.yaml', code: 'env-syntax', message: /unknown config provider "vault"/, line: 17 },
  { file: 'invalid-yaml.yaml', code: 'yaml', message: /duplicate key "debug" \(first at line 6\)/, line: 7 },
  { file: 'signal-mismatch.yaml', code: 'signal-unsupported', message: /exporter "prometheus" does not support traces \(it handles metrics\)/, line: 18 },
  { file: 'connector-half.yaml', code: 'connector-half', message: /connector "routing\/audit" must be an exporter of one pipeline and a receiver of another/, line: 13 },
  { file: 'connector-half.yaml', code: 'routing-target', message: /routes to pipeline "logs\/audit", which is not defined/, line: 18 },
  { file: 'connector-half.yaml', code: 'routing-target', message: /routes to pipeline "logs\/app", which does not list "routing\/audit" among its receivers/, line: 14 },
  { file: 'extension-unlisted.yaml', code: 'unused-component', message: /extension "pprof" is defined but not listed in service::extensions/, line: 4 },
  { file: 'extension-unlisted.yaml', code: 'undefined-component', message: /service::extensions lists "zpages", which is not defined/, line: 17 },
  { file: 'bad-sampling.yaml', code: 'value', message: /sampling_percentage must be a number from 0 to 100, got 150/, line: 15 },
  { file: 'no-service.yaml', code: 'no-service', message: /no "service" section/, line: undefined },
];

describe('broken files', () => {
  it.each(BROKEN.map((b) => [`${b.file}: ${b.code}`, b]))('%s', (_name, b) => {
    const { file, code, message, line } = b as Broken;
    const result = validateCollectorConfig([read(path.join(FIXTURES, 'broken', file))]);
    expect(result.ok).toBe(false);
    const hit = result.findings.find((f) => f.code === code && message.test(f.message));
    expect(hit, `no ${code} finding matching ${message} in\n${result.findings.map((f) => `${f.line}: ${f.message}`).join('\n')}`).toBeDefined();
    expect(hit!.severity).toBe('error');
    if (line !== undefined) expect(hit!.line).toBe(line);
    expect(hit!.file).toBe(path.relative(ROOT, path.join(FIXTURES, 'broken', file)));
  });

  it('warnings do not fail a file, --strict makes them fail it', async () => {
    const file = path.join(FIXTURES, 'broken/memory-limiter-late.yaml');
    const result = validateCollectorConfig([read(file)]);
    expect(result.ok).toBe(true);
    expect(result.findings.map((f) => f.code).sort()).toEqual(['batch-before-tail-sampling', 'memory-limiter-order']);
    ensureBuilt();
    expect((await runCommand(['validate', file])).code).toBe(0);
    const strict = await runCommand(['validate', '--strict', file]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/memory_limiter should be the first processor \(it is number 2\)/);
    expect(strict.stderr).toMatch(/invalid \(0 errors, 2 warnings, 0 notes\); --strict treats warnings as errors/);
  });

  it('a layer is checked merged with the file under it: a replaced list that drops memory_limiter is reported', () => {
    const result = validateCollectorConfig([read(SHIPPED), read(path.join(FIXTURES, 'site-override.yaml'))]);
    expect(result.findings).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'memory-limiter-missing', message: expect.stringContaining('pipeline "traces" has no memory_limiter'), file: 'test/collector-config/fixtures/site-override.yaml', line: 9 }));
    expect((result.resolved as any).exporters['otlp/tempo'].endpoint).toBe('tempo.tracing.svc:4317');
    expect((result.resolved as any).exporters['otlp/tempo'].tls).toEqual({ insecure: true });
  });

  it('the CLI exits 2 on each broken file and prints file:line: error: message on stderr', async () => {
    ensureBuilt();
    for (const file of [...new Set(BROKEN.map((b) => b.file))]) {
      const rel = path.relative(ROOT, path.join(FIXTURES, 'broken', file));
      const r = await runCommand(['validate', rel]);
      expect(r.code, file).toBe(2);
      expect(r.stdout, file).toBe('');
      for (const b of BROKEN.filter((x) => x.file === file)) {
        const lines = r.stderr.split('\n').filter((l) => b.message.test(l));
        expect(lines, `${file}: ${b.message}\n${r.stderr}`).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^${rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${b.line ? `:${b.line}:\\d+` : '(:\\d+:\\d+)?'}: error: `));
      }
      expect(r.stderr).toMatch(new RegExp(`: invalid \\(\\d+ errors?, `));
    }
  });

  it('a missing file, no file, and --json', async () => {
    ensureBuilt();
    const missing = await runCommand(['validate', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: error: no such file');
    const none = await runCommand(['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Not enough non-option arguments/);
    const json = await runCommand(['validate', '--json', path.join(FIXTURES, 'broken/unknown-component.yaml')]);
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout);
    expect(out.valid).toBe(false);
    expect(out.components).toBe('otelcol-contrib 0.136.0');
    expect(out.findings[0]).toMatchObject({ severity: 'error', code: 'unknown-component', line: 2 });
  });

  it('--env resolves references like the environment would', async () => {
    ensureBuilt();
    const ok = await runCommand(['validate', '--env', 'NODETEL_METRICS_EXPORTER=prometheusremotewrite', 'collector-config/collector.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('exporter "prometheus" is not used with NODETEL_METRICS_EXPORTER=prometheusremotewrite');
    const bad = await runCommand(['validate', 'collector-config/collector.yaml'], { NODETEL_SAMPLING_PERCENTAGE: '250' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/collector\.yaml:\d+:\d+: error: tail_sampling "tail_sampling" policy "keep-ratio": sampling_percentage must be a number from 0 to 100, got 250/);
  });
});

describe('${env:...} references', () => {
  it('reads the Collector syntax', () => {
    expect(tokenize('${env:A}')).toEqual([{ kind: 'env', raw: '${env:A}', name: 'A', default: undefined, start: 0 }]);
    expect(tokenize('${env:A:-x:y}')).toMatchObject([{ kind: 'env', name: 'A', default: 'x:y' }]);
    expect(tokenize('${env:A:-}')).toMatchObject([{ kind: 'env', name: 'A', default: '' }]);
    expect(tokenize('a$$b')).toEqual([{ kind: 'text', text: 'a$b' }]);
    expect(tokenize('${file:/x}')).toMatchObject([{ kind: 'other-scheme', scheme: 'file' }]);
  });

  it('expands as the Collector does: typed when alone, spliced in a string, default only when unset', () => {
    expect(expand('${env:P:-8888}', {})).toBe(8888);
    expect(expand('${env:B:-true}', {})).toBe(true);
    expect(expand('${env:P:-8888}', { P: '9999' })).toBe(9999);
    expect(expand('${env:P:-8888}', { P: '' })).toBe('');
    expect(expand('http://${env:H:-loki}:3100/otlp', {})).toBe('http://loki:3100/otlp');
    expect(expand('^/x$$', {})).toBe('^/x$');
  });
});

describe('components.json', () => {
  const catalog = loadCatalog();

  it('lists the contrib distribution, with what the shipped configuration uses', () => {
    expect(catalog.distribution).toBe('otelcol-contrib');
    expect(Object.keys(catalog.receivers).length).toBeGreaterThan(90);
    expect(Object.keys(catalog.exporters).length).toBeGreaterThan(40);
    for (const [kind, type] of [
      ['receivers', 'otlp'],
      ['processors', 'memory_limiter'],
      ['processors', 'batch'],
      ['processors', 'k8sattributes'],
      ['processors', 'resourcedetection'],
      ['processors', 'filter'],
      ['processors', 'redaction'],
      ['processors', 'transform'],
      ['processors', 'tail_sampling'],
      ['processors', 'resource'],
      ['exporters', 'otlp'],
      ['exporters', 'otlphttp'],
      ['exporters', 'prometheus'],
      ['exporters', 'prometheusremotewrite'],
      ['exporters', 'debug'],
      ['connectors', 'routing'],
      ['extensions', 'health_check'],
    ] as const) {
      expect(findType(catalog, kind, type), `${kind} ${type}`).toBeDefined();
    }
  });

  it('accepts deprecated type names as aliases', () => {
    expect(findType(catalog, 'extensions', 'cgroupruntime')).toBe(catalog.extensions.cgroup_runtime);
  });
});
