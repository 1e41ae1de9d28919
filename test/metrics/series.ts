/**
 * Reading metrics the way a backend does: a metric is a set of series (one per distinct
 * attribute set), and for a cumulative series what counts is its latest point. The receiver
 * keeps one entry per metric per export request, so the same series shows up once per export.
 */
import type { OtlpReceiver, ReceivedMetric, ReceivedMetricPoint } from '../helpers/otlp-receiver.ts';

export const DELTA = 1;
export const CUMULATIVE = 2;

/** The bucket boundaries of the stable HTTP semantic conventions for http.*.request.duration. */
export const HTTP_DURATION_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface Series {
  metric: ReceivedMetric;
  point: ReceivedMetricPoint;
}

/** A stable key for an attribute set: the same attributes in any order give the same key. */
export function seriesKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]));
}

/**
 * The latest point of every series of `name` (by timeUnixNano; on a tie, the one that arrived
 * last), across every export received so far.
 */
export function lastPoints(metrics: readonly ReceivedMetric[], name: string): Series[] {
  const latest = new Map<string, Series>();
  for (const metric of metrics) {
    if (metric.name !== name) continue;
    for (const point of metric.points) {
      const key = seriesKey(point.attributes);
      const seen = latest.get(key);
      if (!seen || point.timeUnixNano >= seen.point.timeUnixNano) latest.set(key, { metric, point });
    }
  }
  return [...latest.values()];
}

/** The sum of the histogram counts of some series. */
export function totalCount(series: readonly Series[]): number {
  return series.reduce((total, { point }) => total + (point.count ?? 0), 0);
}

/** For failure messages: every series as `{attributes} count=N` or `{attributes} value=V`. */
export function show(series: readonly Series[]): string {
  return series
    .map(({ point }) => `${JSON.stringify(point.attributes)} ${point.count !== undefined ? `count=${point.count}` : `value=${point.value}`}`)
    .join('\n');
}

/** Every distinct metric name received so far. */
export function metricNames(receiver: OtlpReceiver): string[] {
  return [...new Set(receiver.metrics.map((m) => m.name))].sort();
}

/**
 * Groups what the receiver gets into export requests (one array per Export call), which
 * receiver.metrics flattens away: values that belong together (the percentiles of one
 * event-loop delay histogram) must be read from one and the same export.
 */
export function recordExports(receiver: OtlpReceiver): ReceivedMetric[][] {
  const exports: ReceivedMetric[][] = [];
  receiver.on('metrics', (batch) => exports.push(batch));
  return exports;
}

/** Sends every path, `concurrency` at a time, and returns the statuses in the order of `paths`. */
export async function sendAll(base: string, paths: readonly string[], concurrency = 16): Promise<number[]> {
  const statuses: number[] = new Array(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const index = next++;
      const response = await fetch(`${base}${paths[index]}`);
      await response.arrayBuffer();
      statuses[index] = response.status;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return statuses;
}
