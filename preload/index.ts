// Wiring: reads the configuration, registers our context manager, tracer provider, meter
// provider and propagator with @opentelemetry/api, subscribes the instrumentations, and
// arranges the flush on exit. Loaded by bootstrap.cjs, which has already checked the Node version.
import { DiagLogLevel, context, diag, logs, metrics, propagation, trace, type LogRecord, type Meter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { isInstrumentationEnabled, readConfig } from './config';
import { diagLogger } from './diag';
import { traceDatabases, type DbInstrumentationName } from './db/databases';
import { Batcher } from './export/batcher';
import { printSpan } from './export/console-spans';
import { encodeLogRecord, encodeSpan } from './export/otlp-encoding';
import { buildResource, settledResource } from './export/resource';
import { SIGNALS, createOtlpExporter } from './export/otlp-exporter';
import { observeExpressErrors } from './frameworks/express';
import { observeFastify } from './frameworks/fastify';
import { observeKoa } from './frameworks/koa';
import { traceHttpClients } from './http/client';
import { traceFetch } from './http/fetch';
import { traceHttpServers } from './http/server';
import { startHeartbeat } from './heartbeat';
import { core, sdkTrace } from './lazy';
import { logRequests } from './logs/access-log';
import { captureConsole } from './logs/console';
import { recordCrashes } from './logs/crashes';
import { observePino, observeWinston } from './logs/log-libraries';
import { LogPipeline, type LogQueue } from './logs/pipeline';
import { DbMetrics } from './metrics/db-metrics';
import { HttpMetrics } from './metrics/http-metrics';
import { measureHttpServers } from './metrics/http-server';
import { DeferredMeterProvider } from './metrics/deferred-meter';
import { sendLeanMetricsSync } from './metrics/exit-export';
import { startMetrics, type MetricsPipeline } from './metrics/sdk';
import { createRedactor } from './redact';
import { describe, reportOnce } from './report';
import { flushOnExit, type Flushable } from './shutdown';
import { ContextStorage } from './trace/context';
import { ConfiguredPropagator } from './trace/propagation';
import type { InstrumentationScope, RecordedSpan } from './trace/span';
import { LeanTracerProvider } from './trace/tracer';
import { VERSION } from './version';

type SpanQueue = Batcher<InstrumentationScope, RecordedSpan>;

export function start(): void {
  const config = readConfig();
  // Liveness is not telemetry: the agent hears the app even with OTEL_SDK_DISABLED=true.
  if (config.heartbeat.target) startHeartbeat({ target: config.heartbeat.target, intervalMillis: config.heartbeat.intervalMillis });
  if (!config.enabled) return;
  diag.setLogger(diagLogger, { logLevel: DiagLogLevel[config.logLevel.toUpperCase() as keyof typeof DiagLogLevel], suppressOverrideMessage: true });

  const redactor = createRedactor(config.redact);
  let resource: Resource | undefined;
  const getResource = (): Resource => (resource ??= buildResource(config));

  // Traces: spans are encoded into the export queue the moment they end.
  const spans: SpanQueue = new Batcher('spans', config.traces.batch, encodeSpan, () => createOtlpExporter(SIGNALS.traces, config.traces.otlp, getResource));
  const tracesTo = config.traces.exporter;
  const onEnd = tracesTo === 'otlp' ? (span: RecordedSpan) => spans.add(span.instrumentationScope, span) : tracesTo === 'console' ? printSpan : () => undefined;
  const provider = new LeanTracerProvider(config, onEnd, () => settledResource(getResource()), redactor);
  const propagator = new ConfiguredPropagator(config.propagators);
  context.setGlobalContextManager(new ContextStorage());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(propagator);

  // Metrics: HTTP RED on our own lean path from the start; the SDK pipeline when first needed.
  const metricsOn = config.metrics.exporter !== 'none';
  const httpMetrics = metricsOn ? new HttpMetrics(config.metrics.cardinalityLimit) : undefined;
  const dbMetrics = metricsOn ? new DbMetrics(config.metrics.cardinalityLimit) : undefined;
  let pipeline: MetricsPipeline | undefined;
  const getPipeline = (): MetricsPipeline | undefined =>
    httpMetrics && (pipeline ??= startMetrics(config, getResource(), [httpMetrics, dbMetrics!], (meter) => countDrops(meter, spans)));
  const meterProvider = metricsOn ? new DeferredMeterProvider(() => getPipeline()!.provider) : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  // Logs: console, access log and crashes as records through the SDK's LoggerProvider.
  const logsTo = config.logs.exporter;
  const logQueue: LogQueue | undefined =
    logsTo === 'otlp' ? new Batcher('logs', config.logs.batch, encodeLogRecord, () => createOtlpExporter(SIGNALS.logs, config.logs.otlp, getResource)) : undefined;
  const logPipeline = logsTo !== 'none' ? new LogPipeline(logQueue, getResource, redactor) : undefined;
  if (logPipeline) logs.setGlobalLoggerProvider(logPipeline);

  const tracer = provider.getTracer('nodetel', VERSION);
  if (isInstrumentationEnabled(config, 'http')) {
    traceHttpServers({ tracer, propagator, ignoredPaths: config.ignoredPaths, redactor });
    traceHttpClients(tracer, propagator, httpMetrics, redactor);
    if (httpMetrics) measureHttpServers(httpMetrics, config.metrics.includeIgnoredPaths ? undefined : config.ignoredPaths);
  }
  if (logPipeline) {
    // After the tracing subscribers: the access log reads the context they keep on the request.
    if (config.logs.accessLog && isInstrumentationEnabled(config, 'http')) logRequests((r) => logPipeline.emitRedacted('http', r), redactor, config.logs.accessLogSampleRatio);
    // The process is about to die: whatever waits for the SDK goes out now, the crash included.
    recordCrashes((r) => {
      logPipeline.emit('crash', r);
      logPipeline.drainEarly();
    });
  }
  // JSON console lines are for clusters that collect stdout rather than OTLP: they carry the trace
  // fields even when no record is sent.
  const consoleRecords = logPipeline && config.logs.console ? (r: LogRecord) => logPipeline.emitRedacted('console', r) : undefined;
  if (consoleRecords || config.logs.consoleJson) captureConsole(consoleRecords, redactor, config.logs.consoleJson);
  // The trace fields in what winston and pino print are useful even when records are not sent.
  if (isInstrumentationEnabled(config, 'winston')) observeWinston({ send: logPipeline !== undefined });
  if (isInstrumentationEnabled(config, 'pino')) observePino({ send: logPipeline !== undefined });
  if (isInstrumentationEnabled(config, 'undici')) traceFetch(tracer, propagator, httpMetrics, redactor);
  if (isInstrumentationEnabled(config, 'express')) observeExpressErrors();
  if (isInstrumentationEnabled(config, 'fastify')) observeFastify();
  if (isInstrumentationEnabled(config, 'koa')) observeKoa();
  const databases = (['pg', 'mysql2', 'ioredis', 'redis'] as DbInstrumentationName[]).filter((name) => isInstrumentationEnabled(config, name));
  if (databases.length) traceDatabases(databases, provider, dbMetrics);

  const flushables = [spansFlushable(spans), metricsFlushable(() => pipeline, (ms) => sendLeanMetricsSync(config, settledResource(getResource()), [httpMetrics!, dbMetrics!], ms))];
  if (logPipeline && logQueue) flushables.push(logsFlushable(logPipeline, logQueue));
  flushOnExit(flushables, config.shutdownTimeoutMillis);

  // Load what the first request will need once the app is up, rather than during its start-up
  // or its first request. Unref'd: a process that is already done (node -e 0) never pays.
  setTimeout(() => {
    core();
    sdkTrace();
    propagator.fields();
    if (tracesTo === 'otlp') spans.prepare();
    getResource();
    meterProvider?.provider();
    logQueue?.prepare();
  }, 0).unref();
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

/** Log records emitted before the SDK was loaded are handed to the queue first, on every way out. */
function logsFlushable(pipeline: LogPipeline, queue: LogQueue): Flushable {
  return {
    name: 'logs',
    flush: (ms) => {
      pipeline.drainEarly();
      return queue.flush(ms);
    },
    drainSync: (ms) => {
      pipeline.drainEarly();
      queue.drainSync(ms);
    },
    hasPending: () => pipeline.hasEarly() || queue.hasPending(),
    droppedSummary: () => queue.droppedSummary(),
  };
}

/**
 * Metrics are exported on a timer; on the way out, one last export. Where that cannot finish
 * (process.exit(), also from an app's own SIGTERM handler), our HTTP and database metrics are
 * sent synchronously at 'exit' (metrics/exit-export.ts).
 */
function metricsFlushable(pipeline: () => MetricsPipeline | undefined, sendSync: (timeoutMillis: number) => void): Flushable {
  let flushStarted = false;
  let flushed = false;
  return {
    name: 'metrics',
    flush: async (ms) => {
      flushStarted = true;
      const loaded = pipeline();
      if (!loaded) return;
      await loaded.flush(ms);
      flushed = true;
    },
    drainSync: (ms) => {
      if (!pipeline() || flushed) return;
      try {
        sendSync(ms);
      } catch (err) {
        reportOnce(`metrics could not be sent at exit (${describe(err)})`);
      }
    },
    hasPending: () => pipeline() !== undefined && !flushStarted,
    droppedSummary: () => undefined,
  };
}
