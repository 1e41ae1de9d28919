// OTLP protobuf, written by us for our own spans and log records. A record is encoded the
// moment it ends (a span) or is emitted (a log record), into its scope's buffer in the queue
// (export/batcher.ts), so the object dies young; at export a batch's bytes are wrapped in
// ResourceSpans / ScopeSpans (ResourceLogs / ScopeLogs: the same layout). Field numbers follow
// opentelemetry/proto/{trace,logs,common}/v1, exactly as the SDK's own serializers write them
// (test/preload/otlp-encoding.test.ts decodes both and compares).
import type { AnyValue, Attributes, Link } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { InstrumentationScope, RecordedSpan } from '../trace/span';
import type { Batch } from './batcher';
import { ProtobufWriter } from './protobuf-writer';

/** Writes an ended span as a ScopeSpans.spans entry (field 2: tag, length, `Span` message). */
export function encodeSpan(w: ProtobufWriter, span: RecordedSpan): void {
  const spanMark = w.beginLarge(2);
  const ctx = span.spanContext();
  w.hexField(1, ctx.traceId);
  w.hexField(2, ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) w.stringField(3, traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) w.hexField(4, parent.spanId);
  w.stringField(5, span.name);
  w.varintField(6, span.kind + 1); // the API's kinds start at INTERNAL = 0, OTLP's at 1
  w.timeField(7, span.startTime[0], span.startTime[1]);
  w.timeField(8, span.endTime[0], span.endTime[1]);
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount) w.varintField(10, span.droppedAttributesCount);
  // Index loops here and below: an array iterator per span (events and links are mostly empty
  // arrays) was a measured allocation on every request.
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const mark = w.begin(11);
    w.timeField(1, event.time[0], event.time[1]);
    w.stringField(2, event.name);
    if (event.attributes) writeAttributes(w, 3, event.attributes);
    w.end(mark);
  }
  if (span.droppedEventsCount) w.varintField(12, span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(w, links[i]!);
  if (span.droppedLinksCount) w.varintField(14, span.droppedLinksCount);
  const status = w.begin(15);
  if (span.status.message) w.stringField(2, span.status.message);
  if (span.status.code) w.varintField(3, span.status.code);
  w.end(status);
  // SpanFlags: the W3C trace flags, plus "has is_remote" and "is_remote" for the parent.
  w.fixed32Field(16, (ctx.traceFlags & 0xff) | 0x100 | (parent?.isRemote ? 0x200 : 0));
  w.endLarge(spanMark);
}

function writeLink(w: ProtobufWriter, link: Link): void {
  const mark = w.begin(13);
  w.hexField(1, link.context.traceId);
  w.hexField(2, link.context.spanId);
  const traceState = link.context.traceState?.serialize();
  if (traceState) w.stringField(3, traceState);
  if (link.attributes) writeAttributes(w, 4, link.attributes);
  w.fixed32Field(6, (link.context.traceFlags & 0xff) | 0x100 | (link.context.isRemote ? 0x200 : 0));
  w.end(mark);
}

/** repeated KeyValue at `field`. */
export function writeAttributes(w: ProtobufWriter, field: number, attributes: Attributes | Record<string, AnyValue>): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    const mark = w.begin(field);
    w.keyField(key);
    const any = w.begin(2);
    writeAnyValue(w, value as AnyValue);
    w.end(any);
    w.end(mark);
  }
}

/** The body of an AnyValue. */
function writeAnyValue(w: ProtobufWriter, value: AnyValue): void {
  switch (typeof value) {
    case 'string':
      w.stringField(1, value);
      return;
    case 'boolean':
      w.varintField(2, value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) {
        w.tag(3, 0);
        w.int64(value);
      } else {
        w.doubleField(4, value);
      }
      return;
    default:
      if (value === null || value === undefined) return;
      if (Array.isArray(value)) {
        const array = w.begin(5);
        for (let i = 0; i < value.length; i++) {
          const element = w.begin(1);
          writeAnyValue(w, value[i]!);
          w.end(element);
        }
        w.end(array);
      } else if (value instanceof Uint8Array) {
        w.bytesField(7, value);
      } else if (typeof value === 'object') {
        // A structured log body: KeyValueList.
        const list = w.begin(6);
        writeAttributes(w, 1, value as Attributes);
        w.end(list);
      }
  }
}

/** The OTLP `Resource` message body for these attributes, encoded once per process. */
export function encodeResource(attributes: Attributes): Uint8Array {
  const w = new ProtobufWriter(1024);
  writeAttributes(w, 1, attributes);
  return w.copy();
}

/** Writes an emitted log record as a ScopeLogs.log_records entry (field 2: tag, length, `LogRecord`). */
/** What a log record is encoded from: the SDK's ReadableLogRecord has it, and so do our own records (logs/pipeline.ts). */
export type EncodableLogRecord = Pick<
  ReadableLogRecord,
  'hrTime' | 'hrTimeObserved' | 'spanContext' | 'severityText' | 'severityNumber' | 'body' | 'eventName' | 'attributes' | 'droppedAttributesCount'
>;

export function encodeLogRecord(w: ProtobufWriter, record: EncodableLogRecord): void {
  const mark = w.beginLarge(2);
  w.timeField(1, record.hrTime[0], record.hrTime[1]);
  if (record.severityNumber) w.varintField(2, record.severityNumber);
  if (record.severityText) w.stringField(3, record.severityText);
  if (record.body !== undefined && record.body !== null) {
    const body = w.begin(5);
    writeAnyValue(w, record.body);
    w.end(body);
  }
  writeAttributes(w, 6, record.attributes);
  if (record.droppedAttributesCount) w.varintField(7, record.droppedAttributesCount);
  const ctx = record.spanContext;
  if (ctx) {
    w.fixed32Field(8, ctx.traceFlags & 0xff);
    w.hexField(9, ctx.traceId);
    w.hexField(10, ctx.spanId);
  }
  w.timeField(11, record.hrTimeObserved[0], record.hrTimeObserved[1]);
  if (record.eventName) w.stringField(12, record.eventName);
  w.endLarge(mark);
}

/** What our serializer is handed: a batch, and the writer to frame its request in (kept by the exporter until the export settles, retries included). */
export interface ExportRequest {
  batch: Batch<InstrumentationScope>;
  writer: ProtobufWriter;
}

/**
 * Frames a batch (records already encoded per scope) as an export request: one ResourceSpans
 * (or ResourceLogs), one ScopeSpans (ScopeLogs) per instrumentation scope; the two requests share
 * this layout. The SDK's OTLP transport calls it as its ISerializer, then sends, retries and
 * times out as it does for its own. The request is the writer's bytes, not a copy.
 */
export class EncodedRequestSerializer {
  constructor(private readonly resource: () => Uint8Array) {}

  serializeRequest({ batch, writer: w }: ExportRequest): Uint8Array {
    w.reset();
    const resourceSpans = w.begin(1);
    w.bytesField(1, this.resource());
    for (const { scope, bytes } of batch.groups) {
      const scopeSpans = w.begin(2);
      const scopeMark = w.begin(1);
      w.stringField(1, scope.name);
      if (scope.version) w.stringField(2, scope.version);
      w.end(scopeMark);
      w.raw(bytes);
      if (scope.schemaUrl) w.stringField(3, scope.schemaUrl);
      w.end(scopeSpans);
    }
    w.end(resourceSpans);
    return w.written();
  }

  /** The Collector's answer (partial success) is not needed: rejected spans are not retried. */
  deserializeResponse(): Record<string, never> {
    return {};
  }
}
