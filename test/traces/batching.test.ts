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
