// Two instrumented services give one trace: the caller's client span is injected as W3C
// traceparent (with fetch and with http.get), the callee continues it, and the request id
// follows the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';

const SERVER = 2;
const CLIENT = 3;

describe.each(NODES)('two services on $name', ({ bin }) => {
  let receiver: OtlpReceiver;
  let front: RunningApp;
  let back: RunningApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = (name: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: name, OTEL_BSP_SCHEDULE_DELAY: '100' });
    back = await startApp('express5.cjs', { node: bin, env: env('back') });
    front = await startApp('node-http.mjs', { node: bin, env: env('front') });
  });

  afterAll(async () => {
    await front?.stop();
    await back?.stop();
    await receiver?.close();
  });

  for (const via of ['fetch', 'http'] as const) {
    it(`joins the services into one trace when the caller uses ${via}`, async () => {
      const target = encodeURIComponent(`${back.url}/echo-headers`);
      const response = await fetch(`${front.url}/call?to=${target}&via=${via}`, { headers: { 'x-request-id': `rid-${via}` } });
      const body = (await response.json()) as { status: number; body: Record<string, string> };
      expect(body.status).toBe(200);

      const trace = await receiver.waitFor(() => {
        const incoming = receiver.spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'front' && s.attributes['url.query']?.toString().includes(`via=${via}`));
        if (!incoming) return undefined;
        const all = receiver.spans.filter((s) => s.traceId === incoming.traceId);
        return all.length >= 3 ? all : undefined;
      }, { what: `the ${via} trace (front server, front client, back server)` });

      const byKind = (kind: number, service: string): ReceivedSpan => trace.find((s) => s.kind === kind && s.resource['service.name'] === service)!;
      const frontServer = byKind(SERVER, 'front');
      const frontClient = byKind(CLIENT, 'front');
      const backServer = byKind(SERVER, 'back');
      expect(frontServer.parentSpanId).toBe('');
      expect(frontClient.parentSpanId).toBe(frontServer.spanId);
      expect(backServer.parentSpanId).toBe(frontClient.spanId);
      expect(backServer.name).toBe('GET /echo-headers');
      expect(frontClient.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': back.port,
        'url.full': `${back.url}/echo-headers`,
        'http.response.status_code': 200,
      });

      // What crossed the wire: traceparent naming the client span, and the caller's request id.
      expect(body.body.traceparent).toBe(`00-${frontClient.traceId}-${frontClient.spanId}-01`);
      expect(body.body['x-request-id']).toBe(`rid-${via}`);
      expect(response.headers.get('x-request-id')).toBe(`rid-${via}`);
    });
  }

  it('continues a trace started upstream (incoming traceparent)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await (await fetch(`${back.url}/users/7`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } })).text();
    const span = await receiver.waitFor(() => receiver.spans.find((s) => s.traceId === traceId), { what: 'the continued span' });
    expect(span.parentSpanId).toBe(parentId);
    expect(span.name).toBe('GET /users/:id');
  });

  it('marks a client call that fails to connect as an error', async () => {
    const target = encodeURIComponent('http://127.0.0.1:1/nothing-listens-here');
    await (await fetch(`${front.url}/call?to=${target}&via=http`)).text();
    const span = await receiver.waitFor(() => receiver.spans.find((s) => s.kind === CLIENT && s.attributes['server.port'] === 1), { what: 'the failed client span' });
    expect(span.status.code).toBe(2);
    expect(span.attributes['error.type']).toBe('ECONNREFUSED');
    expect(span.events.map((e) => e.name)).toContain('exception');
  });
});
