// Wiring: reads the configuration, registers our context manager, tracer provider, meter
// provider and propagator with @opentelemetry/api, subscribes the instrumentations, and
// arranges the flush on exit. Loaded by bootstrap.cjs, which has already checked the Node version.
import { context, diag, metrics, propagation, trace, type Meter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { isInstrumentationEnabled, readConfig, type Config } from './config';
import { diagLogger } from './diag';
import { Batcher } from './export/batcher';
import { printSpan } from './export/console-spans';
import { encodeSpan } from './export/otlp-encoding';
import { buildResource, settledResource } from './export/resource';
import { createTraceExporter } from './export/trace-exporter';
import { observeExpressErrors } from './frameworks/express';
import { observeFastify } from './frameworks/fastify';
import { observeKoa } from './frameworks/koa';
import { traceHttpClients } from './http/client';
import { traceFetch } from './http/fetch';
import { traceHttpServers } from './http/server';
import { core, sdkTrace } from './lazy';
import { HttpMetrics } from './metrics/http-metrics';
import { measureHttpServers } from './metrics/http-server';
import { DeferredMeterProvider, startMetrics, type MetricsPipeline } from './metrics/sdk';
import { flushOnExit, type Flushable } from './shutdown';
import { ContextStorage } from './trace/context';
import { ConfiguredPropagator } from './trace/propagation';
import type { InstrumentationScope, RecordedSpan } from './trace/span';
import { LeanTracerProvider } from './trace/tracer';
import { VERSION } from './version';

type SpanQueue = Batcher<InstrumentationScope, RecordedSpan>;

export function start(): void {
  const config = readConfig();
  if (!config.enabled) return;
  diag.setLogger(diagLogger, { logLevel: diagLevel(config.logLevel), suppressOverrideMessage: true });

  let resource: Resource | undefined;
  const getResource = (): Resource => (resource ??= buildResource(config));

  // Traces: spans are encoded into the export queue the moment they end.
  const spans: SpanQueue = new Batcher('spans', config.traces.batch, encodeSpan, () => createTraceExporter(config, getResource));
  const tracesTo = config.traces.exporter;
  const onEnd = tracesTo === 'otlp' ? (span: RecordedSpan) => spans.add(span.instrumentationScope, span) : tracesTo === 'console' ? printSpan : () => undefined;
  const provider = new LeanTracerProvider(config, onEnd, () => settledResource(getResource()));
  const propagator = new ConfiguredPropagator(config.propagators);
  context.setGlobalContextManager(new ContextStorage());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(propagator);

  // Metrics: HTTP RED on our own lean path from the start; the SDK pipeline when first needed.
  const metricsOn = config.metrics.exporter !== 'none';
  const httpMetrics = metricsOn ? new HttpMetrics(config.metrics.cardinalityLimit) : undefined;
  let pipeline: MetricsPipeline | undefined;
  const getPipeline = (): MetricsPipeline | undefined =>
    httpMetrics && (pipeline ??= startMetrics(config, getResource(), httpMetrics, (meter) => countDrops(meter, spans)));
  if (metricsOn) metrics.setGlobalMeterProvider(new DeferredMeterProvider(() => getPipeline()!.provider));

  const tracer = provider.getTracer('nodetel', VERSION);
  if (isInstrumentationEnabled(config, 'http')) {
    traceHttpServers({ tracer, propagator, ignoredPaths: config.ignoredPaths });
    traceHttpClients(tracer, propagator, httpMetrics);
    if (httpMetrics) measureHttpServers(httpMetrics, config.metrics.includeIgnoredPaths ? undefined : config.ignoredPaths);
  }
  if (isInstrumentationEnabled(config, 'undici')) traceFetch(tracer, propagator, httpMetrics);
  if (isInstrumentationEnabled(config, 'express')) observeExpressErrors();
  if (isInstrumentationEnabled(config, 'fastify')) observeFastify();
  if (isInstrumentationEnabled(config, 'koa')) observeKoa();

  flushOnExit([spansFlushable(spans), metricsFlushable(() => pipeline)], config.shutdownTimeoutMillis);

  // Load what the first request will need once the app is up, rather than during its start-up
  // or its first request. Unref'd: a process that is already done (node -e 0) never pays.
  setTimeout(() => warmUp(config, spans, propagator, getResource, getPipeline), 0).unref();
}

function warmUp(config: Config, spans: SpanQueue, propagator: ConfiguredPropagator, getResource: () => Resource, getPipeline: () => unknown): void {
  core();
  sdkTrace();
  propagator.fields();
  if (config.traces.exporter === 'otlp') spans.prepare();
  getResource();
  getPipeline();
}

/** nodetel.telemetry.dropped: what the export queues had to drop, so it shows on a dashboard. */
function countDrops(meter: Meter, spans: SpanQueue): void {
  meter
    .createObservableCounter('nodetel.telemetry.dropped', { unit: '{item}', description: 'Telemetry dropped before it could be exported.' })
    .addCallback((result) => {
      result.observe(spans.stats.droppedQueueFull, { signal: 'spans', reason: 'queue_full' });
      result.observe(spans.stats.droppedExportFailed, { signal: 'spans', reason: 'export_failed' });
    });
}

function spansFlushable(spans: SpanQueue): Flushable {
  return {
    name: 'spans',
    flush: (ms) => spans.flush(ms),
    drainSync: (ms) => spans.drainSync(ms),
    hasPending: () => spans.hasPending(),
    droppedSummary: () => spans.droppedSummary(),
  };
}

/** Metrics are cumulative and exported on a timer; on the way out, one last export (not on process.exit, which allows none). */
function metricsFlushable(pipeline: () => MetricsPipeline | undefined): Flushable {
  let flushedForExit = false;
  return {
    name: 'metrics',
    flush: async (ms) => {
      flushedForExit = true;
      await pipeline()?.flush(ms);
    },
    drainSync: () => undefined,
    hasPending: () => pipeline() !== undefined && !flushedForExit,
    droppedSummary: () => undefined,
  };
}

function diagLevel(level: string): number {
  const levels: Record<string, number> = { none: 0, error: 30, warn: 50, info: 60, debug: 70, verbose: 80, all: 9999 };
  return levels[level] ?? 60;
}
