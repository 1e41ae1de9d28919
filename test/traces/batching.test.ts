// Spans leave in full batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE while the app is busy: an export
// costs far more than the spans in it, so a batch that filled up must not drag a nearly empty one
// after it. What is left over goes when OTEL_BSP_SCHEDULE_DELAY runs out, or on the way out.
import { afterEach, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';

const open: { close?: () => Promise<void>; stop?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await (thing.stop?.() ?? thing.close?.());
});

async function tracedApp(receiver: OtlpReceiver, env: Record<string, string>): Promise<RunningApp> {
  const app = await startApp('node-http.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...env } });
  open.push(app);
  return app;
}

it('exports one request per full batch while the app is busy, the rest on the way out', async () => {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  const app = await tracedApp(receiver, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '25', OTEL_BSP_SCHEDULE_DELAY: '60000' });
  // Ten at a time, so spans keep ending while the first batches are being sent.
  for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => fetch(`${app.url}/users/${i * 10 + j}`).then((r) => r.arrayBuffer())));
  await receiver.waitFor(() => receiver.spans.length >= 100, { what: '100 spans' });
  expect(receiver.requests.traces).toBe(4);
  expect(new Set(receiver.spans.map((s) => s.attributes['url.path'])).size).toBe(100);

  for (let i = 0; i < 7; i++) await fetch(`${app.url}/users/${100 + i}`).then((r) => r.arrayBuffer());
  await app.stop('SIGTERM');
  expect(receiver.spans.length).toBe(107);
  expect(receiver.requests.traces).toBe(5);
});

it('sends a partial batch when the schedule delay runs out', async () => {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  const app = await tracedApp(receiver, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '25', OTEL_BSP_SCHEDULE_DELAY: '100' });
  for (let i = 0; i < 30; i++) await fetch(`${app.url}/users/${i}`).then((r) => r.arrayBuffer());
  await receiver.waitFor(() => receiver.spans.length >= 30, { what: '30 spans before any exit' });
  expect(receiver.spans.length).toBe(30);
});

it('sends a retried batch as it was, while the batches after it reuse the buffers of those already sent', async () => {
  // http/protobuf: the SDK's transport retries a 503 after a back-off, from the bytes it was first given.
  const receiver = await startOtlpReceiver({ mode: 'unavailable-once' });
  open.push(receiver);
  const app = await tracedApp(receiver, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '25',
    OTEL_BSP_SCHEDULE_DELAY: '60000',
  });
  for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => fetch(`${app.url}/users/${i * 10 + j}`).then((r) => r.arrayBuffer())));
  await receiver.waitFor(() => receiver.spans.length >= 200, { what: '200 spans' });
  // Eight batches, the first of them twice; every span once, as it was recorded.
  expect(receiver.requests.traces).toBe(9);
  expect(receiver.spans).toHaveLength(200);
  const paths = receiver.spans.map((s) => s.attributes['url.path']);
  expect(new Set(paths)).toEqual(new Set(Array.from({ length: 200 }, (_, i) => `/users/${i}`)));
  expect(receiver.spans.filter((s) => s.attributes['http.response.status_code'] !== 200)).toEqual([]);
});
