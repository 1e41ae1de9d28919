// OTLP/gRPC: one unary Export call per request, over the gRPC channel the preload exports
// through (our HTTP/2 client on node:net, without @grpc/grpc-js or node:http2).
import { GrpcChannel } from '../../preload/export/grpc-channel';
import type { OtlpMetricsConfig } from '../config';
import { VERSION } from '../version';
import type { Transport } from './otlp-transport';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/**
 * One HTTP/2 connection, opened on first use and again after the Collector closes it; TLS for
 * https:// unless `insecure`, like the SDK's exporter; headers are sent as gRPC metadata. It
 * holds the agent up only while a call is in flight.
 */
export function grpcTransport(config: OtlpMetricsConfig): Transport {
  const channel = new GrpcChannel({ url: config.url, insecure: config.insecure, headers: config.headers, userAgent: `nodetel-agent/${VERSION}`, gzip: config.compression === 'gzip' });
  return {
    send: async (message, timeoutMs) => {
      await channel.call(EXPORT_PATH, message, timeoutMs);
    },
    close: () => channel.close(),
  };
}
