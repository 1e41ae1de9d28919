// Our span encoder writes what the SDK's own OTLP serializer writes: the same spans, encoded
// both ways, decode (with the official OTLP protobuf definitions) to the same message.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { RecordedSpan } = require('../../dist/preload/trace/span.js');
const { EncodedRequestSerializer, encodeLogRecord, encodeResource, encodeSpan } = require('../../dist/preload/export/otlp-encoding.js');
const { ProtobufWriter } = require('../../dist/preload/export/protobuf-writer.js');
const { ProtobufLogsSerializer, ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { TraceState } = require('@opentelemetry/core');
const root = require('otlp-proto/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const LogsRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

const resource = resourceFromAttributes({ 'service.name': 'checkout', 'process.pid': 4242, 'process.command_args': ['node', 'app.js'], 'host.arch': 'amd64' });
/**
 * What the queue sees of a span: it is encoded in onEnd, after which end() lets go of its
 * attributes, events and links. So the sink keeps each span as it was at that moment.
 */
type Ended = ReturnType<typeof snapshot>;
const ended = new WeakMap<object, Ended>();
function snapshot(s: any) {
  const context = s.spanContext();
  return { ...s, attributes: s.attributes, events: s.events, links: s.links, resource, spanContext: () => context, duration: s.duration };
}
const limits = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity, eventCountLimit: 128, linkCountLimit: 128 };
const sink = { limits, resource, onEnd: (s: object) => ended.set(s, snapshot(s)) };
/** The span as it was when it ended. */
const asEnded = (s: object): Ended => ended.get(s)!;
const scope = { name: 'nodetel', version: '1.2.3' };

/** The spans as the queue holds them: encoded one after the other into their scope's buffer. */
function encoded(...spans: unknown[]): Uint8Array {
  const w = new ProtobufWriter(64);
  for (const s of spans) encodeSpan(w, s);
  return w.copy();
}

const serializer = new EncodedRequestSerializer(() => encodeResource(resource.attributes));

function span(kind: number, remoteParent: boolean) {
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: remoteParent };
  const context = { traceId: parent.traceId, spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: new TraceState('vendor=x,other=y') };
  const s = new RecordedSpan(sink, scope, context, 'GET /users/:id', kind, parent, [1_795_368_033, 54_164_123]);
  s.setAttributes({
    'http.request.method': 'GET',
    'http.response.status_code': 503,
    'negative': -42,
    'ratio': 0.25,
    'big': 2 ** 40,
    'flag': true,
    'unicode': 'café ☕ 日本',
    'long': 'x'.repeat(300),
    'list': ['a', 'b'],
    'numbers': [1, 2.5, -3],
    'http.request.header.x-request-id': ['req-1'],
  });
  s.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.stacktrace': 'Error: boom\n    at x'.repeat(20) }, [1_795_368_033, 60_000_000]);
  s.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'B7AD6B7169203331', traceFlags: 0 }, attributes: { why: 'retry' } });
  s.setStatus({ code: 2, message: 'upstream failed' });
  s.end([1_795_368_034, 1_000]);
  return asEnded(s);
}

describe('the span encoder', () => {
  it.each([
    ['a server span with a remote parent', 1, true],
    ['a client span with a local parent', 2, false],
    ['an internal span', 0, false],
  ])('encodes %s exactly as the SDK serializer does', (_, kind, remote) => {
    const s = span(kind as number, remote as boolean);
    const ours = serializer.serializeRequest({ batch: { groups: [{ scope, bytes: encoded(s) }], count: 1 }, writer: new ProtobufWriter() });
    const sdks = ProtobufTraceSerializer.serializeRequest([s]);
    const decode = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, defaults: true });
    expect(decode(ours)).toEqual(decode(sdks));
    const written = decode(ours).resourceSpans[0].scopeSpans[0].spans[0];
    expect(written.name).toBe('GET /users/:id');
    expect([written.attributes.length, written.events.length, written.links.length]).toEqual([11, 1, 1]);
  });

  it('groups a batch by instrumentation scope under one resource', () => {
    const other = { name: 'app', version: undefined };
    const groups = [
      { scope, bytes: encoded(span(1, true), span(2, false)) },
      { scope: other, bytes: encoded(span(0, false)) },
    ];
    const request = Request.decode(serializer.serializeRequest({ batch: { groups, count: 3 }, writer: new ProtobufWriter() }));
    expect(request.resourceSpans).toHaveLength(1);
    expect(request.resourceSpans[0].scopeSpans.map((s: { scope: { name: string }; spans: unknown[] }) => [s.scope.name, s.spans.length])).toEqual([
      ['nodetel', 2],
      ['app', 1],
    ]);
  });

  it('writes each span its own ids, whichever ids the span before it had', () => {
    const ids = [
      ['4bf92f3577b34da6a3ce929d0e0e4736', 'b7ad6b7169203331'],
      ['0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7'],
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
      ['4bf92f3577b34da6a3ce929d0e0e4736', 'B7AD6B7169203331'],
    ];
    const spans = ids.map(([traceId, spanId]) => new RecordedSpan(sink, scope, { traceId, spanId, traceFlags: 1 }, 'GET', 1, undefined, [1, 0])).map((s) => {
      s.end([2, 0]);
      return asEnded(s);
    });
    const request = Request.decode(serializer.serializeRequest({ batch: { groups: [{ scope, bytes: encoded(...spans) }], count: spans.length }, writer: new ProtobufWriter() }));
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(request.resourceSpans[0].scopeSpans[0].spans.map((s: { traceId: Uint8Array; spanId: Uint8Array }) => [hex(s.traceId), hex(s.spanId)])).toEqual(ids.map(([t, s]) => [t, s!.toLowerCase()]));
  });
});

/** Our request and the SDK's for the same spans, decoded. */
function bothWays(spans: Ended[]) {
  const ours = serializer.serializeRequest({ batch: { groups: [{ scope, bytes: encoded(...spans) }], count: spans.length }, writer: new ProtobufWriter() });
  const sdks = ProtobufTraceSerializer.serializeRequest(spans);
  const decode = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, defaults: true });
  return { ours: decode(ours), sdks: decode(sdks) };
}

const roomy = { ...sink, limits: { ...limits, attributeCountLimit: 1000 } };

describe('the encoder at its edges', () => {
  it('writes a span shorter than 128 bytes and one longer than 16,383 exactly as the SDK does', () => {
    const small = new RecordedSpan(sink, scope, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', traceFlags: 1 }, 'GET', 1, undefined, [1, 0]);
    small.end([2, 0]);
    const large = new RecordedSpan(sink, scope, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }, 'GET', 1, undefined, [1, 0]);
    large.setAttribute('body', 'x'.repeat(20_000));
    large.end([2, 0]);
    const { ours, sdks } = bothWays([asEnded(small), asEnded(large), asEnded(small)]);
    expect(ours).toEqual(sdks);
    expect(ours.resourceSpans[0].scopeSpans[0].spans.map((s: { attributes: unknown[] }) => s.attributes.length)).toEqual([0, 1, 0]);
  });

  it('writes times to the nanosecond, across seconds and where the nanoseconds carry into the high word', () => {
    const times: [number, number][] = [
      [1_795_368_033, 999_999_999],
      [1_795_368_034, 0],
      [1_795_368_033, 1],
      [4_294_967_295, 999_999_999],
      [0, 0],
      [1, 999_999_999],
      [1_795_368_034, 999_999_999],
    ];
    const spans = times.map((t, i) => {
      const s = new RecordedSpan(sink, scope, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b716920333' + i, traceFlags: 1 }, 'GET', 1, undefined, t);
      s.end(times[(i + 1) % times.length]);
      return asEnded(s);
    });
    const { ours, sdks } = bothWays(spans);
    expect(ours).toEqual(sdks);
    const nanos = ([s, n]: [number, number]) => String(BigInt(s) * 1_000_000_000n + BigInt(n));
    expect(ours.resourceSpans[0].scopeSpans[0].spans.map((s: { startTimeUnixNano: string }) => s.startTimeUnixNano)).toEqual(times.map(nanos));
  });

  it('writes every attribute key, more keys than are kept and keys whose hashes collide', () => {
    const spans = [0, 1, 2, 3, 4, 0, 1].map((round) => {
      const s = new RecordedSpan(roomy, scope, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', traceFlags: 1 }, 'GET', 1, undefined, [1, 0]);
      const attributes: Record<string, string> = {};
      for (let i = 0; i < 120; i++) attributes[`k${round}.${i}.${'é'.repeat(i % 3)}`] = `v${i}`;
      attributes['user_agent.original'] = 'curl/8';
      attributes['http.request.header.x-request-id'] = 'r';
      attributes[''] = 'empty key';
      attributes['long.'.repeat(20)] = 'a key longer than those kept';
      s.setAttributes(attributes);
      s.end([2, 0]);
      return asEnded(s);
    });
    const { ours, sdks } = bothWays(spans);
    expect(ours).toEqual(sdks);
  });

  it('writes log records of any size exactly as the SDK does', () => {
    const instrumentationScope = { name: 'nodetel/console', version: '1.2.3' };
    const records = ['short', 'a line of some length '.repeat(10), 'y'.repeat(20_000)].map((body, i) => ({
      hrTime: [1_795_368_033, 999_999_999 - i] as [number, number],
      hrTimeObserved: [1_795_368_034, i] as [number, number],
      spanContext: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', traceFlags: 1 },
      severityNumber: 9,
      severityText: 'INFO',
      body,
      eventName: i === 1 ? 'http.server.access' : undefined,
      attributes: { 'log.iostream': 'stdout', request_id: `r-${i}`, duration_ms: 1.5 },
      droppedAttributesCount: 0,
      resource,
      instrumentationScope,
    }));
    const w = new ProtobufWriter(64);
    for (const r of records) encodeLogRecord(w, r);
    const ours = serializer.serializeRequest({ batch: { groups: [{ scope: instrumentationScope, bytes: w.copy() }], count: records.length }, writer: new ProtobufWriter() });
    const decode = (bytes: Uint8Array) => LogsRequest.toObject(LogsRequest.decode(bytes), { longs: String, bytes: String, defaults: true });
    expect(decode(ours)).toEqual(decode(ProtobufLogsSerializer.serializeRequest(records)));
  });
});
