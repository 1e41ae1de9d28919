// Sends encoded spans and log records (export/otlp-encoding.ts) through the SDK's OTLP export
// delegate (@opentelemetry/otlp-exporter-base: timeouts, concurrency, self-metrics), with
// our serializer plugged in: over gRPC with our transport (grpc-transport.ts: our own HTTP/2
// client, the request's bytes sent as they are), or over http/protobuf with the SDK's own
// delegate (which also retries). What either needs is loaded on first export, so a process that
// never exports never loads it.
import type { Resource } from '@opentelemetry/resources';
import type { OtlpConfig } from '../config';
import { reportOnce } from '../report';
import { MAX_CONCURRENT_EXPORTS, type Exporter } from './batcher';
import { sendSync } from './exit-send';
import type { InstrumentationScope } from '../trace/span';
import { grpcExportDelegate } from './grpc-transport';
import { EncodedRequestSerializer, encodeResource, type ExportRequest } from './otlp-encoding';
import { ProtobufWriter } from './protobuf-writer';
import { WriterPool } from './writer-pool';
import { settledAttributes } from './resource';

/** What differs between the signals: where they go, and how the SDK's transports name them. */
export const SIGNALS = {
  traces: {
    env: 'TRACES',
    httpPath: 'v1/traces',
    grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    component: 'span_exporter',
    item: 'span',
  },
  logs: {
    env: 'LOGS',
    httpPath: 'v1/logs',
    grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    component: 'log_exporter',
    item: 'log',
  },
} as const;

export type Signal = (typeof SIGNALS)[keyof typeof SIGNALS];

interface ExportDelegate {
  export(request: ExportRequest, done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

export function createOtlpExporter(signal: Signal, otlp: OtlpConfig, getResource: () => Resource): Exporter<InstrumentationScope> {
  let resourceBytes: Uint8Array | undefined;
  const serializer = new EncodedRequestSerializer(() => {
    const resource = getResource();
    // At exit there is no waiting for async detectors: send what has settled, and cache only the full set.
    if (resource.asyncAttributesPending) return encodeResource(settledAttributes(resource));
    return (resourceBytes ??= encodeResource(resource.attributes));
  });
  const delegate = createDelegate(signal, otlp, serializer);
  /** The requests' writers: one spare per export in flight. */
  const writers = new WriterPool(MAX_CONCURRENT_EXPORTS);
  return {
    async export(batch) {
      const resource = getResource();
      if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
      const writer = writers.take();
      await new Promise<void>((resolve, reject) => {
        delegate.export({ batch, writer }, (result) => {
          // The transport is done with the request's bytes, retries included.
          writers.give(writer);
          if (result.code === 0) resolve();
          else reject(result.error ?? new Error('export failed'));
        });
      });
    },
    exportSync(batch, timeoutMillis) {
      sendSync({ ...otlp, grpcPath: signal.grpcPath }, serializer.serializeRequest({ batch, writer: new ProtobufWriter() }), timeoutMillis);
    },
    shutdown: () => delegate.shutdown(),
  };
}

function createDelegate(signal: Signal, otlp: OtlpConfig, serializer: EncodedRequestSerializer): ExportDelegate {
  /** What the transports' self-observability counts per request (as the SDK's own helpers). */
  const counter = { name: signal.item, countItems: (request: ExportRequest) => request.batch.count };
  const compression = otlp.compression as never;
  if (otlp.protocol === 'grpc') {
    // The batcher bounds the exports in flight; the delegate's own limit is the same.
    return grpcExportDelegate(otlp, signal.grpcPath, serializer, `otlp_grpc_${signal.component}`, counter, MAX_CONCURRENT_EXPORTS) as unknown as ExportDelegate;
  }
  if (otlp.protocol === 'http/json') reportOnce(`OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported for ${signal.env.toLowerCase()}; sending http/protobuf to the same endpoint`);
  const http = require('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const options = http.convertLegacyHttpOptions({ url: otlp.url, timeoutMillis: otlp.timeoutMillis, compression, headers: otlp.headers }, signal.env, signal.httpPath, {
    'Content-Type': 'application/x-protobuf',
  });
  return http.createOtlpHttpExportDelegate(options, serializer, `otlp_http_${signal.component}`, counter, undefined) as unknown as ExportDelegate;
}
