// Check results over OTLP/gRPC to the Collector, with the OpenTelemetry metrics SDK. Loaded only
// when OTLP export is configured (the SDK and gRPC cost memory a Prometheus-only agent need not
// pay). A failing export is reported once, and its recovery once; metrics are flushed on shutdown.
import type * as Grpc from '@grpc/grpc-js';
import type * as Api from '@opentelemetry/api';
import type * as Exporter from '@opentelemetry/exporter-metrics-otlp-grpc';
import type * as Resources from '@opentelemetry/resources';
import type * as Sdk from '@opentelemetry/sdk-metrics';
import type { CheckState } from '../check-state';
import type { CheckConfig, OtlpMetricsConfig } from '../config';
import { describeError } from '../errors';
import type { Logger } from '../log';
import type { Probes } from '../probes';
import { redactUrl, scrub } from '../redact';
import { VERSION } from '../version';
import { ATTR_KIND, ATTR_NAME, ATTR_REQUIRED, CHECK_DURATION, DEPENDENCY_UP, DURATION_BUCKETS, EVENTLOOP_DELAY, EVENTLOOP_DELAY_MAX, HEARTBEAT_AGE } from './names';

export interface OtlpMetrics {
  observe(check: CheckConfig, seconds: number): void;
  /** Exports what is left, within timeoutMs. */
  shutdown(timeoutMs: number): Promise<void>;
}

export function startOtlpMetrics(config: OtlpMetricsConfig, checks: readonly CheckState[], probes: Probes, log: Logger): OtlpMetrics {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof Sdk;
  const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof Exporter;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const grpc = require('@grpc/grpc-js') as typeof Grpc;

  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value);
  const plaintext = config.url.startsWith('http://') || config.insecure;
  const exporter = new OTLPMetricExporter({
    url: config.url,
    metadata,
    credentials: plaintext ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
    timeoutMillis: config.timeoutMs,
    compression: config.compression as never,
  });
  const reader = new sdk.PeriodicExportingMetricReader({
    exporter: reportingFailures(exporter, config.url, Object.values(config.headers), log),
    exportIntervalMillis: config.exportIntervalMs,
    exportTimeoutMillis: Math.min(config.exportTimeoutMs, config.exportIntervalMs),
  });
  const provider = new sdk.MeterProvider({ resource: resourceFromAttributes(config.resource), readers: [reader] });
  const meter = provider.getMeter('nodetel-agent', VERSION);

  const duration = meter.createHistogram(CHECK_DURATION.otlp, {
    unit: CHECK_DURATION.unit,
    description: CHECK_DURATION.description,
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  meter.createObservableGauge(DEPENDENCY_UP.otlp, { unit: DEPENDENCY_UP.unit, description: DEPENDENCY_UP.description }).addCallback((result) => {
    for (const c of checks) if (c.status !== 'pending') result.observe(c.status === 'passing' ? 1 : 0, attributes(c.config));
  });
  meter.createObservableGauge(HEARTBEAT_AGE.otlp, { unit: HEARTBEAT_AGE.unit, description: HEARTBEAT_AGE.description }).addCallback((result) => {
    const age = probes.heartbeatAgeSeconds();
    if (age !== undefined) result.observe(age);
  });
  meter.createObservableGauge(EVENTLOOP_DELAY.otlp, { unit: EVENTLOOP_DELAY.unit, description: EVENTLOOP_DELAY.description }).addCallback((result) => {
    const last = probes.app.freshest();
    if (last) result.observe(last.delayMs.p99 / 1000);
  });
  meter.createObservableGauge(EVENTLOOP_DELAY_MAX.otlp, { unit: EVENTLOOP_DELAY_MAX.unit, description: EVENTLOOP_DELAY_MAX.description }).addCallback((result) => {
    const max = probes.app.maxDelayMs(probes.now());
    if (max !== undefined) result.observe(max / 1000);
  });

  let shut: Promise<void> | undefined;
  return {
    observe(check, seconds) {
      duration.record(seconds, attributes(check));
    },
    shutdown(timeoutMs) {
      shut ??= Promise.race([
        provider.shutdown().catch((err: unknown) => log.warn(`metrics: the last OTLP export failed: ${describeError(err)}`)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
      return shut;
    },
  };
}

function attributes(c: CheckConfig): Api.Attributes {
  return { [ATTR_NAME]: c.name, [ATTR_KIND]: c.kind, [ATTR_REQUIRED]: c.required };
}

/** The exporter, saying once when exports start failing and once when they work again. */
function reportingFailures(exporter: Sdk.PushMetricExporter, url: string, secrets: string[], log: Logger): Sdk.PushMetricExporter {
  let failing = false;
  return {
    export(metrics, done) {
      exporter.export(metrics, (result) => {
        if (result.code !== 0 && !failing) {
          failing = true;
          log.warn(`metrics: OTLP export to ${redactUrl(url)} failed (${result.error ? scrub(describeError(result.error), secrets) : 'unknown error'}); retrying at each interval, reported again when it recovers`);
        } else if (result.code === 0 && failing) {
          failing = false;
          log.info(`metrics: OTLP export to ${redactUrl(url)} works again`);
        }
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
  };
}
