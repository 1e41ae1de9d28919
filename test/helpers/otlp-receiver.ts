/**
 * A real OTLP receiver for end-to-end tests and the demo: it serves the three
 * OTLP Export services over gRPC (@grpc/grpc-js) and over OTLP/HTTP with
 * protobuf bodies (node:http, POST /v1/traces, /v1/metrics, /v1/logs), decodes
 * every request with the official OTLP protobuf definitions and keeps what
 * arrived as plain JS objects.
 *
 * demo/ imports this file directly with Node's built-in type stripping, so it
 * only uses erasable TypeScript syntax and imports local files with `.ts`.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { Reader as ProtobufReader } from 'protobufjs';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' when the span has no parent. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** proto SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** code: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message: string };
  flags: number;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedMetricPoint {
  attributes: Record<string, unknown>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** gauge and sum points. */
  value?: number;
  /** histogram points (exponential histograms and summaries fill what they have). */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  isMonotonic?: boolean;
  /** 1 DELTA, 2 CUMULATIVE. */
  aggregationTemporality?: number;
  points: ReceivedMetricPoint[];
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedLog {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string;
  spanId: string;
  flags: number;
  eventName: string;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface OtlpReceiver {
  readonly port: number;
  /** 'http://127.0.0.1:<port>' (https:// with `tls`): OTLP/gRPC. */
  readonly endpoint: string;
  /** 'http://127.0.0.1:<another port>': OTLP/HTTP (http/protobuf), paths /v1/<signal>. */
  readonly httpEndpoint: string;
  /**
   * Everything acknowledged so far, in arrival order. Only mode 'ok'
   * acknowledges, so in the other modes these stay empty.
   */
  readonly spans: ReceivedSpan[];
  /** One entry per metric per export request. */
  readonly metrics: ReceivedMetric[];
  readonly logs: ReceivedLog[];
  /** Every Export call received, whatever the mode answered. */
  readonly requests: { traces: number; metrics: number; logs: number };
  /** The gRPC metadata (or HTTP request headers) of each Export call, in arrival order. */
  readonly headers: Record<string, string>[];
  /**
   * Resolves with the first truthy value check() returns, re-checking after
   * every received export request; rejects after timeoutMs (default 15000)
   * with an Error naming `what` and summarising what did arrive.
   */
  waitFor<T>(check: () => T | undefined | null | false, opts?: { timeoutMs?: number; what?: string }): Promise<T>;
  /** Called with each batch as it arrives (the demo prints them). */
  on(event: 'spans', listener: (spans: ReceivedSpan[]) => void): void;
  on(event: 'metrics', listener: (metrics: ReceivedMetric[]) => void): void;
  on(event: 'logs', listener: (logs: ReceivedLog[]) => void): void;
  /** Forgets everything received (the arrays are emptied in place). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * 'ok' acknowledges every export; 'unavailable' answers every Export with
 * gRPC status UNAVAILABLE (HTTP 503); 'hang' never answers (a collector that is stuck);
 * 'unavailable-once' answers the first Export call UNAVAILABLE and acknowledges the rest
 * (a collector that restarts: over http/protobuf, the exporter retries that request).
 */
export type ReceiverMode = 'ok' | 'unavailable' | 'hang' | 'unavailable-once';

/** OTLP/gRPC over TLS with this key and certificate (PEM); with `clientCa`, only for clients with a certificate it signed. */
export interface ReceiverTls {
  key: Buffer;
  cert: Buffer;
  clientCa?: Buffer;
}

// ---------------------------------------------------------------------------
// The official OTLP definitions: the protobufjs static root generated by
// @opentelemetry/otlp-transformer@0.52.1 (installed as `otlp-proto`). Its
// decoded messages are class instances whose unset fields read as the
// prototype's defaults: null for scalars and messages, [] for repeated fields.

/** 64-bit integers decode as Long objects (protobufjs uses the `long` package when installed). */
type PbInt64 = number | { toString(): string } | null;
type PbBytes = Uint8Array | null;

interface PbKeyValue {
  key: string | null;
  value: PbAnyValue | null;
}

interface PbAnyValue {
  /** protobufjs' oneof getter: the name of the member that is set. */
  readonly value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue: string | null;
  boolValue: boolean | null;
  intValue: PbInt64;
  doubleValue: number | null;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: PbBytes;
}

interface PbResource {
  attributes: PbKeyValue[];
}

interface PbScope {
  name: string | null;
  version: string | null;
}

interface PbSpan {
  traceId: PbBytes;
  spanId: PbBytes;
  traceState: string | null;
  parentSpanId: PbBytes;
  name: string | null;
  kind: number | null;
  startTimeUnixNano: PbInt64;
  endTimeUnixNano: PbInt64;
  attributes: PbKeyValue[];
  events: { timeUnixNano: PbInt64; name: string | null; attributes: PbKeyValue[] }[];
  links: { traceId: PbBytes; spanId: PbBytes; attributes: PbKeyValue[] }[];
  status: { code: number | null; message: string | null } | null;
}

interface PbTraceRequest {
  resourceSpans: { resource: PbResource | null; scopeSpans: { scope: PbScope | null; spans: PbSpan[] }[] }[];
}

interface PbPoint {
  attributes: PbKeyValue[];
  startTimeUnixNano: PbInt64;
  timeUnixNano: PbInt64;
}

interface PbNumberPoint extends PbPoint {
  readonly value?: 'asDouble' | 'asInt';
  asDouble: number | null;
  asInt: PbInt64;
}

/** Histogram, exponential histogram and summary points share these. */
interface PbDistributionPoint extends PbPoint {
  count: PbInt64;
  sum: number | null;
  /** Absent from summaries. */
  min?: number | null;
  max?: number | null;
}

interface PbHistogramPoint extends PbDistributionPoint {
  bucketCounts: PbInt64[];
  explicitBounds: number[];
}

interface PbMetric {
  name: string | null;
  description: string | null;
  unit: string | null;
  readonly data?: ReceivedMetric['type'];
  gauge: { dataPoints: PbNumberPoint[] } | null;
  sum: { dataPoints: PbNumberPoint[]; aggregationTemporality: number | null; isMonotonic: boolean | null } | null;
  histogram: { dataPoints: PbHistogramPoint[]; aggregationTemporality: number | null } | null;
  exponentialHistogram: { dataPoints: PbDistributionPoint[]; aggregationTemporality: number | null } | null;
  summary: { dataPoints: PbDistributionPoint[] } | null;
}

interface PbMetricsRequest {
  resourceMetrics: { resource: PbResource | null; scopeMetrics: { scope: PbScope | null; metrics: PbMetric[] }[] }[];
}

interface PbLogRecord {
  timeUnixNano: PbInt64;
  observedTimeUnixNano: PbInt64;
  severityNumber: number | null;
  severityText: string | null;
  body: PbAnyValue | null;
  attributes: PbKeyValue[];
  flags: number | null;
  traceId: PbBytes;
  spanId: PbBytes;
}

interface PbLogsRequest {
  resourceLogs: { resource: PbResource | null; scopeLogs: { scope: PbScope | null; logRecords: PbLogRecord[] }[] }[];
}

interface PbType<T> {
  decode(bytes: Uint8Array): T;
  encode(message: object): { finish(): Uint8Array };
}

interface OtlpRoot {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: PbType<PbTraceRequest>; ExportTraceServiceResponse: PbType<object> } };
        metrics: { v1: { ExportMetricsServiceRequest: PbType<PbMetricsRequest>; ExportMetricsServiceResponse: PbType<object> } };
        logs: { v1: { ExportLogsServiceRequest: PbType<PbLogsRequest>; ExportLogsServiceResponse: PbType<object> } };
      };
    };
  };
}

const require = createRequire(import.meta.url);
const ROOT_PATH = require.resolve('otlp-proto/build/src/generated/root.js');
const collector = (require(ROOT_PATH) as OtlpRoot).opentelemetry.proto.collector;
// The protobufjs copy the generated root itself uses.
const { Reader } = createRequire(ROOT_PATH)('protobufjs/minimal') as { Reader: typeof ProtobufReader };

// ---------------------------------------------------------------------------
// Fields newer than the 0.52.1 definitions. Their generated decoders skip
// unknown fields, but exporters now send Span.flags (field 16, proto 1.1) and
// LogRecord.event_name (field 12, proto 1.5), so those two are read straight
// from the same request bytes.

const WIRE_I32 = 5;
const WIRE_LEN = 2;

/**
 * Visits, in wire order, every sub-message reached from `message` by
 * following the length-delimited fields numbered `path`; wire order is also
 * the order of the arrays the generated decoder builds.
 */
function forEachNested(message: Uint8Array, path: readonly number[], visit: (nested: Uint8Array) => void): void {
  const [field, ...rest] = path;
  if (field === undefined) {
    visit(message);
    return;
  }
  const reader = Reader.create(message);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === WIRE_LEN) forEachNested(reader.bytes(), rest, visit);
    else reader.skipType(tag & 7);
  }
}

/** The value of field `field` in `message`; the last occurrence wins, as in protobuf. */
function readField<T>(message: Uint8Array, field: number, wireType: number, read: (reader: ProtobufReader) => T): T | undefined {
  const reader = Reader.create(message);
  let value: T | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === wireType) value = read(reader);
    else reader.skipType(tag & 7);
  }
  return value;
}

/** Export*ServiceRequest → resource_* (1) → scope_* (2) → spans / log_records (2). */
const RECORDS_PATH = [1, 2, 2];

function spanFlags(request: Uint8Array): number[] {
  const flags: number[] = [];
  forEachNested(request, RECORDS_PATH, (span) => flags.push(readField(span, 16, WIRE_I32, (r) => r.fixed32()) ?? 0));
  return flags;
}

function logEventNames(request: Uint8Array): string[] {
  const names: string[] = [];
  forEachNested(request, RECORDS_PATH, (log) => names.push(readField(log, 12, WIRE_LEN, (r) => r.string()) ?? ''));
  return names;
}

// ---------------------------------------------------------------------------
// Decoded protobuf → plain JS.

function toBigInt(value: PbInt64): bigint {
  if (value === null) return 0n;
  // Long#toString honours Long#unsigned, so fixed64 timestamps stay positive.
  return typeof value === 'number' ? BigInt(value) : BigInt(value.toString());
}

function toNumber(value: PbInt64): number {
  return Number(toBigInt(value));
}

function hex(bytes: PbBytes): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

function fromAnyValue(value: PbAnyValue | null): unknown {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'intValue':
      return toNumber(value.intValue);
    case 'doubleValue':
      return value.doubleValue;
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(fromAnyValue);
    case 'kvlistValue':
      return fromKeyValues(value.kvlistValue?.values ?? []);
    case 'bytesValue':
      // A plain copy: not a Buffer, and not a view into the request.
      return new Uint8Array(value.bytesValue ?? []);
    default:
      return undefined;
  }
}

function fromKeyValues(keyValues: readonly PbKeyValue[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const { key, value } of keyValues) record[key ?? ''] = fromAnyValue(value);
  return record;
}

function fromScope(scope: PbScope | null): { name: string; version: string } {
  return { name: scope?.name ?? '', version: scope?.version ?? '' };
}

function toSpan(span: PbSpan, flags: number, resource: Record<string, unknown>, scope: ReceivedSpan['scope']): ReceivedSpan {
  return {
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    parentSpanId: hex(span.parentSpanId),
    traceState: span.traceState ?? '',
    name: span.name ?? '',
    kind: span.kind ?? 0,
    startTimeUnixNano: toBigInt(span.startTimeUnixNano),
    endTimeUnixNano: toBigInt(span.endTimeUnixNano),
    attributes: fromKeyValues(span.attributes),
    events: span.events.map((event) => ({
      name: event.name ?? '',
      timeUnixNano: toBigInt(event.timeUnixNano),
      attributes: fromKeyValues(event.attributes),
    })),
    links: span.links.map((link) => ({
      traceId: hex(link.traceId),
      spanId: hex(link.spanId),
      attributes: fromKeyValues(link.attributes),
    })),
    status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
    flags,
    resource,
    scope,
  };
}

function decodeSpans(bytes: Uint8Array): ReceivedSpan[] {
  const request = collector.trace.v1.ExportTraceServiceRequest.decode(bytes);
  const flags = spanFlags(bytes);
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = fromKeyValues(resourceSpans.resource?.attributes ?? []);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scope = fromScope(scopeSpans.scope);
      for (const span of scopeSpans.spans) spans.push(toSpan(span, flags[spans.length] ?? 0, resource, scope));
    }
  }
  return spans;
}

function pointBase(point: PbPoint): ReceivedMetricPoint {
  return {
    attributes: fromKeyValues(point.attributes),
    startTimeUnixNano: toBigInt(point.startTimeUnixNano),
    timeUnixNano: toBigInt(point.timeUnixNano),
  };
}

function numberPoint(point: PbNumberPoint): ReceivedMetricPoint {
  return { ...pointBase(point), value: point.value === 'asInt' ? toNumber(point.asInt) : (point.asDouble ?? 0) };
}

function distributionPoint(point: PbDistributionPoint): ReceivedMetricPoint {
  return {
    ...pointBase(point),
    count: toNumber(point.count),
    sum: point.sum ?? undefined,
    min: point.min ?? undefined,
    max: point.max ?? undefined,
  };
}

function histogramPoint(point: PbHistogramPoint): ReceivedMetricPoint {
  return {
    ...distributionPoint(point),
    bucketCounts: point.bucketCounts.map(toNumber),
    explicitBounds: [...point.explicitBounds],
  };
}

function toMetric(metric: PbMetric, resource: Record<string, unknown>, scope: ReceivedMetric['scope']): ReceivedMetric {
  const name = metric.name ?? '';
  const common = { name, description: metric.description ?? '', unit: metric.unit ?? '', resource, scope };
  const { gauge, sum, histogram, exponentialHistogram, summary } = metric;
  switch (metric.data) {
    case 'gauge':
      return { ...common, type: 'gauge', points: (gauge?.dataPoints ?? []).map(numberPoint) };
    case 'sum':
      return {
        ...common,
        type: 'sum',
        isMonotonic: sum?.isMonotonic ?? false,
        aggregationTemporality: sum?.aggregationTemporality ?? 0,
        points: (sum?.dataPoints ?? []).map(numberPoint),
      };
    case 'histogram':
      return {
        ...common,
        type: 'histogram',
        aggregationTemporality: histogram?.aggregationTemporality ?? 0,
        points: (histogram?.dataPoints ?? []).map(histogramPoint),
      };
    case 'exponentialHistogram':
      return {
        ...common,
        type: 'exponentialHistogram',
        aggregationTemporality: exponentialHistogram?.aggregationTemporality ?? 0,
        points: (exponentialHistogram?.dataPoints ?? []).map(distributionPoint),
      };
    case 'summary':
      return { ...common, type: 'summary', points: (summary?.dataPoints ?? []).map(distributionPoint) };
    default:
      throw new Error(`metric ${JSON.stringify(name)} carries no data`);
  }
}

function decodeMetrics(bytes: Uint8Array): ReceivedMetric[] {
  const request = collector.metrics.v1.ExportMetricsServiceRequest.decode(bytes);
  const metrics: ReceivedMetric[] = [];
  for (const resourceMetrics of request.resourceMetrics) {
    const resource = fromKeyValues(resourceMetrics.resource?.attributes ?? []);
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      const scope = fromScope(scopeMetrics.scope);
      for (const metric of scopeMetrics.metrics) metrics.push(toMetric(metric, resource, scope));
    }
  }
  return metrics;
}

function decodeLogs(bytes: Uint8Array): ReceivedLog[] {
  const request = collector.logs.v1.ExportLogsServiceRequest.decode(bytes);
  const eventNames = logEventNames(bytes);
  const logs: ReceivedLog[] = [];
  for (const resourceLogs of request.resourceLogs) {
    const resource = fromKeyValues(resourceLogs.resource?.attributes ?? []);
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const scope = fromScope(scopeLogs.scope);
      for (const log of scopeLogs.logRecords) {
        logs.push({
          timeUnixNano: toBigInt(log.timeUnixNano),
          observedTimeUnixNano: toBigInt(log.observedTimeUnixNano),
          severityNumber: log.severityNumber ?? 0,
          severityText: log.severityText ?? '',
          body: fromAnyValue(log.body),
          attributes: fromKeyValues(log.attributes),
          traceId: hex(log.traceId),
          spanId: hex(log.spanId),
          flags: log.flags ?? 0,
          eventName: eventNames[logs.length] ?? '',
          resource,
          scope,
        });
      }
    }
  }
  return logs;
}

// ---------------------------------------------------------------------------
// The gRPC server.

interface Batches {
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  logs: ReceivedLog[];
}

type Signal = keyof OtlpReceiver['requests'];

/** Per signal: the Export method's path and its (empty) answer. */
const SERVICES: { signal: Signal; path: string; emptyResponse: Buffer }[] = [
  {
    signal: 'traces',
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    emptyResponse: Buffer.from(collector.trace.v1.ExportTraceServiceResponse.encode({}).finish()),
  },
  {
    signal: 'metrics',
    path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    emptyResponse: Buffer.from(collector.metrics.v1.ExportMetricsServiceResponse.encode({}).finish()),
  },
  {
    signal: 'logs',
    path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    emptyResponse: Buffer.from(collector.logs.v1.ExportLogsServiceResponse.encode({}).finish()),
  },
];

/** Requests stay raw bytes through grpc-js (which already un-gzipped them); decoding happens in the handler, where a failure becomes a gRPC error. */
function rawMethod(path: string): MethodDefinition<Buffer, Buffer> {
  const identity = (bytes: Buffer): Buffer => bytes;
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

function metadataToRecord(metadata: Metadata): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    // Only `-bin` keys carry Buffers; base64 is how they travel on the wire.
    record[key] = typeof value === 'string' ? value : value.toString('base64');
  }
  return record;
}

interface Waiter {
  check(): void;
  fail(reason: string): void;
}

class TestOtlpReceiver implements OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metrics: ReceivedMetric[] = [];
  readonly logs: ReceivedLog[] = [];
  readonly requests = { traces: 0, metrics: 0, logs: 0 };
  readonly headers: Record<string, string>[] = [];

  readonly #mode: ReceiverMode;
  readonly #tls: ReceiverTls | undefined;
  readonly #server = new Server();
  readonly #http = http.createServer((req, res) => this.#exportHttp(req, res));
  readonly #waiters = new Set<Waiter>();
  readonly #listeners: { [K in keyof Batches]: ((batch: Batches[K]) => void)[] } = { spans: [], metrics: [], logs: [] };
  #port = 0;
  #httpPort = 0;
  #closed = false;

  constructor(mode: ReceiverMode, tls: ReceiverTls | undefined) {
    this.#mode = mode;
    this.#tls = tls;
    for (const { signal, path, emptyResponse } of SERVICES) {
      this.#server.addService(
        { Export: rawMethod(path) },
        {
          Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) =>
            this.#export(signal, call, callback, emptyResponse),
        },
      );
    }
  }

  get port(): number {
    return this.#port;
  }

  get endpoint(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get httpEndpoint(): string {
    return `http://127.0.0.1:${this.#httpPort}`;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const tls = this.#tls;
      const credentials = tls ? ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined) : ServerCredentials.createInsecure();
      this.#server.bindAsync(`127.0.0.1:${port}`, credentials, (error, boundPort) => {
        if (error) return reject(error);
        this.#port = boundPort;
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject).listen(0, '127.0.0.1', () => {
        this.#httpPort = (this.#http.address() as { port: number }).port;
        resolve();
      });
    });
  }

  #export(signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>, emptyResponse: Buffer): void {
    const outcome = this.#receive(signal, metadataToRecord(call.metadata), () => call.request);
    if (outcome === 'hang') return; // close() cancels the call
    if (outcome === 'unavailable') callback({ code: status.UNAVAILABLE, details: 'OTLP test receiver is in mode "unavailable"' });
    else if (outcome instanceof Error) callback({ code: status.INVALID_ARGUMENT, details: outcome.message });
    else callback(null, emptyResponse);
  }

  /** OTLP/HTTP: POST /v1/<signal> with a protobuf body (gzip if Content-Encoding says so). */
  #exportHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const service = SERVICES.find((s) => req.url === `/v1/${s.signal}`);
    if (!service || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) headers[key] = String(value);
      const outcome = this.#receive(service.signal, headers, () => {
        if (headers['content-type'] !== 'application/x-protobuf') throw new Error(`content-type ${headers['content-type']} is not application/x-protobuf`);
        const body = Buffer.concat(chunks);
        return headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      });
      if (outcome === 'hang') return; // close() ends the connection
      if (outcome === 'unavailable') res.writeHead(503).end('OTLP test receiver is in mode "unavailable"');
      else if (outcome instanceof Error) res.writeHead(400).end(outcome.message);
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(service.emptyResponse);
    });
  }

  /** What the mode answers to one Export call; in mode 'ok' its request is decoded and stored. */
  #receive(signal: Signal, headers: Record<string, string>, body: () => Buffer): 'hang' | 'unavailable' | 'ok' | Error {
    this.requests[signal]++;
    this.headers.push(headers);
    try {
      if (this.#mode === 'unavailable-once') {
        if (this.headers.length === 1) return 'unavailable';
      } else if (this.#mode !== 'ok') return this.#mode;
      try {
        this.#store(signal, body());
      } catch (error) {
        return new Error(`cannot decode ${signal} request: ${String(error)}`);
      }
      return 'ok';
    } finally {
      for (const waiter of this.#waiters) waiter.check();
    }
  }

  #store(signal: Signal, bytes: Buffer): void {
    switch (signal) {
      case 'traces': {
        const spans = decodeSpans(bytes);
        this.spans.push(...spans);
        return this.#emit('spans', spans);
      }
      case 'metrics': {
        const metrics = decodeMetrics(bytes);
        this.metrics.push(...metrics);
        return this.#emit('metrics', metrics);
      }
      case 'logs': {
        const logs = decodeLogs(bytes);
        this.logs.push(...logs);
        return this.#emit('logs', logs);
      }
    }
  }

  #emit<K extends keyof Batches>(event: K, batch: Batches[K]): void {
    for (const listener of this.#listeners[event]) listener(batch);
  }

  on<K extends keyof Batches>(event: K, listener: (batch: Batches[K]) => void): void {
    this.#listeners[event].push(listener);
  }

  waitFor<T>(check: () => T | undefined | null | false, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const { timeoutMs = 15_000, what = 'the expected telemetry' } = opts;
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          let result: T | undefined | null | false;
          try {
            result = check();
          } catch (error) {
            settle();
            reject(error);
            return;
          }
          if (result) {
            settle();
            resolve(result);
          }
        },
        fail: (reason) => {
          settle();
          reject(new Error(`${reason} while waiting for ${what}; ${this.#summary()}`));
        },
      };
      const timer = setTimeout(() => waiter.fail(`Timed out after ${timeoutMs} ms`), timeoutMs);
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  /** What arrived so far, for timeout messages. */
  #summary(): string {
    const names = (items: { name: string }[]): string => {
      const unique = [...new Set(items.map((item) => item.name))];
      const shown = unique.slice(0, 20).join(', ');
      return unique.length > 20 ? `${shown}, ... (${unique.length} distinct)` : shown;
    };
    const { traces, metrics, logs } = this.requests;
    return (
      `received (mode ${this.#mode}) ${traces} trace request(s) with ${this.spans.length} span(s) [${names(this.spans)}], ` +
      `${metrics} metrics request(s) with ${this.metrics.length} metric(s) [${names(this.metrics)}], ` +
      `${logs} logs request(s) with ${this.logs.length} log record(s)`
    );
  }

  reset(): void {
    this.spans.length = 0;
    this.metrics.length = 0;
    this.logs.length = 0;
    this.headers.length = 0;
    this.requests.traces = this.requests.metrics = this.requests.logs = 0;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // forceShutdown, not tryShutdown: in mode 'hang' the pending calls would
      // otherwise keep tryShutdown waiting until the exporters give up.
      this.#server.forceShutdown();
      this.#http.close();
      this.#http.closeAllConnections();
      for (const waiter of this.#waiters) waiter.fail('OTLP test receiver closed');
    }
    return Promise.resolve();
  }
}

export async function startOtlpReceiver(opts: { port?: number; mode?: ReceiverMode; tls?: ReceiverTls } = {}): Promise<OtlpReceiver> {
  const receiver = new TestOtlpReceiver(opts.mode ?? 'ok', opts.tls);
  await receiver.listen(opts.port ?? 0);
  return receiver;
}
