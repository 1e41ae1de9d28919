/**
 * Proves the test receiver decodes what real OpenTelemetry SDK code puts on
 * the wire, field by field, before any end-to-end test trusts it. Spans go
 * through the real OTLP/gRPC trace exporter; metrics and logs, whose gRPC
 * exporters are not installed, are encoded by the same official serializers
 * those exporters use and sent as a plain gRPC call.
 */
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { SeverityNumber, SpanKind, SpanStatusCode, ROOT_CONTEXT, trace, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
// The metrics and logs SDKs are installed as dependencies of @opentelemetry/otlp-transformer.
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverMode } from './helpers/otlp-receiver.ts';

const resource = resourceFromAttributes({ 'service.name': 'receiver-test', 'service.version': '9.9.9' });
const EXPECTED_RESOURCE = { 'service.name': 'receiver-test', 'service.version': '9.9.9' };

/** Shut down in afterEach, so a failed assertion does not leak servers or gRPC channels. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function receiver(mode?: ReceiverMode): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver({ mode });
  cleanups.push(() => started.close());
  return started;
}

function traceExporter(config: ConstructorParameters<typeof OTLPTraceExporter>[0]): OTLPTraceExporter {
  const exporter = new OTLPTraceExporter(config);
  cleanups.push(() => exporter.shutdown());
  return exporter;
}

function exportSpans(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** One unary gRPC call carrying `request` as it is, like the OTLP exporters make. */
function sendExport(otlp: OtlpReceiver, path: string, request: Uint8Array | undefined): Promise<void> {
  if (!request) throw new Error('the serializer produced nothing');
  const client = new Client(`127.0.0.1:${otlp.port}`, credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const asIs = (bytes: Buffer): Buffer => bytes;
    client.makeUnaryRequest(path, () => Buffer.from(request), asIs, null, (error) => (error ? reject(error) : resolve()));
  }).finally(() => client.close());
}

/** A reader that collects only when asked. */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function nanos([seconds, nanoseconds]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}

/** Real SDK spans: a parent, an errored SERVER child with an event and a link, and the linked span. */
function makeSpans(): { parent: ReadableSpan; child: ReadableSpan; linked: ReadableSpan } {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('receiver-test-scope', '1.2.3');

  const linked = tracer.startSpan('linked');
  linked.end();
  const parent = tracer.startSpan('parent');
  const child = tracer.startSpan(
    'child',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'attr.string': 'hello',
        'attr.int': 42,
        'attr.double': 1.5,
        'attr.bool': true,
        'attr.strings': ['a', 'b'],
        'attr.ints': [1, 2, 3],
      },
      links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'test' } }],
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('something happened', { 'event.count': 7 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  child.end();
  parent.end();

  const byName = (name: string): ReadableSpan => {
    const span = memory.getFinishedSpans().find((s) => s.name === name);
    if (!span) throw new Error(`SDK did not finish span ${name}`);
    return span;
  };
  return { parent: byName('parent'), child: byName('child'), linked: byName('linked') };
}

describe('OTLP receiver', () => {
  it.each([CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP])(
    'decodes every span field sent by OTLPTraceExporter (compression %s)',
    async (compression) => {
      const otlp = await receiver();
      const metadata = new Metadata();
      metadata.set('x-test-header', 'hello');
      const exporter = traceExporter({ url: otlp.endpoint, compression, metadata });
      const { parent, child, linked } = makeSpans();

      const result = await exportSpans(exporter, [parent, child, linked]);

      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(otlp.requests).toEqual({ traces: 1, metrics: 0, logs: 0 });
      expect(otlp.headers).toHaveLength(1);
      expect(otlp.headers[0]).toMatchObject({ 'x-test-header': 'hello' });
      expect(otlp.spans.map((s) => s.name)).toEqual(['parent', 'child', 'linked']);

      const received = otlp.spans[1];
      const context = child.spanContext();
      expect(received).toEqual({
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: parent.spanContext().spanId,
        traceState: '',
        name: 'child',
        kind: 2, // SERVER in proto numbering (the API's SpanKind.SERVER is 1)
        startTimeUnixNano: nanos(child.startTime),
        endTimeUnixNano: nanos(child.endTime),
        attributes: {
          'attr.string': 'hello',
          'attr.int': 42,
          'attr.double': 1.5,
          'attr.bool': true,
          'attr.strings': ['a', 'b'],
          'attr.ints': [1, 2, 3],
        },
        events: [{ name: 'something happened', timeUnixNano: nanos(child.events[0]!.time), attributes: { 'event.count': 7 } }],
        links: [{ traceId: linked.spanContext().traceId, spanId: linked.spanContext().spanId, attributes: { 'link.reason': 'test' } }],
        status: { code: 2, message: 'it broke' },
        // W3C "sampled" bit, plus the proto's bit saying whether the parent is remote is known (0x100).
        flags: 0x101,
        resource: EXPECTED_RESOURCE,
        scope: { name: 'receiver-test-scope', version: '1.2.3' },
      });
      expect(otlp.spans[0]!.parentSpanId).toBe('');
      expect(received!.startTimeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);
    },
  );

  it('decodes metrics as the OTLP metrics serializer encodes them', async () => {
    const otlp = await receiver();
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ resource, readers: [reader] });
    cleanups.push(() => provider.shutdown());
    const meter = provider.getMeter('receiver-test-meter', '2.0.0');

    meter.createCounter('test.requests', { description: 'requests seen', unit: '{request}' }).add(5, { route: '/x' });
    meter.createUpDownCounter('test.active').add(-2);
    meter.createGauge('test.temperature', { unit: 'Cel' }).record(21.5);
    const histogram = meter.createHistogram('test.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    histogram.record(3);
    histogram.record(30);
    histogram.record(300);
    const { resourceMetrics } = await reader.collect();
    await sendExport(
      otlp,
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      ProtobufMetricsSerializer.serializeRequest(resourceMetrics),
    );

    const durations = await otlp.waitFor(() => otlp.metrics.find((m) => m.name === 'test.duration'), {
      what: 'the test.duration histogram',
    });
    expect(otlp.metrics.map((m) => m.name).sort()).toEqual(['test.active', 'test.duration', 'test.requests', 'test.temperature']);
    const byName = (name: string) => otlp.metrics.find((m) => m.name === name);

    expect(byName('test.requests')).toMatchObject({
      description: 'requests seen',
      unit: '{request}',
      type: 'sum',
      isMonotonic: true,
      aggregationTemporality: 2,
      points: [{ attributes: { route: '/x' }, value: 5 }],
      resource: EXPECTED_RESOURCE,
      scope: { name: 'receiver-test-meter', version: '2.0.0' },
    });
    expect(byName('test.active')).toMatchObject({ type: 'sum', isMonotonic: false, points: [{ value: -2 }] });
    expect(byName('test.temperature')).toMatchObject({ type: 'gauge', unit: 'Cel', points: [{ value: 21.5 }] });
    expect(durations).toMatchObject({
      type: 'histogram',
      unit: 'ms',
      aggregationTemporality: 2,
      points: [{ count: 3, sum: 333, min: 3, max: 300, bucketCounts: [1, 1, 1], explicitBounds: [10, 100] }],
    });
    const point = durations.points[0]!;
    expect(point.timeUnixNano).toBeGreaterThanOrEqual(point.startTimeUnixNano);
    expect(point.startTimeUnixNano).toBeGreaterThan(0n);
  });

  it('decodes logs as the OTLP logs serializer encodes them, including event names, maps and bytes', async () => {
    const otlp = await receiver();
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    cleanups.push(() => provider.shutdown());
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

    provider.getLogger('receiver-test-logger', '3.0.0').emit({
      eventName: 'test.happened',
      timestamp: 1_700_000_000_123,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: { message: 'hi', nested: { list: [1, 'two'] } },
      attributes: { 'attr.bytes': new Uint8Array([1, 2, 255]), 'attr.int': 3 },
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
    });
    await sendExport(
      otlp,
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      ProtobufLogsSerializer.serializeRequest(memory.getFinishedLogRecords()),
    );

    const [log] = await otlp.waitFor(() => otlp.logs.length > 0 && otlp.logs, { what: 'one log record' });
    expect(log).toEqual({
      timeUnixNano: 1_700_000_000_123_000_000n,
      observedTimeUnixNano: expect.any(BigInt),
      severityNumber: 13,
      severityText: 'WARN',
      body: { message: 'hi', nested: { list: [1, 'two'] } },
      attributes: { 'attr.bytes': new Uint8Array([1, 2, 255]), 'attr.int': 3 },
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      flags: 1,
      eventName: 'test.happened',
      resource: EXPECTED_RESOURCE,
      scope: { name: 'receiver-test-logger', version: '3.0.0' },
    });
  });

  it('answers UNAVAILABLE in mode "unavailable", so the export fails and nothing is kept', async () => {
    const otlp = await receiver('unavailable');
    const exporter = traceExporter({ url: otlp.endpoint, timeoutMillis: 1_000 });

    const result = await exportSpans(exporter, [makeSpans().child]);

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(otlp.requests.traces).toBeGreaterThanOrEqual(1);
    expect(otlp.spans).toEqual([]);
  });

  it('never answers in mode "hang", and close() still returns promptly', async () => {
    const otlp = await receiver('hang');
    const exporter = traceExporter({ url: otlp.endpoint, timeoutMillis: 30_000 });

    const result = exportSpans(exporter, [makeSpans().child]);
    await otlp.waitFor(() => otlp.requests.traces === 1, { what: 'the export call to arrive' });
    const closing = Date.now();
    await otlp.close();

    // Well before the exporter's own 30 s deadline: close() cut the call.
    expect((await result).code).toBe(ExportResultCode.FAILED);
    expect(Date.now() - closing).toBeLessThan(5_000);
  });

  it('waitFor names what it waited for and what did arrive when it times out', async () => {
    const otlp = await receiver();
    const exporter = traceExporter({ url: otlp.endpoint });
    await exportSpans(exporter, [makeSpans().parent]);

    await expect(otlp.waitFor(() => otlp.spans.find((s) => s.name === 'nope'), { timeoutMs: 50, what: 'span "nope"' })).rejects.toThrow(
      /Timed out after 50 ms while waiting for span "nope"; .*1 trace request\(s\) with 1 span\(s\) \[parent\]/,
    );
  });

  it('reset() forgets everything, and listeners see each batch', async () => {
    const otlp = await receiver();
    const batches: string[][] = [];
    otlp.on('spans', (spans) => batches.push(spans.map((s) => s.name)));
    const exporter = traceExporter({ url: otlp.endpoint });
    const { parent, child } = makeSpans();

    await exportSpans(exporter, [parent]);
    otlp.reset();
    expect(otlp.spans).toEqual([]);
    expect(otlp.headers).toEqual([]);
    expect(otlp.requests).toEqual({ traces: 0, metrics: 0, logs: 0 });

    await exportSpans(exporter, [child]);
    expect(otlp.spans.map((s) => s.name)).toEqual(['child']);
    expect(batches).toEqual([['parent'], ['child']]);
  });
});
