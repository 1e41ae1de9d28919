// Check results over OTLP to the Collector. The agent has five metrics and a few series, so it
// encodes the ExportMetricsServiceRequest itself (the preload's protobuf writer and attribute
// encoder) and sends it in one request (otlp-transport.ts: OTLP/HTTP by default, or gRPC): no
// OpenTelemetry SDK, exporter or @grpc/grpc-js, whose ~300 modules cost the sidecar about 10 MB of
// RSS.
//
// Temporality is cumulative, as the SDK's default was: every export carries the totals since the
// agent started, so an export that fails loses nothing and is simply not retried; the next
// interval sends the totals again. A failing export is reported once, and its recovery once;
// what is left is sent on shutdown.
import { writeAttributes } from '../../preload/export/otlp-encoding';
import { ProtobufWriter } from '../../preload/export/protobuf-writer';
import type { CheckState } from '../check-state';
import type { CheckConfig, OtlpMetricsConfig } from '../config';
import { describeError } from '../errors';
import type { Logger } from '../log';
import type { Probes } from '../probes';
import { redactUrl, scrub } from '../redact';
import { VERSION } from '../version';
import { createTransport } from './otlp-transport';
import { ATTR_KIND, ATTR_NAME, ATTR_REQUIRED, CHECK_DURATION, DEPENDENCY_UP, DURATION_BUCKETS, EVENTLOOP_DELAY, EVENTLOOP_DELAY_MAX, HEARTBEAT_AGE, type MetricName } from './names';

export interface OtlpMetrics {
  observe(check: CheckConfig, seconds: number): void;
  /** Exports what is left, within timeoutMs. */
  shutdown(timeoutMs: number): Promise<void>;
}

const SCOPE = 'nodetel-agent';
/** OTLP AggregationTemporality: CUMULATIVE. */
const CUMULATIVE = 2;

interface Histogram {
  attributes: Record<string, string | boolean>;
  /** Per bucket (OTLP's bucket_counts are not cumulative): DURATION_BUCKETS.length + 1 of them. */
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export function startOtlpMetrics(config: OtlpMetricsConfig, checks: readonly CheckState[], probes: Probes, log: Logger): OtlpMetrics {
  const startedAt = Date.now();
  const histograms = new Map<string, Histogram>();
  const transport = createTransport(config);
  const secrets = Object.values(config.headers);
  let failing = false;
  let inFlight: Promise<void> | undefined;

  const encode = (): Buffer => {
    const now = Date.now();
    const w = new ProtobufWriter(2048);
    const resourceMetrics = w.begin(1);
    const resource = w.begin(1);
    writeAttributes(w, 1, config.resource);
    w.end(resource);
    const scopeMetrics = w.begin(2);
    const scope = w.begin(1);
    w.stringField(1, SCOPE);
    w.stringField(2, VERSION);
    w.end(scope);

    const up = checks.filter((c) => c.status !== 'pending');
    if (up.length) gauge(w, DEPENDENCY_UP, now, up.map((c) => [c.status === 'passing' ? 1 : 0, attributes(c.config)]));
    if (histograms.size) {
      const metric = beginMetric(w, CHECK_DURATION, 9);
      for (const h of histograms.values()) histogramPoint(w, h, startedAt, now);
      w.varintField(2, CUMULATIVE);
      endMetric(w, metric);
    }
    const age = probes.heartbeatAgeSeconds();
    if (age !== undefined) gauge(w, HEARTBEAT_AGE, now, [[age]]);
    const last = probes.app.freshest();
    if (last) gauge(w, EVENTLOOP_DELAY, now, [[last.delayMs.p99 / 1000]]);
    const max = probes.app.maxDelayMs(probes.now());
    if (max !== undefined) gauge(w, EVENTLOOP_DELAY_MAX, now, [[max / 1000]]);

    w.end(scopeMetrics);
    w.end(resourceMetrics);
    return w.buffer.subarray(0, w.pos);
  };

  const exportOnce = (timeoutMs: number): Promise<void> =>
    (inFlight ??= transport
      .send(encode(), timeoutMs)
      .then(
        () => {
          if (failing) log.info(`metrics: OTLP export to ${redactUrl(config.url)} works again`);
          failing = false;
        },
        (err: unknown) => {
          if (!failing) {
            log.warn(`metrics: OTLP export to ${redactUrl(config.url)} failed (${scrub(describeError(err), secrets)}); retrying at each interval, reported again when it recovers`);
          }
          failing = true;
        },
      )
      .finally(() => (inFlight = undefined)));

  const deadline = Math.min(config.timeoutMs, config.exportTimeoutMs, config.exportIntervalMs);
  // An export still running when the next is due is not doubled: the next one carries the totals.
  const timer = setInterval(() => void exportOnce(deadline), config.exportIntervalMs).unref();

  let shut: Promise<void> | undefined;
  return {
    observe(check, seconds) {
      let h = histograms.get(check.name);
      if (!h) {
        h = { attributes: attributes(check), counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), count: 0, sum: 0, min: Infinity, max: -Infinity };
        histograms.set(check.name, h);
      }
      let i = 0;
      while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
      h.counts[i]!++;
      h.count++;
      h.sum += seconds;
      if (seconds < h.min) h.min = seconds;
      if (seconds > h.max) h.max = seconds;
    },
    shutdown(timeoutMs) {
      clearInterval(timer);
      shut ??= (async () => {
        await inFlight;
        await exportOnce(Math.max(1, Math.min(timeoutMs, config.timeoutMs)));
        transport.close();
      })();
      return Promise.race([shut, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

function attributes(c: CheckConfig): Record<string, string | boolean> {
  return { [ATTR_NAME]: c.name, [ATTR_KIND]: c.kind, [ATTR_REQUIRED]: c.required };
}

/** Starts ScopeMetrics.metrics (field 2): name, description, unit, then the data field `dataField` (5 gauge, 9 histogram). */
function beginMetric(w: ProtobufWriter, m: MetricName, dataField: number): [number, number] {
  const metric = w.begin(2);
  w.stringField(1, m.otlp);
  w.stringField(2, m.description);
  w.stringField(3, m.unit);
  return [metric, w.begin(dataField)];
}

function endMetric(w: ProtobufWriter, [metric, data]: [number, number]): void {
  w.end(data);
  w.end(metric);
}

/** A Gauge of NumberDataPoints (as_double), each [value, attributes?]. */
function gauge(w: ProtobufWriter, m: MetricName, now: number, points: [number, Record<string, string | boolean>?][]): void {
  const metric = beginMetric(w, m, 5);
  for (const [value, attrs] of points) {
    const point = w.begin(1);
    if (attrs) writeAttributes(w, 7, attrs);
    time(w, 3, now);
    w.doubleField(4, value);
    w.end(point);
  }
  endMetric(w, metric);
}

function histogramPoint(w: ProtobufWriter, h: Histogram, startedAt: number, now: number): void {
  const point = w.begin(1);
  writeAttributes(w, 9, h.attributes);
  time(w, 2, startedAt);
  time(w, 3, now);
  w.tag(4, 1); // count: fixed64
  w.raw(fixed64s([h.count]));
  w.doubleField(5, h.sum);
  w.bytesField(6, fixed64s(h.counts)); // packed repeated fixed64
  const bounds = Buffer.allocUnsafe(8 * DURATION_BUCKETS.length);
  DURATION_BUCKETS.forEach((b, i) => bounds.writeDoubleLE(b, 8 * i));
  w.bytesField(7, bounds); // packed repeated double
  if (h.count) {
    w.doubleField(11, h.min);
    w.doubleField(12, h.max);
  }
  w.end(point);
}

function time(w: ProtobufWriter, field: number, ms: number): void {
  w.timeField(field, Math.floor(ms / 1000), (ms % 1000) * 1e6);
}

/** Non-negative integers below 2^53 as little-endian fixed64s. */
function fixed64s(values: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(8 * values.length);
  values.forEach((v, i) => {
    out.writeUInt32LE(v % 4294967296, 8 * i);
    out.writeUInt32LE(Math.floor(v / 4294967296), 8 * i + 4);
  });
  return out;
}
