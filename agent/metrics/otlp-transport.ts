// How an encoded ExportMetricsServiceRequest reaches the Collector: OTLP/HTTP with a protobuf body
// (the OpenTelemetry default protocol) or gRPC. Each transport loads its own client module when
// it is created, so an agent loads only the one configured: node:http is already there for the
// probes, and gRPC's HTTP/2 client is ours, on node:net (node:tls, about 5 MB of RSS, only for
// an https:// Collector).
import type { OtlpMetricsConfig } from '../config';

export interface Transport {
  /** One Export call; resolves when the Collector accepted it, rejects with the reason otherwise. */
  send(message: Buffer, timeoutMs: number): Promise<void>;
  close(): void;
}

export function createTransport(config: OtlpMetricsConfig): Transport {
  if (config.protocol === 'grpc') return (require('./grpc-transport') as typeof import('./grpc-transport')).grpcTransport(config);
  return (require('./http-transport') as typeof import('./http-transport')).httpTransport(config);
}
