// Bounded cardinality: the number of series follows the app's routes, not its traffic. 10,000
// distinct user ids are one series (a route template, or no route at all without a framework),
// and when distinct attribute sets do exceed NODETEL_METRICS_CARDINALITY_LIMIT, the first ones
// are kept and the rest fold into one series marked otel.metric.overflow=true, without losing a
// request. The apps export once, on SIGTERM.
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { lastPoints, sendAll, seriesKey, show, totalCount, type Series } from './series.ts';

const DURATION = 'http.server.request.duration';
const DISTINCT_IDS = 10_000;

const open: { close?: () => Promise<void>; stop?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await (thing.stop?.() ?? thing.close?.());
});

async function start(fixture: string, env: Record<string, string> = {}): Promise<{ receiver: OtlpReceiver; app: RunningApp }> {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  const app = await startApp(fixture, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...env } });
  open.push(app);
  return { receiver, app };
}

/** Stops the app and returns the final series of the server duration, once they count `expected` requests. */
async function finalSeries(receiver: OtlpReceiver, app: RunningApp, expected: number): Promise<Series[]> {
  await app.stop('SIGTERM');
  return receiver.waitFor(
    () => {
      const series = lastPoints(receiver.metrics, DURATION);
      return totalCount(series) >= expected && series;
    },
    { timeoutMs: 10_000, what: `${DURATION} counting ${expected} requests` },
  );
}

describe('10,000 distinct ids on one route', () => {
  it.each([
    ['express5.cjs', { 'http.route': '/users/:id' }],
    ['node-http.mjs', {}],
  ])('%s: one series', async (fixture, route) => {
    const { receiver, app } = await start(fixture);
    const paths = Array.from({ length: DISTINCT_IDS }, (_, i) => `/users/id-${i}`);
    const statuses = await sendAll(app.url, paths, 32);
    expect(statuses.every((s) => s === 200)).toBe(true);

    const series = await finalSeries(receiver, app, DISTINCT_IDS);
    expect(series.map(({ point }) => ({ attributes: point.attributes, count: point.count })), show(series)).toEqual([
      { attributes: { 'http.request.method': 'GET', ...route, 'http.response.status_code': 200, 'url.scheme': 'http' }, count: DISTINCT_IDS },
    ]);
  });
});

describe('NODETEL_METRICS_CARDINALITY_LIMIT', () => {
  it('keeps the first series up to the limit and folds the rest into one overflow series, losing no request', async () => {
    const limit = 3;
    const { receiver, app } = await start('express5.mjs', { NODETEL_METRICS_CARDINALITY_LIMIT: String(limit) });
    // Exactly `limit` distinct series first, one request after the other so their order is known...
    const first = ['/users/1', '/users/1', '/users/missing', '/users/missing', '/fail', '/fail'];
    for (const path of first) await sendAll(app.url, [path]);
    // ...then four more distinct (route, status) pairs, two requests each.
    const beyond = ['/api/v1/items/1', '/query', '/big', '/echo-headers'].flatMap((path) => [path, path]);
    await sendAll(app.url, beyond, 4);

    const series = await finalSeries(receiver, app, first.length + beyond.length);
    const counts = Object.fromEntries(series.map(({ point }) => [seriesKey(point.attributes), point.count]));
    const base = { 'http.request.method': 'GET', 'url.scheme': 'http' };
    // The limit is on distinct attribute sets: up to `limit` of them never overflow.
    expect(counts, show(series)).toEqual({
      [seriesKey({ ...base, 'http.route': '/users/:id', 'http.response.status_code': 200 })]: 2,
      [seriesKey({ ...base, 'http.route': '/users/:id', 'http.response.status_code': 404 })]: 2,
      [seriesKey({ ...base, 'http.route': '/fail', 'http.response.status_code': 500, 'error.type': '500' })]: 2,
      [seriesKey({ 'otel.metric.overflow': true })]: beyond.length,
    });
  });
});
