// The Prometheus text (exposition format 0.0.4) of /metrics, written directly: a handful of
// series do not need the OpenTelemetry SDK, which is loaded only for OTLP export. Durations are
// kept in cumulative histograms; the gauges are read from the probe state at scrape time.
import type { CheckState } from '../check-state';
import type { CheckConfig } from '../config';
import type { Probes } from '../probes';
import { CHECK_DURATION, DEPENDENCY_UP, DURATION_BUCKETS, EVENTLOOP_DELAY, EVENTLOOP_DELAY_MAX, HEARTBEAT_AGE, type MetricName } from './names';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

export class PrometheusMetrics {
  private readonly histograms = new Map<string, Histogram>();

  /** Records one run's duration. */
  observe(check: CheckConfig, seconds: number): void {
    let h = this.histograms.get(check.name);
    if (!h) {
      h = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(check.name, h);
    }
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  render(checks: readonly CheckState[], probes: Probes): string {
    const lines: string[] = [];
    header(lines, DEPENDENCY_UP, 'gauge');
    for (const c of checks) {
      if (c.status === 'pending') continue;
      lines.push(`${DEPENDENCY_UP.prometheus}{${labels(c.config)}} ${c.status === 'passing' ? 1 : 0}`);
    }
    header(lines, CHECK_DURATION, 'histogram');
    for (const c of checks) {
      const h = this.histograms.get(c.config.name);
      if (!h) continue;
      const l = labels(c.config);
      DURATION_BUCKETS.forEach((bound, i) => lines.push(`${CHECK_DURATION.prometheus}_bucket{${l},le="${bound}"} ${h.buckets[i]}`));
      lines.push(`${CHECK_DURATION.prometheus}_bucket{${l},le="+Inf"} ${h.count}`);
      lines.push(`${CHECK_DURATION.prometheus}_sum{${l}} ${round(h.sum)}`);
      lines.push(`${CHECK_DURATION.prometheus}_count{${l}} ${h.count}`);
    }
    const age = probes.heartbeatAgeSeconds();
    const last = probes.app.freshest();
    header(lines, HEARTBEAT_AGE, 'gauge');
    if (age !== undefined) lines.push(`${HEARTBEAT_AGE.prometheus} ${round(age)}`);
    header(lines, EVENTLOOP_DELAY, 'gauge');
    if (last) lines.push(`${EVENTLOOP_DELAY.prometheus} ${round(last.delayMs.p99 / 1000)}`);
    header(lines, EVENTLOOP_DELAY_MAX, 'gauge');
    const max = probes.app.maxDelayMs(probes.now());
    if (max !== undefined) lines.push(`${EVENTLOOP_DELAY_MAX.prometheus} ${round(max / 1000)}`);
    return `${lines.join('\n')}\n`;
  }
}

function header(lines: string[], m: MetricName, type: string): void {
  lines.push(`# HELP ${m.prometheus} ${m.description.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
  lines.push(`# TYPE ${m.prometheus} ${type}`);
}

function labels(c: CheckConfig): string {
  return `check_name="${escape(c.name)}",check_kind="${c.kind}",check_required="${c.required}"`;
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
