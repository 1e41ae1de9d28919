// HTTP server metrics (RED: rate, errors, duration), per framework, CommonJS and ESM: a known
// mix of requests to a real app started under `node --require ./preload` arrives as
// http.server.request.duration series counted exactly per (method, route, status), with
// histograms that add up, and http.server.active_requests back at zero once they are answered.
// Each app sends its metrics once, on SIGTERM (the export interval is left at its 60 s default),
// so what is read here is the final cumulative point of each series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE22, NODE24, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { CUMULATIVE, HTTP_DURATION_BOUNDS, lastPoints, metricNames, sendAll, seriesKey, show, totalCount, type Series } from './series.ts';

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
/** Far above what a request to these apps takes, even on a loaded 2-core machine. */
const GENEROUS_SECONDS_PER_REQUEST = 2;

const FRAMEWORKS = [
  { name: 'node-http', templates: false },
  { name: 'express4', templates: true },
  { name: 'express5', templates: true },
  { name: 'fastify4', templates: true },
  { name: 'fastify5', templates: true },
  { name: 'koa', templates: true },
];

/** Every fixture on Node 24; on Node 22 one framework per module type keeps the run short. */
const cases = [
  ...FRAMEWORKS.flatMap((framework) => ['cjs', 'mjs'].map((ext) => ({ node: { name: 'node24', bin: NODE24 }, framework, fixture: `${framework.name}.${ext}` }))),
  { node: { name: 'node22', bin: NODE22 }, framework: FRAMEWORKS[1]!, fixture: 'express4.cjs' },
  { node: { name: 'node22', bin: NODE22 }, framework: FRAMEWORKS[4]!, fixture: 'fastify5.mjs' },
];

// The mix. 30 requests over 20 distinct user ids; /users/missing matches the same template
// but answers 404; /fail answers 500 without throwing; /throw throws and the framework (or,
// for node:http, the app itself) answers 500; /no/such/route/<n> matches no route at all and
// answers 404; the health checks answer 200 and must not be counted.
const USERS = Array.from({ length: 30 }, (_, i) => `/users/u${(i % 20) + 1}`);
const MISSING = Array.from({ length: 5 }, () => '/users/missing');
const FAIL = Array.from({ length: 3 }, () => '/fail');
const THROW = Array.from({ length: 2 }, () => '/throw');
const UNMATCHED = Array.from({ length: 2 }, (_, i) => `/no/such/route/${i}`);
const HEALTH = ['/healthz', '/readyz', '/healthz', '/readyz', '/healthz', '/readyz'];
const COUNTED = USERS.length + MISSING.length + FAIL.length + THROW.length + UNMATCHED.length;

const base = { 'http.request.method': 'GET', 'url.scheme': 'http' };

/** The series the mix must give, with their counts; the /throw series is checked on its own (its error.type may name the exception). */
function expectedSeries(templates: boolean): { attributes: Record<string, unknown>; count: number }[] {
  if (!templates) {
    // No framework, no template: the route is simply absent, and series differ by status alone.
    return [
      { attributes: { ...base, 'http.response.status_code': 200 }, count: USERS.length },
      { attributes: { ...base, 'http.response.status_code': 404 }, count: MISSING.length + UNMATCHED.length },
      { attributes: { ...base, 'http.response.status_code': 500, 'error.type': '500' }, count: FAIL.length + THROW.length },
    ];
  }
  return [
    { attributes: { ...base, 'http.route': '/users/:id', 'http.response.status_code': 200 }, count: USERS.length },
    { attributes: { ...base, 'http.route': '/users/:id', 'http.response.status_code': 404 }, count: MISSING.length },
    { attributes: { ...base, 'http.route': '/fail', 'http.response.status_code': 500, 'error.type': '500' }, count: FAIL.length },
    { attributes: { ...base, 'http.response.status_code': 404 }, count: UNMATCHED.length },
  ];
}

const counts = (series: readonly Series[]): Record<string, number> =>
  Object.fromEntries(series.map(({ point }) => [seriesKey(point.attributes), point.count ?? 0]));

describe.each(cases)('$fixture on $node.name', ({ node, framework, fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let duration: Series[];
  let active: Series[];
  const service = `svc-metrics-${fixture}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp(fixture, {
      node: node.bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: service },
    });
    const paths = [...USERS, ...MISSING, ...FAIL, ...THROW, ...UNMATCHED, ...HEALTH];
    const statuses = await sendAll(app.url, paths);
    // The fixtures answer as documented: what follows counts what they really did.
    expect(statuses.filter((s) => s === 200)).toHaveLength(USERS.length + HEALTH.length);
    expect(statuses.filter((s) => s === 404)).toHaveLength(MISSING.length + UNMATCHED.length);
    expect(statuses.filter((s) => s === 500)).toHaveLength(FAIL.length + THROW.length);

    await app.stop('SIGTERM');
    // The app is gone: all it could send has been sent; give the receiver the time to decode it.
    duration = await receiver.waitFor(
      () => {
        const series = lastPoints(receiver.metrics, DURATION);
        return totalCount(series) >= COUNTED && series;
      },
      { timeoutMs: 10_000, what: `${DURATION} counting ${COUNTED} requests` },
    );
    active = lastPoints(receiver.metrics, ACTIVE);
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('counts the requests exactly per method, route and status, and nothing else', () => {
    const throwSeries = duration.filter(({ point }) => point.attributes['http.route'] === '/throw');
    const others = duration.filter((s) => !throwSeries.includes(s));
    const expected = Object.fromEntries(expectedSeries(framework.templates).map(({ attributes, count }) => [seriesKey(attributes), count]));
    expect(counts(others), show(duration)).toEqual(expected);
    if (framework.templates) {
      expect(throwSeries, show(duration)).toHaveLength(1);
      expect(throwSeries[0]!.point.count).toBe(THROW.length);
    }
  });

  it(framework.templates ? 'labels series with the route template, never the raw path' : 'has no http.route at all without a framework, and never the raw path', () => {
    const routes = new Set(duration.map(({ point }) => point.attributes['http.route']));
    if (framework.templates) expect([...routes].sort()).toEqual([undefined, '/fail', '/throw', '/users/:id'].sort());
    else expect(duration.every(({ point }) => !('http.route' in point.attributes)), show(duration)).toBe(true);
    for (const { point } of duration) {
      for (const value of Object.values(point.attributes)) expect(String(value)).not.toMatch(/\/users\/(u\d+|missing)|\/no\/such/);
    }
  });

  it('sets error.type on 5xx only: the status code, or the type of the exception a handler threw', () => {
    for (const { point } of duration) {
      const status = point.attributes['http.response.status_code'] as number;
      if (status < 500) expect(point.attributes, show(duration)).not.toHaveProperty('error.type');
      else expect(point.attributes['error.type'], show(duration)).toEqual(expect.any(String));
    }
    const thrown = duration.find(({ point }) => point.attributes['http.route'] === '/throw');
    if (thrown) {
      expect(thrown.point.attributes).toMatchObject({ ...base, 'http.response.status_code': 500 });
      expect(['500', 'Error']).toContain(thrown.point.attributes['error.type']);
    }
  });

  it('does not count health checks', () => {
    expect(totalCount(duration)).toBe(COUNTED);
    const routes = duration.map(({ point }) => point.attributes['http.route']);
    expect(routes).not.toContain('/healthz');
    expect(routes).not.toContain('/readyz');
  });

  it('sends a cumulative histogram in seconds with the semantic-convention buckets, whose counts and sums add up', () => {
    for (const { metric, point } of duration) {
      expect(metric).toMatchObject({ type: 'histogram', unit: 's', aggregationTemporality: CUMULATIVE });
      expect(metric.scope.name).toBe('nodetel');
      expect(metric.resource['service.name']).toBe(service);
      const count = point.count!;
      expect(point.explicitBounds).toEqual(HTTP_DURATION_BOUNDS);
      expect(point.bucketCounts).toHaveLength(HTTP_DURATION_BOUNDS.length + 1);
      expect(point.bucketCounts!.reduce((a, b) => a + b, 0), `buckets ${point.bucketCounts} of ${JSON.stringify(point.attributes)}`).toBe(count);
      expect(point.sum).toBeGreaterThan(0);
      expect(point.sum).toBeLessThan(count * GENEROUS_SECONDS_PER_REQUEST);
      if (point.min !== undefined && point.max !== undefined) {
        expect(point.min).toBeGreaterThan(0);
        expect(point.min).toBeLessThanOrEqual(point.max);
        expect(point.max).toBeLessThan(GENEROUS_SECONDS_PER_REQUEST);
      }
      expect(point.timeUnixNano).toBeGreaterThan(point.startTimeUnixNano);
    }
  });

  it('counts active requests with an UpDownCounter that is back to 0 once all are answered', () => {
    expect(active, `no ${ACTIVE}; got ${metricNames(receiver).join(', ')}`).not.toHaveLength(0);
    for (const { metric } of active) {
      expect(metric).toMatchObject({ type: 'sum', isMonotonic: false, aggregationTemporality: CUMULATIVE });
      expect(metric.scope.name).toBe('nodetel');
    }
    expect(active.map(({ point }) => ({ attributes: point.attributes, value: point.value }))).toEqual([{ attributes: base, value: 0 }]);
  });
});
