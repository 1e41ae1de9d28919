// The metrics pipeline: the SDK's MeterProvider with a PeriodicExportingMetricReader and the
// OTLP (or console) exporter, collecting the app's own @opentelemetry/api instruments, our
// runtime metrics, and our HTTP and database metrics as a MetricProducer. Built on first need
// (the warm-up after start, or the first measurement through the API: see deferred-meter.ts),
// because sdk-metrics alone costs ~60 ms to load.
import type { Meter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider, MetricData, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Config, Temporality } from '../config';
import { grpcExportDelegate } from '../export/grpc-transport';
import { VERSION } from '../version';
import { observeRuntime } from './runtime';

export const METRICS_GRPC_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface MetricsPipeline {
  provider: MeterProvider;
  flush(timeoutMillis: number): Promise<void>;
}

/** Metrics aggregated on our own lean path (http-metrics.ts, db-metrics.ts). */
export interface LeanMetrics {
  collect(temporality: Temporality): MetricData[];
}

export function startMetrics(config: Config, resource: Resource, lean: LeanMetrics[], extra: (meter: Meter) => void): MetricsPipeline {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const { metrics } = config;
  const reader = new sdk.PeriodicExportingMetricReader({
    exporter: createExporter(config),
    exportIntervalMillis: metrics.intervalMillis,
    exportTimeoutMillis: Math.min(metrics.timeoutMillis, metrics.intervalMillis),
    cardinalityLimits: Object.fromEntries(
      ['counter', 'gauge', 'histogram', 'upDownCounter', 'observableCounter', 'observableGauge', 'observableUpDownCounter'].map((k) => [k, metrics.cardinalityLimit]),
    ),
    metricProducers: [
      {
        collect: async () => ({
          resourceMetrics: { resource, scopeMetrics: [{ scope: { name: 'nodetel', version: VERSION }, metrics: lean.flatMap((m) => m.collect(metrics.temporality)) }] },
          errors: [],
        }),
      },
    ],
  });
  const provider = new sdk.MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('nodetel', VERSION);
  observeRuntime(meter);
  extra(meter);
  return { provider, flush: (timeoutMillis) => provider.forceFlush({ timeoutMillis }) };
}

function createExporter(config: Config): PushMetricExporter {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  if (config.metrics.exporter === 'console') return new sdk.ConsoleMetricExporter();
  const otlp = config.metrics.otlp;
  const otlpHttp = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
  const { AggregationTemporalityPreference } = otlpHttp;
  const temporalityPreference = {
    cumulative: AggregationTemporalityPreference.CUMULATIVE,
    delta: AggregationTemporalityPreference.DELTA,
    lowmemory: AggregationTemporalityPreference.LOWMEMORY,
  }[config.metrics.temporality];
  const common = { url: otlp.url, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression as never, temporalityPreference };
  if (otlp.protocol === 'grpc') {
    // The SDK's gRPC metric exporter is this same base class over its delegate; ours sends through
    // the channel the spans and log records use (export/grpc-channel.ts), so grpc-js never loads.
    const { ProtobufMetricsSerializer, MetricsExporterMetricsHelper } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
    const delegate = grpcExportDelegate(otlp, METRICS_GRPC_PATH, ProtobufMetricsSerializer, 'otlp_grpc_metric_exporter', MetricsExporterMetricsHelper);
    return new otlpHttp.OTLPMetricExporterBase(delegate, { temporalityPreference });
  }
  if (otlp.protocol === 'http/json') return new otlpHttp.OTLPMetricExporter({ ...common, headers: otlp.headers });
  const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter({ ...common, headers: otlp.headers });
}

