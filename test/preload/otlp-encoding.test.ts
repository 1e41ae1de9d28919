// Our span encoder writes what the SDK's own OTLP serializer writes: the same spans, encoded
// both ways, decode (with the official OTLP protobuf definitions) to the same message.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { RecordedSpan } = require('../../dist/preload/trace/span.js');
const { EncodedRequestSerializer, encodeResource, encodeSpan } = require('../../dist/preload/export/otlp-encoding.js');
const { ProtobufWriter } = require('../../dist/preload/export/protobuf-writer.js');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { TraceState } = require('@opentelemetry/core');
const root = require('otlp-proto/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const resource = resourceFromAttributes({ 'service.name': 'checkout', 'process.pid': 4242, 'process.command_args': ['node', 'app.js'], 'host.arch': 'amd64' });
const sink = { limits: { attributeCountLimit: 128, attributeValueLengthLimit: Infinity, eventCountLimit: 128, linkCountLimit: 128 }, resource, onEnd: () => undefined };
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
  return s;
}

describe('the span encoder', () => {
  it.each([
    ['a server span with a remote parent', 1, true],
    ['a client span with a local parent', 2, false],
    ['an internal span', 0, false],
  ])('encodes %s exactly as the SDK serializer does', (_, kind, remote) => {
    const s = span(kind as number, remote as boolean);
    const ours = serializer.serializeRequest({ batch: { groups: [{ scope, bytes: encoded(s) }], count: 1 }, writer: new ProtobufWriter() });
    const sdks = ProtobufTraceSerializer.serializeRequest([{ ...s, resource, spanContext: () => s.spanContext(), duration: s.duration }]);
    const decode = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, defaults: true });
    expect(decode(ours)).toEqual(decode(sdks));
    expect(decode(ours).resourceSpans[0].scopeSpans[0].spans[0].name).toBe('GET /users/:id');
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
    const spans = ids.map(([traceId, spanId]) => new RecordedSpan(sink, scope, { traceId, spanId, traceFlags: 1 }, 'GET', 1, undefined, [1, 0]));
    for (const s of spans) s.end([2, 0]);
    const request = Request.decode(serializer.serializeRequest({ batch: { groups: [{ scope, bytes: encoded(...spans) }], count: spans.length }, writer: new ProtobufWriter() }));
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(request.resourceSpans[0].scopeSpans[0].spans.map((s: { traceId: Uint8Array; spanId: Uint8Array }) => [hex(s.traceId), hex(s.spanId)])).toEqual(ids.map(([t, s]) => [t, s!.toLowerCase()]));
  });
});
