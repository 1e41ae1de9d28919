// Spans and log records go over gRPC through a transport of ours (preload/export/grpc-transport.ts)
// under the SDK's export delegate: it must keep what the SDK's transport does (the OTLP headers as
// gRPC metadata, gzip when asked), and it hands grpc-js a view of each request's bytes in a
// writer that later batches reuse, instead of a copy.
import { afterEach, expect, it } from 'vitest';
import { startApp } from '../helpers/app.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { closeProxies, startTcpProxy } from '../helpers/tcp-proxy.ts';

const open: { close?: () => Promise<void>; stop?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await (thing.stop?.() ?? thing.close?.());
  await closeProxies();
});

it('sends the OTLP headers as gRPC metadata with spans and log records', async () => {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  const app = await startApp('node-http.cjs', {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme,x-scope=team%20a',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
    },
  });
  open.push(app);
  await fetch(`${app.url}/users/7`).then((r) => r.arrayBuffer());
  await receiver.waitFor(() => receiver.spans.length >= 1 && receiver.logs.some((l) => l.eventName === 'http.server.access'), { what: 'the span and its access-log record' });

  expect(receiver.spans[0]!.attributes['url.path']).toBe('/users/7');
  expect(receiver.headers).toHaveLength(receiver.requests.traces + receiver.requests.logs);
  for (const headers of receiver.headers) {
    expect(headers).toMatchObject({ 'x-tenant': 'acme', 'x-scope': 'team a' });
    expect(headers['user-agent']).toMatch(/^nodetel\/\d+\.\d+\.\d+ /);
  }
});

it('compresses with gzip when OTEL_EXPORTER_OTLP_COMPRESSION says so', async () => {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  /** Bytes the app sends the Collector (through a proxy that counts them) for 100 spans in one batch. */
  const bytesFor = async (compression: string): Promise<number> => {
    const proxy = await startTcpProxy(Number(new URL(receiver.endpoint).port));
    const app = await startApp('node-http.cjs', {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
        OTEL_EXPORTER_OTLP_COMPRESSION: compression,
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100',
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    const before = receiver.spans.length;
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => fetch(`${app.url}/users/${i * 10 + j}`).then((r) => r.arrayBuffer())));
    await receiver.waitFor(() => receiver.spans.length >= before + 100, { what: `100 spans (${compression})` });
    await app.stop('SIGTERM');
    return proxy.bytesFromClients;
  };
  const plain = await bytesFor('none');
  const gzipped = await bytesFor('gzip');
  expect(receiver.spans).toHaveLength(200);
  expect(gzipped).toBeLessThan(plain / 3);
});

it('delivers every span of many batches in flight once, as recorded, each request a view of its writer', async () => {
  const receiver = await startOtlpReceiver();
  open.push(receiver);
  const app = await startApp('node-http.cjs', {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '25', OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  });
  open.push(app);
  // Twenty at a time, so batches fill while earlier ones are still on the wire.
  for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 20 }, (_, j) => fetch(`${app.url}/users/${i * 20 + j}`).then((r) => r.arrayBuffer())));
  await receiver.waitFor(() => receiver.spans.length >= 400, { what: '400 spans' });

  expect(receiver.requests.traces).toBe(16);
  expect(receiver.spans).toHaveLength(400);
  expect(new Set(receiver.spans.map((s) => s.attributes['url.path']))).toEqual(new Set(Array.from({ length: 400 }, (_, i) => `/users/${i}`)));
  expect(receiver.spans.filter((s) => s.attributes['http.response.status_code'] !== 200 || s.name !== 'GET')).toEqual([]);
});
