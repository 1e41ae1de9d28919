// Check results as metrics: Prometheus text on the agent's /metrics and OTLP to a Collector (here
// the real receiver of test/helpers), over OTLP/HTTP (the default) and gRPC alike, under the names
// dashboards and alert rules use.
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric } from '../helpers/otlp-receiver.ts';
import { PG_URL, builtinsLoadedBy, probe, REDIS_URL, startAgent, startWatchedApp, stopAll, waitFor } from './helpers.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const CHECKS = { NODETEL_AGENT_CHECK_PG: PG_URL, NODETEL_AGENT_CHECK_CACHE: REDIS_URL, NODETEL_AGENT_CHECK_GONE: 'tcp://127.0.0.1:1', NODETEL_AGENT_OPTIONAL_CHECKS: 'gone' };

describe('/metrics (Prometheus text)', () => {
  it('has dependency up and check duration by check name and kind, and the app heartbeat gauges', async () => {
    const agent = await startAgent({ env: { ...CHECKS, NODETEL_AGENT_CHECKS_INTERVAL_MS: '100' } });
    await startWatchedApp(agent);
    await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200 && r.body.checks!.every((c) => c.runs >= 2), { what: 'two runs of every check' });
    const response = await fetch(`${agent.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();

    // Exposition format: comments, or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="[^"]*",?)+\})? -?[\d.e+-]+)$/);
    expect(text).toContain('# TYPE nodetel_dependency_up gauge\n');
    expect(text).toContain('nodetel_dependency_up{check_name="pg",check_kind="postgres",check_required="true"} 1\n');
    expect(text).toContain('nodetel_dependency_up{check_name="cache",check_kind="redis",check_required="true"} 1\n');
    expect(text).toContain('nodetel_dependency_up{check_name="gone",check_kind="tcp",check_required="false"} 0\n');

    expect(text).toContain('# TYPE nodetel_dependency_check_duration_seconds histogram\n');
    const labels = 'check_name="pg",check_kind="postgres",check_required="true"';
    const buckets = [...text.matchAll(new RegExp(`^nodetel_dependency_check_duration_seconds_bucket\\{${labels},le="([^"]+)"\\} (\\d+)$`, 'gm'))];
    expect(buckets.map((m) => m[1])).toEqual([...BUCKETS.map(String), '+Inf']);
    const counts = buckets.map((m) => Number(m[2]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b)); // cumulative
    const count = Number(new RegExp(`^nodetel_dependency_check_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)![1]);
    const sum = Number(new RegExp(`^nodetel_dependency_check_duration_seconds_sum\\{${labels}\\} ([\\d.e-]+)$`, 'm').exec(text)![1]);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(counts.at(-1)).toBe(count);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(count * 2);

    expect(text).toMatch(/^nodetel_app_heartbeat_age_seconds [\d.]+$/m);
    expect(text).toMatch(/^nodetel_app_eventloop_delay_seconds [\d.]+$/m);
    expect(text).toMatch(/^nodetel_app_eventloop_delay_max_seconds [\d.]+$/m);
    const age = Number(/^nodetel_app_heartbeat_age_seconds ([\d.]+)$/m.exec(text)![1]);
    expect(age).toBeLessThan(5);
  });
});

// The agent's default protocol is http/protobuf; gRPC when asked for.
const PROTOCOLS = [
  { protocol: 'http/protobuf', endpoint: (r: OtlpReceiver) => r.httpEndpoint, env: {} },
  { protocol: 'grpc', endpoint: (r: OtlpReceiver) => r.endpoint, env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } },
];

describe.each(PROTOCOLS)('OTLP metrics to the Collector over $protocol', ({ endpoint, env }) => {
  function latest(r: OtlpReceiver, name: string): ReceivedMetric | undefined {
    return r.metrics.filter((m) => m.name === name).at(-1);
  }

  it('exports nodetel.dependency.up and nodetel.dependency.check.duration with check.name, check.kind, check.required', async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const agent = await startAgent({
      env: { ...env, ...CHECKS, NODETEL_AGENT_CHECKS_INTERVAL_MS: '100', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(receiver), OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_SERVICE_NAME: 'checkout', K8S_POD_NAME: 'checkout-1' },
    });
    await startWatchedApp(agent);
    const up = await receiver.waitFor(() => {
      const m = latest(receiver, 'nodetel.dependency.up');
      return m && m.points.length === 3 && latest(receiver, 'nodetel.app.heartbeat.age') ? m : undefined;
    }, { what: 'nodetel.dependency.up for 3 checks' });
    expect(up).toMatchObject({ type: 'gauge', unit: '1' });
    expect(up.resource).toMatchObject({ 'service.name': 'checkout', 'k8s.pod.name': 'checkout-1' });
    expect(up.scope.name).toBe('nodetel-agent');
    expect(up.points.map((p) => [p.attributes, p.value]).sort((a, b) => String((a[0] as Record<string, unknown>)['check.name']).localeCompare(String((b[0] as Record<string, unknown>)['check.name'])))).toEqual([
      [{ 'check.name': 'cache', 'check.kind': 'redis', 'check.required': true }, 1],
      [{ 'check.name': 'gone', 'check.kind': 'tcp', 'check.required': false }, 0],
      [{ 'check.name': 'pg', 'check.kind': 'postgres', 'check.required': true }, 1],
    ]);

    const duration = latest(receiver, 'nodetel.dependency.check.duration')!;
    expect(duration).toMatchObject({ type: 'histogram', unit: 's', aggregationTemporality: 2 });
    const pg = duration.points.find((p) => p.attributes['check.name'] === 'pg')!;
    expect(pg.attributes).toEqual({ 'check.name': 'pg', 'check.kind': 'postgres', 'check.required': true });
    expect(pg.explicitBounds).toEqual(BUCKETS);
    expect(pg.count).toBeGreaterThanOrEqual(1);
    expect(pg.sum).toBeGreaterThan(0);

    for (const name of ['nodetel.app.heartbeat.age', 'nodetel.app.eventloop.delay', 'nodetel.app.eventloop.delay.max']) {
      expect(latest(receiver, name), name).toMatchObject({ type: 'gauge', unit: 's' });
    }
  });

  it('compresses with gzip when asked, sends the configured headers, and sends the histogram whole: per-bucket counts that add up, sum, min, max', async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    await startAgent({
      env: { ...env, NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_PG: PG_URL, NODETEL_AGENT_CHECKS_INTERVAL_MS: '100', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(receiver), OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a' },
    });
    const duration = await receiver.waitFor(() => {
      const m = latest(receiver, 'nodetel.dependency.check.duration');
      return m && Number(m.points[0]?.count) >= 3 ? m : undefined;
    }, { what: 'three check runs in the duration histogram' });
    const point = duration.points[0]!;
    expect(point.bucketCounts!.map(Number)).toHaveLength(BUCKETS.length + 1);
    expect(point.bucketCounts!.map(Number).reduce((a, b) => a + b, 0)).toBe(Number(point.count));
    expect(point.min).toBeGreaterThan(0);
    expect(point.max).toBeGreaterThanOrEqual(point.min!);
    expect(point.sum).toBeGreaterThanOrEqual(point.max!);
    expect(Number(point.startTimeUnixNano)).toBeLessThan(Number(point.timeUnixNano));
    expect(receiver.headers.at(-1)).toMatchObject({ 'x-tenant': 'a' });
  });

  it('sends what it has on SIGTERM, and a Collector that is down is reported once without harm', async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    // Exports every minute only: what arrives comes from the flush at shutdown.
    const agent = await startAgent({ env: { ...env, NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_PG: PG_URL, NODETEL_AGENT_DRAIN_MS: '0', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(receiver) } });
    await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
    expect(receiver.requests.metrics).toBe(0);
    const exit = await agent.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(receiver.metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['nodetel.dependency.up', 'nodetel.dependency.check.duration']));

    // A Collector that refuses every export (UNAVAILABLE, HTTP 503): it counts the attempts.
    const refusing = await startOtlpReceiver({ mode: 'unavailable' });
    receivers.push(refusing);
    const down = await startAgent({ env: { ...env, NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_PG: PG_URL, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(refusing), OTEL_METRIC_EXPORT_INTERVAL: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '300' } });
    await waitFor(async () => down.stdout(), (out) => /metrics: OTLP export to http:\/\/127\.0\.0\.1:\d+\S* failed \((gRPC status 14 UNAVAILABLE|HTTP 503 Service Unavailable)/.test(out), { what: 'the export failure to be reported' });
    const reportedAt = refusing.requests.metrics;
    await refusing.waitFor(() => refusing.requests.metrics >= reportedAt + 3, { what: 'three more export attempts' });
    // Reported once however many attempts fail, and the probes answer as before.
    expect(down.stdout().split('\n').filter((l) => l.includes('OTLP export'))).toHaveLength(1);
    expect((await probe(`${down.url}/readyz`)).status).toBe(200);
  });
});

describe('what each protocol loads', () => {
  // node:http2 would load node:tls (and OpenSSL's TLS code) even for a plaintext Collector: about
  // 5 MB of the agent's RSS budget. Neither protocol loads either for a plaintext Collector (gRPC
  // speaks HTTP/2 itself, preload/export/http2-connection.ts).
  it.each([
    { protocol: 'http/protobuf', loads: [], leavesOut: ['http2', 'tls'] },
    { protocol: 'grpc', loads: [], leavesOut: ['http2', 'tls'] },
  ])('$protocol: neither node:http2 nor node:tls for a plaintext Collector', async ({ protocol, loads, leavesOut }) => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const builtins = await builtinsLoadedBy({
      NODETEL_AGENT_CHECK_PG: PG_URL,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint,
    });
    expect(receiver.metrics.map((m) => m.name)).toContain('nodetel.dependency.up'); // it did export
    expect(builtins).toEqual(expect.arrayContaining(['http', ...loads]));
    for (const name of leavesOut) expect(builtins).not.toContain(name);
  });
});
