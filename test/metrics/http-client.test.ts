// HTTP client metrics and requests in flight: the calls an app makes with fetch and with
// http.get are timed into http.client.request.duration, by method, server and status (or the
// error when there was no answer), and http.server.active_requests counts a request while it
// is being handled, then drops back. The app exports every 200 ms and stays up, so these read
// exports as they come.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE22, NODE24, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { CUMULATIVE, HTTP_DURATION_BOUNDS, lastPoints, sendAll, seriesKey, show, totalCount } from './series.ts';

const CLIENT = 'http.client.request.duration';
const ACTIVE = 'http.server.active_requests';
const GENEROUS_SECONDS_PER_REQUEST = 2;
/** A port nothing listens on (one the system just gave out and took back): connecting is refused at once. fetch forbids port 1. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A plain downstream service in the test process: /ok answers 200, /status/<n> answers n, /hold answers only when released. */
interface Downstream {
  port: number;
  url: string;
  /** Resolves when a /hold request has arrived; release() answers it. */
  held(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startDownstream(): Promise<Downstream> {
  let arrived!: () => void;
  let arrival = new Promise<void>((resolve) => (arrived = resolve));
  const waiting: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const status = /^\/status\/(\d{3})$/.exec(req.url ?? '');
    if (req.url === '/hold') {
      waiting.push(res);
      arrived();
      return;
    }
    res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: !status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    held: () => arrival,
    release: () => {
      for (const res of waiting.splice(0)) res.end('{}');
      arrival = new Promise<void>((resolve) => (arrived = resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cases = [
  { node: { name: 'node24', bin: NODE24 }, fixture: 'node-http.mjs' },
  { node: { name: 'node24', bin: NODE24 }, fixture: 'express4.cjs' },
  { node: { name: 'node22', bin: NODE22 }, fixture: 'koa.cjs' },
];

describe.each(cases)('$fixture on $node.name', ({ node, fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  /** One downstream per client, so each client's calls form series of their own. */
  let viaFetch: Downstream;
  let viaHttp: Downstream;
  let holder: Downstream;
  let refusedPort: number;

  const call = (to: string, via: 'fetch' | 'http'): string => `/call?to=${encodeURIComponent(to)}&via=${via}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    [viaFetch, viaHttp, holder] = await Promise.all([startDownstream(), startDownstream(), startDownstream()]);
    refusedPort = await closedPort();
    app = await startApp(fixture, {
      node: node.bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '200' },
    });
  });

  afterAll(async () => {
    holder?.release();
    await app?.stop();
    await receiver?.close();
    await Promise.all([viaFetch?.close(), viaHttp?.close(), holder?.close()]);
  });

  it('counts a request as active while it is handled, and not once it is answered', async () => {
    const active = (since: number, value: number): boolean =>
      receiver.metrics
        .slice(since)
        .some((m) => m.name === ACTIVE && m.points.some((p) => seriesKey(p.attributes) === seriesKey({ 'http.request.method': 'GET', 'url.scheme': 'http' }) && p.value === value));

    const pending = fetch(`${app.url}${call(`${holder.url}/hold`, 'fetch')}`);
    await holder.held();
    // Exports collected from now on see the request in flight.
    const whileHeld = receiver.metrics.length;
    await receiver.waitFor(() => active(whileHeld, 1), { what: `${ACTIVE} = 1 while a request is held` });

    holder.release();
    expect((await pending).status).toBe(200);
    const afterAnswer = receiver.metrics.length;
    await receiver.waitFor(() => active(afterAnswer, 0), { what: `${ACTIVE} = 0 once the request is answered` });

    const metric = receiver.metrics.find((m) => m.name === ACTIVE)!;
    expect(metric).toMatchObject({ type: 'sum', isMonotonic: false, aggregationTemporality: CUMULATIVE });
  });

  it('times fetch and http.get calls by method, server and status, and failed connections by error', async () => {
    const paths = [
      ...Array.from({ length: 3 }, () => call(`${viaFetch.url}/ok`, 'fetch')),
      call(`${viaFetch.url}/status/503`, 'fetch'),
      ...Array.from({ length: 2 }, () => call(`${viaHttp.url}/ok`, 'http')),
      call(`${viaHttp.url}/status/503`, 'http'),
      call(`http://127.0.0.1:${refusedPort}/ok`, 'fetch'),
      call(`http://127.0.0.1:${refusedPort}/ok`, 'http'),
    ];
    const statuses = await sendAll(app.url, paths, 4);
    // The app answers 200 with the downstream status, or 502 when the call itself failed.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 502, 502]);

    const ours = (port: number) => lastPoints(receiver.metrics, CLIENT).filter(({ point }) => point.attributes['server.port'] === port);
    await receiver.waitFor(
      () => totalCount(ours(viaFetch.port)) >= 4 && totalCount(ours(viaHttp.port)) >= 3 && totalCount(ours(refusedPort)) >= 2,
      { what: `${CLIENT} for 4 fetch calls, 3 http.get calls and 2 refused connections` },
    );

    const series = (port: number, status: number) => ({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': status,
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    });
    const counts = (port: number) => Object.fromEntries(ours(port).map(({ point }) => [seriesKey(point.attributes), point.count]));
    expect(counts(viaFetch.port), show(ours(viaFetch.port))).toEqual({ [seriesKey(series(viaFetch.port, 200))]: 3, [seriesKey(series(viaFetch.port, 503))]: 1 });
    expect(counts(viaHttp.port), show(ours(viaHttp.port))).toEqual({ [seriesKey(series(viaHttp.port, 200))]: 2, [seriesKey(series(viaHttp.port, 503))]: 1 });

    // No answer, so no status: what failed is named by error.type instead.
    const refused = ours(refusedPort);
    expect(totalCount(refused), show(refused)).toBe(2);
    for (const { point } of refused) {
      expect(point.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'server.port': refusedPort });
      expect(point.attributes).not.toHaveProperty('http.response.status_code');
      expect(point.attributes['error.type']).toEqual(expect.stringMatching(/\S/));
    }

    for (const { metric, point } of [...ours(viaFetch.port), ...ours(viaHttp.port), ...refused]) {
      expect(metric).toMatchObject({ type: 'histogram', unit: 's', aggregationTemporality: CUMULATIVE });
      expect(metric.scope.name).toBe('nodetel');
      expect(point.explicitBounds).toEqual(HTTP_DURATION_BOUNDS);
      expect(point.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(point.count);
      expect(point.sum).toBeGreaterThan(0);
      expect(point.sum).toBeLessThan(point.count! * GENEROUS_SECONDS_PER_REQUEST);
    }
  });
});
