// node:https is node:http underneath: an https server gets SERVER spans with url.scheme https,
// and an https.get gets a CLIENT span whose traceparent the callee continues. Its RED metrics
// carry url.scheme https too, and its active-requests series returns to zero.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { lastPoints, show } from '../metrics/series.ts';

let receiver: OtlpReceiver;
let front: RunningApp;
let back: RunningApp;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nodetel-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  receiver = await startOtlpReceiver();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', TLS_KEY: key, TLS_CERT: cert };
  back = await startApp('https.cjs', { env: { ...env, OTEL_SERVICE_NAME: 'back', OTEL_METRICS_EXPORTER: 'otlp' } });
  front = await startApp('https.cjs', { env: { ...env, OTEL_SERVICE_NAME: 'front', DOWNSTREAM: `https://127.0.0.1:${back.port}/inventory` } });
});

afterAll(async () => {
  await front?.stop();
  await back?.stop();
  await receiver?.close();
});

it('traces an https server and an https client as one trace', async () => {
  const body = execFileSync('curl', ['-sk', `https://127.0.0.1:${front.port}/call`], { encoding: 'utf8' });
  expect(body).toBe('downstream 200');
  const trace = await receiver.waitFor(() => {
    const root = receiver.spans.find((s) => s.kind === 2 && s.resource['service.name'] === 'front');
    const all = root && receiver.spans.filter((s) => s.traceId === root.traceId);
    return all && all.length >= 3 ? all : undefined;
  }, { what: 'front server, front client and back server spans in one trace' });
  const frontServer = trace.find((s) => s.kind === 2 && s.resource['service.name'] === 'front')!;
  const client = trace.find((s) => s.kind === 3)!;
  const backServer = trace.find((s) => s.kind === 2 && s.resource['service.name'] === 'back')!;
  expect(frontServer.attributes).toMatchObject({ 'url.scheme': 'https', 'server.port': front.port, 'url.path': '/call' });
  expect(client.parentSpanId).toBe(frontServer.spanId);
  expect(client.attributes).toMatchObject({ 'url.full': `https://127.0.0.1:${back.port}/inventory`, 'server.port': back.port, 'http.response.status_code': 200 });
  expect(backServer.parentSpanId).toBe(client.spanId);
  expect(backServer.attributes).toMatchObject({ 'url.scheme': 'https', 'url.path': '/inventory' });
});

it('keys the https server metrics by url.scheme https, and ends with no request active', async () => {
  const body = execFileSync('curl', ['-sk', `https://127.0.0.1:${back.port}/stock`], { encoding: 'utf8' });
  expect(body).toBe('ok');
  await back.stop(); // the metrics go out on SIGTERM
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === 'back');
  const durations = lastPoints(metrics, 'http.server.request.duration');
  expect(durations.length, show(durations)).toBeGreaterThan(0);
  for (const { point } of durations) expect(point.attributes['url.scheme']).toBe('https');
  const active = lastPoints(metrics, 'http.server.active_requests');
  expect(active.map(({ point }) => [point.attributes['url.scheme'], point.value])).toEqual([['https', 0]]);
});
