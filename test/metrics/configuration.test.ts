// Metrics configuration by the standard environment variables: where metrics go
// (OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT), their temporality
// (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE), and their independence from tracing:
// the RED metrics count every request with its route whether spans are exported, sampled or not.
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric } from '../helpers/otlp-receiver.ts';
import { CUMULATIVE, DELTA, lastPoints, metricNames, recordExports, sendAll, show, totalCount } from './series.ts';

const SERVER = 2;
const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
const COUNTER = 'auth.login.attempts';
const CPU = 'process.cpu.time';

const open: { close?: () => Promise<void>; stop?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await (thing.stop?.() ?? thing.close?.());
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  open.push(r);
  return r;
}

async function app(fixture: string, env: Record<string, string>): Promise<RunningApp> {
  const a = await startApp(fixture, { env });
  open.push(a);
  return a;
}

const users = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `/users/${from + i}`);

describe('OTEL_METRICS_EXPORTER', () => {
  it('none: no metrics are sent, while spans still are, and the app’s own counter is harmless', async () => {
    const r = await receiver();
    const a = await app('metrics-app.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_METRIC_EXPORT_INTERVAL: '100' });
    const paths = [...users(3), '/login?result=ok', '/allocate'];
    expect(await sendAll(a.url, paths)).toEqual(paths.map(() => 200));
    expect((await a.stop('SIGTERM')).signal).toBe('SIGTERM');
    // Spans are flushed on the same way out: once they are in, so would metrics be.
    await r.waitFor(() => r.spans.filter((s) => s.kind === SERVER).length >= paths.length, { what: `${paths.length} server spans` });
    expect(r.requests.metrics, metricNames(r).join(', ')).toBe(0);
  });

  it('console: metrics are printed on stdout instead, nothing is sent', async () => {
    const r = await receiver();
    const a = await app('metrics-app.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '100' });
    expect(await sendAll(a.url, [...users(2), '/login?result=ok'])).toEqual([200, 200, 200]);
    await a.stop('SIGTERM');
    await r.waitFor(() => r.spans.filter((s) => s.kind === SERVER).length >= 3, { what: '3 server spans' });
    expect(a.stdout()).toContain(DURATION);
    expect(a.stdout()).toContain(COUNTER);
    expect(r.requests.metrics).toBe(0);
  });
});

describe('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', () => {
  it('sends metrics there, and spans to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const general = await receiver();
    const forMetrics = await receiver();
    const a = await app('node-http.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: general.endpoint, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: forMetrics.endpoint });
    await sendAll(a.url, users(4));
    await a.stop('SIGTERM');
    await forMetrics.waitFor(() => totalCount(lastPoints(forMetrics.metrics, DURATION)) >= 4, { what: `${DURATION} counting 4 requests` });
    await general.waitFor(() => general.spans.length >= 4, { what: '4 spans' });
    expect(general.requests.metrics).toBe(0);
    expect(forMetrics.requests.traces).toBe(0);
  });
});

describe('metrics do not depend on tracing', () => {
  it.each([
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
    ['OTEL_TRACES_SAMPLER=always_off', { OTEL_TRACES_SAMPLER: 'always_off' }],
  ])('%s: every request is counted, with its http.route', async (_, tracing) => {
    const r = await receiver();
    const a = await app('express5.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, ...tracing });
    const paths = [...users(6), '/fail', '/fail'];
    await sendAll(a.url, paths);
    await a.stop('SIGTERM');
    const series = await r.waitFor(
      () => {
        const s = lastPoints(r.metrics, DURATION);
        return totalCount(s) >= paths.length && s;
      },
      { timeoutMs: 10_000, what: `${DURATION} counting ${paths.length} requests` },
    );
    const byRoute = Object.fromEntries(series.map(({ point }) => [String(point.attributes['http.route']), point.count]));
    expect(byRoute, show(series)).toEqual({ '/users/:id': 6, '/fail': 2 });
    expect(r.spans).toHaveLength(0);
  });
});

describe('ignored paths and the HTTP metrics', () => {
  it.each([
    ['NODETEL_IGNORED_PATHS=/fail (the list replaces the default one)', { NODETEL_IGNORED_PATHS: '/fail' }, { '/users/:id': 2, '/healthz': 2 }],
    ['NODETEL_METRICS_INCLUDE_IGNORED_PATHS=true', { NODETEL_METRICS_INCLUDE_IGNORED_PATHS: 'true' }, { '/users/:id': 2, '/fail': 2, '/healthz': 2 }],
  ])('%s', async (_, env, expected) => {
    const r = await receiver();
    const a = await app('express5.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, ...env });
    await sendAll(a.url, ['/users/1', '/users/2', '/fail', '/fail', '/healthz', '/healthz']);
    await a.stop('SIGTERM');
    const total = Object.values(expected).reduce((t, n) => t + n, 0);
    const series = await r.waitFor(
      () => {
        const s = lastPoints(r.metrics, DURATION);
        return totalCount(s) >= total && s;
      },
      { timeoutMs: 10_000, what: `${DURATION} counting ${total} requests` },
    );
    const byRoute = Object.fromEntries(series.map(({ point }) => [String(point.attributes['http.route']), point.count]));
    expect(byRoute, show(series)).toEqual(expected);
  });
});

describe('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', () => {
  // What the OpenTelemetry specification asks of each preference, per instrument kind.
  it.each([
    { preference: 'delta', histogram: DELTA, counter: DELTA, asyncCounter: DELTA },
    { preference: 'lowmemory', histogram: DELTA, counter: DELTA, asyncCounter: CUMULATIVE },
  ])('$preference: each export carries what happened since the previous one', async ({ preference, histogram, counter, asyncCounter }) => {
    const r = await receiver();
    const exportsReceived = recordExports(r);
    const a = await app('metrics-app.cjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: preference,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    });
    const all = (name: string): ReceivedMetric[] => r.metrics.filter((m) => m.name === name);
    const countSum = (name: string): number => all(name).reduce((total, m) => total + m.points.reduce((t, p) => t + (p.count ?? 0), 0), 0);
    const valueSum = (name: string): number => all(name).reduce((total, m) => total + m.points.reduce((t, p) => t + (p.value ?? 0), 0), 0);

    // Two rounds of requests, with an export in between.
    const first = [...users(5), '/login?result=ok', '/login?result=ok', '/login?result=ok'];
    await sendAll(a.url, first);
    await r.waitFor(() => countSum(DURATION) >= first.length, { what: `an export with the first ${first.length} requests` });
    const second = [...users(7, 100), '/login?result=ok', '/login?result=ok'];
    await sendAll(a.url, second);
    await a.stop('SIGTERM');
    const total = first.length + second.length;
    await r.waitFor(() => countSum(DURATION) >= total, { timeoutMs: 10_000, what: `${DURATION} adding up to ${total} across exports` });

    // Summed over every export, each request is counted once (cumulative points would count the first round twice).
    expect(countSum(DURATION)).toBe(total);
    expect(valueSum(COUNTER)).toBe(5);
    const withData = exportsReceived.filter((batch) => batch.some((m) => m.name === DURATION && m.points.some((p) => (p.count ?? 0) > 0)));
    expect(withData.length).toBeGreaterThanOrEqual(2);

    const temporalities = (name: string): number[] => [...new Set(all(name).map((m) => m.aggregationTemporality!))];
    expect(temporalities(DURATION)).toEqual([histogram]);
    expect(temporalities(COUNTER)).toEqual([counter]);
    expect(temporalities(CPU)).toEqual([asyncCounter]);
    // An UpDownCounter stays cumulative whatever the preference: a level has no meaningful delta.
    expect(temporalities(ACTIVE)).toEqual([CUMULATIVE]);
  });
});
