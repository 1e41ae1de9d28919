// The metric contract: dashboards and alert rules are written against these names, so they are
// defined here once for both OTLP and the Prometheus text of /metrics. OTLP names and units follow
// OpenTelemetry; the Prometheus names are what the Collector's Prometheus exporter makes of them
// (dots to underscores, unit suffix `_seconds`).

export interface MetricName {
  otlp: string;
  prometheus: string;
  unit: string;
  description: string;
}

export const DEPENDENCY_UP: MetricName = {
  otlp: 'nodetel.dependency.up',
  prometheus: 'nodetel_dependency_up',
  unit: '1',
  description: 'Whether the dependency check passes (1) or fails (0), after its failure and success thresholds.',
};

export const CHECK_DURATION: MetricName = {
  otlp: 'nodetel.dependency.check.duration',
  prometheus: 'nodetel_dependency_check_duration_seconds',
  unit: 's',
  description: 'How long each run of a dependency check took, whether it passed or not.',
};

export const HEARTBEAT_AGE: MetricName = {
  otlp: 'nodetel.app.heartbeat.age',
  prometheus: 'nodetel_app_heartbeat_age_seconds',
  unit: 's',
  description: "Time since the app's last heartbeat; grows while its event loop is blocked or the app is down.",
};

export const EVENTLOOP_DELAY: MetricName = {
  otlp: 'nodetel.app.eventloop.delay',
  prometheus: 'nodetel_app_eventloop_delay_seconds',
  unit: 's',
  description: "The app's event-loop delay, 99th percentile over the interval of its last heartbeat.",
};

export const EVENTLOOP_DELAY_MAX: MetricName = {
  otlp: 'nodetel.app.eventloop.delay.max',
  prometheus: 'nodetel_app_eventloop_delay_max_seconds',
  unit: 's',
  description: "The app's longest event-loop delay in about the last minute (so that a scrape every 15 to 60 s sees every block).",
};

/** Attribute keys; in Prometheus the dots become underscores (check_name, check_kind, check_required). */
export const ATTR_NAME = 'check.name';
export const ATTR_KIND = 'check.kind';
export const ATTR_REQUIRED = 'check.required';

/** Histogram bucket bounds for check durations, in seconds: 1 ms to 10 s. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
