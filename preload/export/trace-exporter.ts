// The SDK's span exporters (OTLP over gRPC, http/protobuf or http/json, or the console),
// configured from Config and behind the Batcher's small promise-based interface. Loaded on
// the first export, so a process that never ends a span never loads gRPC.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Config, OtlpConfig } from '../config';
import { sdkTrace, transformer } from '../lazy';
import type { RecordedSpan } from '../trace/span';
import type { Exporter } from './batcher';
import { sendSync } from './exit-send';

const TRACE_SERVICE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

interface AsyncResource {
  asyncAttributesPending?: boolean;
  waitForAsyncAttributes?: () => Promise<void>;
}

export function createTraceExporter(config: Config): Exporter<RecordedSpan> {
  const otlp = config.traces.otlp;
  const sdkExporter = config.traces.exporter === 'console' ? new (sdkTrace().ConsoleSpanExporter)() : createOtlpExporter(otlp);
  return {
    async export(spans) {
      const resource = spans[0]?.resource as AsyncResource | undefined;
      if (resource?.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
      await new Promise<void>((resolve, reject) => {
        sdkExporter.export(spans as unknown as ReadableSpan[], (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed'))));
      });
    },
    exportSync(spans, timeoutMillis) {
      if (config.traces.exporter === 'console') {
        sdkExporter.export(spans as unknown as ReadableSpan[], () => undefined); // the console exporter writes synchronously
        return;
      }
      const body = transformer().ProtobufTraceSerializer.serializeRequest(spans as unknown as ReadableSpan[]);
      if (body) sendSync({ ...otlp, grpcPath: TRACE_SERVICE_PATH }, body, timeoutMillis);
    },
    shutdown: () => sdkExporter.shutdown(),
  };
}

function createOtlpExporter(otlp: OtlpConfig): SpanExporter {
  const compression = otlp.compression as never;
  const common = { url: otlp.url, timeoutMillis: otlp.timeoutMillis, compression };
  switch (otlp.protocol) {
    case 'grpc': {
      const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(otlp.headers)) metadata.set(key, value);
      const plaintext = otlp.insecure || otlp.url.startsWith('http:');
      return new OTLPTraceExporter({ ...common, metadata, credentials: plaintext ? grpc.credentials.createInsecure() : undefined });
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ ...common, headers: otlp.headers });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ ...common, headers: otlp.headers });
    }
  }
}
