// A request whose client gives up before the response is complete still gets its span, its
// access-log record and its place in the RED metrics, marked error.type "aborted"; it is not left
// counted as active. (node:http publishes no finish for it: the preload sees the connection close.)
import { connect } from 'node:net';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedLog, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { lastPoints, show } from '../metrics/series.ts';

const SERVER = 2;
const ERROR = 2;

/** Resolves once `text` appears in what the app printed. */
async function printed(app: RunningApp, text: string): Promise<void> {
  while (!app.stdout().includes(text)) await new Promise((resolve) => app.child.stdout!.once('data', resolve));
}

describe.each(NODES)('on $name', (node) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let spans: ReceivedSpan[];
  let logs: ReceivedLog[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp('abandoned.cjs', {
      node: node.bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'otlp' },
    });
    // A client that sends its request and hangs up before any answer.
    const socket = connect(app.port, '127.0.0.1');
    socket.write('GET /stall/7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: impatient/1.0\r\n\r\n');
    await printed(app, 'stalled 7');
    socket.destroy();
    // A client that reads the head and the first chunk of a response, then hangs up.
    await new Promise<void>((resolve, reject) => {
      const request = get(`${app.url}/stream/8`, (response) => response.once('data', () => (request.destroy(), resolve())));
      request.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
    });
    await printed(app, 'streaming 8');
    await (await fetch(`${app.url}/users/9`)).text();
    spans = await receiver.waitFor(() => {
      const server = receiver.spans.filter((s) => s.kind === SERVER);
      return server.length >= 3 ? server : undefined;
    }, { what: 'three server spans' });
    logs = await receiver.waitFor(() => {
      const access = receiver.logs.filter((l) => l.eventName === 'http.server.access');
      return access.length >= 3 ? access : undefined;
    }, { what: 'three access-log records' });
    await app.stop(); // the metrics go out on SIGTERM
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const span = (path: string): ReceivedSpan => spans.find((s) => s.attributes['url.path'] === path)!;
  const log = (path: string): ReceivedLog => logs.find((l) => l.attributes['url.path'] === path)!;

  it('ends the span of a request abandoned before any answer: error.type aborted, no status code', () => {
    const stalled = span('/stall/7');
    expect(stalled.name).toBe('GET /stall/:id');
    expect(stalled.attributes).toMatchObject({ 'http.route': '/stall/:id', 'error.type': 'aborted', 'user_agent.original': 'impatient/1.0' });
    expect(stalled.attributes).not.toHaveProperty('http.response.status_code');
    expect(stalled.status.code).toBe(ERROR);
  });

  it('keeps the status code of a response whose head was sent before the client left', () => {
    expect(span('/stream/8').attributes).toMatchObject({ 'http.route': '/stream/:id', 'http.response.status_code': 200, 'error.type': 'aborted' });
  });

  it('leaves a finished request as it was', () => {
    const done = span('/users/9');
    expect(done.attributes).toMatchObject({ 'http.response.status_code': 200 });
    expect(done.attributes).not.toHaveProperty('error.type');
  });

  it('logs an abandoned request as a WARN access record, in its trace', () => {
    const stalled = log('/stall/7');
    expect(stalled.severityText).toBe('WARN');
    expect(stalled.attributes).toMatchObject({ 'http.route': '/stall/:id', 'error.type': 'aborted' });
    expect(stalled.traceId).toBe(span('/stall/7').traceId);
    expect(log('/users/9').severityText).toBe('INFO');
  });

  it('counts abandoned requests in the duration histogram and leaves none active', () => {
    const durations = lastPoints(receiver.metrics, 'http.server.request.duration');
    const series = (route: string) => durations.filter(({ point }) => point.attributes['http.route'] === route).map(({ point }) => point);
    expect(series('/stall/:id').map((p) => [p.attributes['error.type'], p.attributes['http.response.status_code'], p.count]), show(durations)).toEqual([['aborted', undefined, 1]]);
    expect(series('/stream/:id').map((p) => [p.attributes['error.type'], p.attributes['http.response.status_code'], p.count])).toEqual([['aborted', 200, 1]]);
    const active = lastPoints(receiver.metrics, 'http.server.active_requests');
    expect(active.map(({ point }) => point.value), show(active)).toEqual([0]);
  });
});
