// Sends encoded spans (export/otlp-encoding.ts) through the SDK's own OTLP transports: the
// gRPC export delegate of @opentelemetry/otlp-grpc-exporter-base, or the http/protobuf one of
// @opentelemetry/otlp-exporter-base, with our serializer plugged in. Retries, timeouts,
// compression, headers and TLS are theirs. Loaded on first export, so a process that never
// ends a span never loads gRPC.
import type { Resource } from '@opentelemetry/resources';
import type { Config } from '../config';
import { reportOnce } from '../report';
import type { Batch, Exporter } from './batcher';
import { sendSync } from './exit-send';
import type { InstrumentationScope } from '../trace/span';
import { EncodedTraceSerializer, encodeResource } from './otlp-encoding';
import { settledAttributes } from './resource';

const TRACE_SERVICE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** What the transports' self-observability counts per request (as the SDK's own trace helper). */
const SPAN_COUNTER = { name: 'span' as const, countItems: (batch: SpanBatch) => batch.count };

type SpanBatch = Batch<InstrumentationScope>;

interface ExportDelegate {
  export(batch: SpanBatch, done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

export function createTraceExporter(config: Config, getResource: () => Resource): Exporter<InstrumentationScope> {
  const otlp = config.traces.otlp;
  let resourceBytes: Uint8Array | undefined;
  const serializer = new EncodedTraceSerializer(() => {
    const resource = getResource();
    // At exit there is no waiting for async detectors: send what has settled, and cache only the full set.
    if (resource.asyncAttributesPending) return encodeResource(settledAttributes(resource));
    return (resourceBytes ??= encodeResource(resource.attributes));
  });
  const delegate = createDelegate(config, serializer);
  return {
    async export(batch) {
      const resource = getResource();
      if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
      await new Promise<void>((resolve, reject) => {
        delegate.export(batch, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed'))));
      });
    },
    exportSync(batch, timeoutMillis) {
      sendSync({ ...otlp, grpcPath: TRACE_SERVICE_PATH }, serializer.serializeRequest(batch), timeoutMillis);
    },
    shutdown: () => delegate.shutdown(),
  };
}

function createDelegate(config: Config, serializer: EncodedTraceSerializer): ExportDelegate {
  const otlp = config.traces.otlp;
  const compression = otlp.compression as never;
  if (otlp.protocol === 'grpc') {
    const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    const base = require('@opentelemetry/otlp-grpc-exporter-base') as typeof import('@opentelemetry/otlp-grpc-exporter-base');
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(otlp.headers)) metadata.set(key, value);
    const plaintext = otlp.insecure || otlp.url.startsWith('http:');
    const options = base.convertLegacyOtlpGrpcOptions(
      { url: otlp.url, timeoutMillis: otlp.timeoutMillis, compression, metadata, credentials: plaintext ? grpc.credentials.createInsecure() : undefined },
      'TRACES',
    );
    return base.createOtlpGrpcExportDelegate(options, serializer, 'otlp_grpc_span_exporter', SPAN_COUNTER, undefined, 'TraceExportService', TRACE_SERVICE_PATH) as unknown as ExportDelegate;
  }
  if (otlp.protocol === 'http/json') reportOnce('OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported for traces; sending http/protobuf to the same endpoint');
  const http = require('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const options = http.convertLegacyHttpOptions({ url: otlp.url, timeoutMillis: otlp.timeoutMillis, compression, headers: otlp.headers }, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/x-protobuf',
  });
  return http.createOtlpHttpExportDelegate(options, serializer, 'otlp_http_span_exporter', SPAN_COUNTER, undefined) as unknown as ExportDelegate;
}
