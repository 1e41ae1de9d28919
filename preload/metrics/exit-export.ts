// process.exit() leaves no room for the SDK's asynchronous collection: without this, whatever was
// measured since the last periodic export (up to OTEL_METRIC_EXPORT_INTERVAL, a minute by
// default) would be lost, and `process.on('SIGTERM', () => server.close(() => process.exit(0)))`
// is how many servers stop. Our own HTTP and database metrics can be collected synchronously:
// at 'exit' they are encoded with the SDK's OTLP serializer and handed to the exit sender, as
// queued spans and logs are. The app's own and the runtime metrics since the last export cannot
// be: the SDK collects those asynchronously.
import type { Resource } from '@opentelemetry/resources';
import type { Config } from '../config';
import { sendSync } from '../export/exit-send';
import { VERSION } from '../version';
import { METRICS_GRPC_PATH, type LeanMetrics } from './sdk';

export function sendLeanMetricsSync(config: Config, resource: Resource, lean: LeanMetrics[], timeoutMillis: number): void {
  if (config.metrics.exporter !== 'otlp') return;
  const metrics = lean.flatMap((m) => m.collect(config.metrics.temporality));
  if (metrics.length === 0) return;
  const { ProtobufMetricsSerializer } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  const body = ProtobufMetricsSerializer.serializeRequest({ resource, scopeMetrics: [{ scope: { name: 'nodetel', version: VERSION }, metrics }] });
  if (body) sendSync({ ...config.metrics.otlp, grpcPath: METRICS_GRPC_PATH }, body, timeoutMillis);
}
