/**
 * `agent collector-config`: prints the shipped configuration with the settings given as flags or
 * environment filled in; what it prints validates; bad values exit 2 naming the flag or variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateCollectorConfig, resolveSettings, SettingError, SETTINGS } from '../../agent/collector-config/generate';
import { runGenerate, type CommandIO } from '../../agent/collector-config/command';
import { validateCollectorConfig } from '../../agent/collector-config/validate';
import { ROOT, SHIPPED, ensureBuilt, runCommand } from './helpers';

const shipped = fs.readFileSync(SHIPPED, 'utf8');
const HEADER_LINES = 3; // "# Printed by ...", "# Filled in: ...", blank

function io(env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '', code: -1 };
  const handle: CommandIO = {
    env,
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    setExitCode: (c) => void (out.code = c),
    readFile: (f) => fs.readFileSync(f, 'utf8'),
  };
  return { out, handle };
}

const resolved = (text: string, env: Record<string, string> = {}) => {
  const r = validateCollectorConfig([{ name: 'generated.yaml', text }], { env });
  expect(r.findings.filter((f) => f.severity !== 'note')).toEqual([]);
  return r.resolved as Record<string, any>;
};

describe('generate', () => {
  it('with no flags and no environment, prints the shipped file, comments included, under a two-line header', () => {
    const { out, handle } = io();
    expect(runGenerate({}, handle)).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe('# Printed by `agent collector-config`.');
    expect(lines[1]).toBe('# Nothing was filled in: every ${env:...} below is read when the Collector starts.');
    expect(lines.slice(HEADER_LINES).join('\n')).toBe(shipped);
  });

  it('fills in backends, sampling ratio and latency threshold from flags', () => {
    const { out, handle } = io();
    const code = runGenerate({ tracesEndpoint: 'tempo.tracing:4317', logsEndpoint: 'https://loki.example/otlp', samplingRatio: '0.05', latencyThreshold: '2s', mode: 'gateway' }, handle);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    const cfg = resolved(out.stdout);
    expect(cfg.exporters['otlp/tempo'].endpoint).toBe('tempo.tracing:4317');
    expect(cfg.exporters['otlphttp/loki'].endpoint).toBe('https://loki.example/otlp');
    const policies = cfg.processors.tail_sampling.policies;
    expect(policies.find((p: any) => p.type === 'probabilistic').probabilistic.sampling_percentage).toBe(5);
    expect(policies.find((p: any) => p.type === 'latency').latency.threshold_ms).toBe(2000);
    expect(cfg.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    // Literal values, not references: the Collector's environment no longer changes them.
    expect(out.stdout).toContain('endpoint: tempo.tracing:4317');
    expect(out.stdout).toContain('sampling_percentage: 5\n');
    expect(out.stdout).toContain('threshold_ms: 2000\n');
    expect(out.stdout).toMatch(/^# Filled in: .*NODETEL_SAMPLING_PERCENTAGE=5.*NODETEL_SLOW_TRACE_THRESHOLD_MS=2000.*NODETEL_TEMPO_ENDPOINT=tempo\.tracing:4317/m);
    // Settings not given stay references.
    expect(out.stdout).toContain('${env:NODETEL_LOKI_AUDIT_ENDPOINT:-http://loki:3100/otlp}');
  });

  it('reads the same variables the configuration reads; flags win over them', () => {
    const { out, handle } = io({ NODETEL_TEMPO_ENDPOINT: 'tempo-from-env:4317', NODETEL_SAMPLING_PERCENTAGE: '25', NODETEL_SLOW_TRACE_THRESHOLD_MS: '750' });
    expect(runGenerate({ samplingRatio: '0.5' }, handle)).toBe(0);
    const cfg = resolved(out.stdout);
    expect(cfg.exporters['otlp/tempo'].endpoint).toBe('tempo-from-env:4317');
    expect(cfg.processors.tail_sampling.policies.find((p: any) => p.type === 'probabilistic').probabilistic.sampling_percentage).toBe(50);
    expect(cfg.processors.tail_sampling.policies.find((p: any) => p.type === 'latency').latency.threshold_ms).toBe(750);
  });

  it('choosing remote write removes the prometheus exporter, so the result has nothing unused', () => {
    const { out, handle } = io();
    expect(runGenerate({ metricsExporter: 'prometheusremotewrite', remoteWriteEndpoint: 'https://mimir.example/api/v1/push' }, handle)).toBe(0);
    const r = validateCollectorConfig([{ name: 'g.yaml', text: out.stdout }]);
    expect(r.findings).toEqual([]);
    const cfg = r.resolved as Record<string, any>;
    expect(cfg.service.pipelines.metrics.exporters).toEqual(['prometheusremotewrite']);
    expect(cfg.exporters.prometheus).toBeUndefined();
    expect(cfg.exporters.prometheusremotewrite.endpoint).toBe('https://mimir.example/api/v1/push');
  });

  it('never fills in a secret, whatever the environment holds', () => {
    const { out, handle } = io({ NODETEL_TEMPO_AUTHORIZATION: 'Bearer s3cr3t', NODETEL_LOKI_AUTHORIZATION: 'Basic c2VjcmV0', NODETEL_REMOTE_WRITE_AUTHORIZATION: 'Bearer x' });
    expect(runGenerate({}, handle)).toBe(0);
    expect(out.stdout).not.toMatch(/s3cr3t|c2VjcmV0|Bearer x/);
    expect(out.stdout).toContain('authorization: ${env:NODETEL_TEMPO_AUTHORIZATION:-}');
    expect(SETTINGS.some((s) => /AUTHORIZATION|TENANT/.test(s.env))).toBe(false);
  });

  it('a value with a $ is written so that the Collector reads it back unchanged', () => {
    const text = generateCollectorConfig(shipped, { NODETEL_LOKI_ENDPOINT: 'http://loki:3100/otlp?x=$y' });
    const cfg = resolved(text);
    expect(cfg.exporters['otlphttp/loki'].endpoint).toBe('http://loki:3100/otlp?x=$y');
  });

  it.each([
    [{ samplingRatio: '5' }, {}, '--sampling-ratio: "5" is not a ratio from 0 to 1'],
    [{ samplingRatio: 'lots' }, {}, '--sampling-ratio: "lots" is not a ratio from 0 to 1'],
    [{}, { NODETEL_SAMPLING_PERCENTAGE: '101' }, 'NODETEL_SAMPLING_PERCENTAGE: "101" is not a percentage from 0 to 100'],
    [{ latencyThreshold: 'soon' }, {}, '--latency-threshold: "soon" is not a duration such as 500ms, 2s or 750'],
    [{}, { NODETEL_SLOW_TRACE_THRESHOLD_MS: '1.5s' }, 'NODETEL_SLOW_TRACE_THRESHOLD_MS: "1.5s" is not a whole number of milliseconds'],
    [{ tracesEndpoint: 'http://tempo' }, {}, '--traces-endpoint: "http://tempo" is not an endpoint of the form host:port'],
    [{ logsEndpoint: 'loki:3100' }, {}, '--logs-endpoint: "loki:3100" is not an http:// or https:// URL'],
    [{ metricsExporter: 'influxdb' }, {}, '--metrics-exporter: "influxdb" is not one of prometheus, prometheusremotewrite'],
    [{}, { NODETEL_COLLECTOR_MODE: 'daemonset' }, 'NODETEL_COLLECTOR_MODE: "daemonset" is not one of sidecar, gateway'],
  ] as const)('rejects %o %o: %s', (flags, env, message) => {
    expect(() => resolveSettings(flags, env)).toThrow(SettingError);
    expect(() => resolveSettings(flags, env)).toThrow(message);
    const { out, handle } = io(env);
    expect(runGenerate(flags, handle)).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr.startsWith(`agent collector-config: ${message}`)).toBe(true);
    expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a base that does not validate prints nothing and exits 2', () => {
    const { out, handle } = io();
    expect(runGenerate({ from: path.join(ROOT, 'test/collector-config/fixtures/broken/unknown-component.yaml') }, handle)).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/unknown receiver type "otlpp"/);
    expect(out.stderr).toMatch(/does not validate; nothing printed/);
  });
});

describe('the command, spawned', () => {
  it('prints a configuration for the flags and environment, exit 0', async () => {
    ensureBuilt();
    const r = await runCommand(['--traces-endpoint', 'tempo.tracing:4317', '--sampling-ratio', '0.2', '--latency-threshold', '1s'], { NODETEL_LOKI_ENDPOINT: 'http://loki.logging:3100/otlp' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cfg = parseDocument(r.stdout).toJS();
    expect(cfg.exporters['otlp/tempo'].endpoint).toBe('tempo.tracing:4317');
    expect(cfg.exporters['otlphttp/loki'].endpoint).toBe('http://loki.logging:3100/otlp');
    expect(cfg.processors.tail_sampling.policies[1].latency.threshold_ms).toBe(1000);
    expect(cfg.processors.tail_sampling.policies[2].probabilistic.sampling_percentage).toBe(20);
    // And the printed file validates through the same command.
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nodetel-collector-config-')), 'generated.yaml');
    try {
      fs.writeFileSync(tmp, r.stdout);
      const v = await runCommand(['validate', tmp]);
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(/valid for otelcol-contrib 0\.136\.0 \(0 errors, 0 warnings, 1 note\)/);
    } finally {
      fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    }
  });

  it('exits 2 with the reason on a bad value, and on an unknown flag', async () => {
    ensureBuilt();
    const bad = await runCommand(['--sampling-ratio', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--sampling-ratio: "1.5" is not a ratio from 0 to 1');
    const unknown = await runCommand(['--sample', '0.1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/Unknown argument: sample/);
  });

  it('--help describes every setting with its variable', async () => {
    ensureBuilt();
    const r = await runCommand(['--help']);
    expect(r.code).toBe(0);
    for (const s of SETTINGS) {
      expect(r.stdout).toContain(`--${s.flag}`);
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(`env: ${s.env}`);
    }
    expect(r.stdout).toContain('validate');
    const v = await runCommand(['validate', '--help']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/--strict/);
  });
});
