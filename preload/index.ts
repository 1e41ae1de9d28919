// Wiring: reads the configuration, registers our context manager, tracer provider and
// propagator with @opentelemetry/api, subscribes the instrumentations, and arranges the flush
// on exit. Loaded by bootstrap.cjs, which has already checked the Node version.
import { context, diag, propagation, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { isInstrumentationEnabled, readConfig } from './config';
import { diagLogger } from './diag';
import { Batcher } from './export/batcher';
import { buildResource, settledResource } from './export/resource';
import { printSpan } from './export/console-spans';
import { encodeSpan } from './export/otlp-encoding';
import { createTraceExporter } from './export/trace-exporter';
import { observeExpressErrors } from './frameworks/express';
import { observeFastify } from './frameworks/fastify';
import { observeKoa } from './frameworks/koa';
import { traceHttpClients } from './http/client';
import { traceFetch } from './http/fetch';
import { traceHttpServers } from './http/server';
import { core, sdkTrace } from './lazy';
import { flushOnExit } from './shutdown';
import { ContextStorage } from './trace/context';
import { ConfiguredPropagator } from './trace/propagation';
import type { InstrumentationScope, RecordedSpan } from './trace/span';
import { LeanTracerProvider } from './trace/tracer';
import { VERSION } from './version';

export function start(): void {
  const config = readConfig();
  if (!config.enabled) return;
  diag.setLogger(diagLogger, { logLevel: diagLevel(config.logLevel), suppressOverrideMessage: true });

  let resource: Resource | undefined;
  const getResource = (): Resource => (resource ??= buildResource(config));
  const spans = new Batcher<InstrumentationScope, RecordedSpan>('spans', config.traces.batch, encodeSpan, () => createTraceExporter(config, getResource));
  const exporter = config.traces.exporter;
  const onEnd = exporter === 'otlp' ? (span: RecordedSpan) => spans.add(span.instrumentationScope, span) : exporter === 'console' ? printSpan : () => undefined;
  const provider = new LeanTracerProvider(config, onEnd, () => settledResource(getResource()));
  const propagator = new ConfiguredPropagator(config.propagators);

  context.setGlobalContextManager(new ContextStorage());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(propagator);

  const tracer = provider.getTracer('nodetel', VERSION);
  if (isInstrumentationEnabled(config, 'http')) {
    traceHttpServers({ tracer, propagator, ignoredPaths: config.ignoredPaths });
    traceHttpClients(tracer, propagator);
  }
  if (isInstrumentationEnabled(config, 'undici')) traceFetch(tracer, propagator);
  if (isInstrumentationEnabled(config, 'express')) observeExpressErrors();
  if (isInstrumentationEnabled(config, 'fastify')) observeFastify();
  if (isInstrumentationEnabled(config, 'koa')) observeKoa();

  flushOnExit(
    [
      {
        name: 'spans',
        flush: (ms) => spans.flush(ms),
        drainSync: (ms) => spans.drainSync(ms),
        hasPending: () => spans.hasPending(),
        droppedSummary: () => spans.droppedSummary(),
      },
    ],
    config.shutdownTimeoutMillis,
  );

  // Load what the first request will need once the app is up, rather than during its start-up
  // or its first request. Unref'd: a process that is already done (node -e 0) never pays.
  setTimeout(() => {
    core();
    sdkTrace();
    propagator.fields();
    if (exporter === 'otlp') spans.prepare();
    getResource();
  }, 0).unref();
}

function diagLevel(level: string): number {
  const levels: Record<string, number> = { none: 0, error: 30, warn: 50, info: 60, debug: 70, verbose: 80, all: 9999 };
  return levels[level] ?? 60;
}
