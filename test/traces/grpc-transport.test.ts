// Spans, log records and metrics go over gRPC through a channel of ours on node:http2
// (preload/export/grpc-channel.ts) under the SDK's export delegate: it must keep what the SDK's
// grpc-js transport does (the OTLP headers as gRPC metadata, gzip when asked, TLS with the CA and
// client certificate the OTLP variables name), and it sends each request's bytes as they are in
// a writer that later batches reuse, instead of a copy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startApp } from '../helpers/app.ts';
import { startOtlpReceiver, type ReceiverTls } from '../helpers/otlp-receiver.ts';
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
    expect(headers['user-agent']).toMatch(/^nodetel\/\d+\.\d+\.\d+$/);
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

/** A CA, a certificate it signed for 127.0.0.1 (the Collector's) and one for a client, as PEM files. */
function certificates(): { dir: string; ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nodetel-otlp-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=test CA');
  for (const [name, subject, extension] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=app', 'extendedKeyUsage=clientAuth'],
  ]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject!);
    writeFileSync(file(`${name}.ext`), extension!);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '1', '-extfile', file(`${name}.ext`));
  }
  return { dir, ca: file('ca.pem'), serverKey: file('server.key'), serverCert: file('server.pem'), clientKey: file('client.key'), clientCert: file('client.pem') };
}

it('sends spans, log records and metrics over TLS, trusting the CA of OTEL_EXPORTER_OTLP_CERTIFICATE and showing the client certificate it names', async () => {
  const pem = certificates();
  const tls: ReceiverTls = { key: readFileSync(pem.serverKey), cert: readFileSync(pem.serverCert), clientCa: readFileSync(pem.ca) };
  const receiver = await startOtlpReceiver({ tls });
  open.push(receiver);
  expect(receiver.endpoint).toMatch(/^https:/);
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_CERTIFICATE: pem.ca,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  };
  const app = await startApp('node-http.cjs', { env: { ...env, OTEL_EXPORTER_OTLP_CLIENT_KEY: pem.clientKey, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pem.clientCert } });
  open.push(app);
  await fetch(`${app.url}/users/7`).then((r) => r.arrayBuffer());
  await receiver.waitFor(() => receiver.spans.length >= 1 && receiver.logs.some((l) => l.eventName === 'http.server.access') && receiver.metrics.some((m) => m.name === 'http.server.request.duration'), {
    what: 'the span, its access-log record and its duration metric over TLS',
  });
  expect(receiver.spans[0]!.attributes['url.path']).toBe('/users/7');
  await app.stop();

  // Without the client certificate this Collector refuses the connection: nothing arrives, and the
  // app says so once per signal instead of failing.
  receiver.reset();
  const anonymous = await startApp('node-http.cjs', { env });
  open.push(anonymous);
  await fetch(`${anonymous.url}/users/8`).then((r) => r.arrayBuffer());
  // SIGTERM, which the app does not handle: the preload flushes, then the app dies of it as it would have.
  expect(await anonymous.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
  expect(receiver.requests).toEqual({ traces: 0, metrics: 0, logs: 0 });
  expect(anonymous.stderr()).toMatch(/spans export failed \(Error: gRPC status 14 UNAVAILABLE: .*certificate required/);
});

it('connects again when the Collector comes back: what is exported after that arrives', async () => {
  // A port where no Collector listens yet: the first exports fail (and are counted as dropped).
  const first = await startOtlpReceiver();
  const port = first.port;
  await first.close();
  const app = await startApp('node-http.cjs', {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  });
  open.push(app);
  await fetch(`${app.url}/users/1`).then((r) => r.arrayBuffer());
  const deadline = Date.now() + 10_000;
  while (!app.stderr().includes('spans export failed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(app.stderr()).toMatch(/spans export failed \(Error: gRPC status 14 UNAVAILABLE: .*ECONNREFUSED/);

  const receiver = await startOtlpReceiver({ port });
  open.push(receiver);
  await fetch(`${app.url}/users/2`).then((r) => r.arrayBuffer());
  await receiver.waitFor(() => receiver.spans.some((s) => s.attributes['url.path'] === '/users/2'), { what: 'the span of the request made after the Collector came up' });
  expect(receiver.spans.map((s) => s.attributes['url.path'])).toEqual(['/users/2']);
});
