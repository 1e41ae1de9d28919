/**
 * The Grafana dashboards in deploy/grafana/dashboards, written once here and rendered to JSON by
 * render.mts (Grafana's dashboard JSON is long and repetitive; one source keeps the variables,
 * the links to Tempo and Loki, and the metric names the same everywhere).
 *
 * Every query uses only the metric names in deploy/exported-metrics.json (a test checks it) and
 * the label service_name, which every nodetel series carries (resource_to_telemetry_conversion).
 * Links: panels link to Tempo (TraceQL, by service and route) and to Loki (by service); latency
 * panels show exemplars, which open the trace by trace_id; the provisioned data sources link a
 * trace to its logs and a log line to its trace by trace_id (deploy/grafana/provisioning).
 */

type Json = Record<string, unknown>;

const PROM = { type: 'prometheus', uid: '${datasource}' };
const LOKI = { type: 'loki', uid: '${loki}' };
const TEMPO = { type: 'tempo', uid: '${tempo}' };
const SVC = 'service_name=~"$service"';
const ROUTE_LEGEND = '{{service_name}} {{http_route}}';

/** An Explore link (Grafana 10+ URL format), with Grafana variables left for Grafana to fill in. */
function explore(datasource: Json, query: Json): string {
  const pane = { datasource: datasource.uid, queries: [{ refId: 'A', datasource, ...query }], range: { from: '${__from}', to: '${__to}' } };
  // Encode the JSON but keep ${...} placeholders readable for Grafana's interpolation.
  const encoded = encodeURIComponent(JSON.stringify({ a: pane })).replace(/%24%7B([^%]+(?:%3A[a-z]+)?)%7D/g, (_, v: string) => `\${${decodeURIComponent(v)}}`);
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}

function tracesLink(title: string, traceql: string): Json {
  return { title, url: explore(TEMPO, { queryType: 'traceql', query: traceql, limit: 20 }), targetBlank: true };
}

function logsLink(title: string, logql: string): Json {
  return { title, url: explore(LOKI, { expr: logql, queryType: 'range' }), targetBlank: true };
}

// Links take the service and route from the clicked series (panels group by service_name), so
// the values are exact and Grafana percent-encodes them into the URL.
const F_SERVICE = '${__field.labels.service_name:percentencode}';
const F_ROUTE = '${__field.labels.http_route:percentencode}';

const ROUTE_TRACES = [
  tracesLink('Error traces of this route', `{ resource.service.name = "${F_SERVICE}" && span.http.route = "${F_ROUTE}" && status = error }`),
  tracesLink('Slow traces of this route', `{ resource.service.name = "${F_SERVICE}" && span.http.route = "${F_ROUTE}" && duration > 500ms }`),
  logsLink('Logs of this route', `{service_name="${F_SERVICE}"} | http_route = "${F_ROUTE}"`),
];

const SERVICE_LINKS = [
  tracesLink('Error traces of this service', `{ resource.service.name = "${F_SERVICE}" && status = error }`),
  logsLink('Error logs of this service', `{service_name="${F_SERVICE}"} | severity_number >= 17`),
];

interface PanelSpec {
  title: string;
  description?: string;
  type?: 'timeseries' | 'stat' | 'state-timeline' | 'table' | 'logs';
  targets: Json[];
  unit?: string;
  w?: number;
  h?: number;
  links?: Json[];
  thresholds?: { value: number | null; color: string }[];
  max?: number;
  min?: number;
  options?: Json;
}

function prom(expr: string, legend: string, extra: Json = {}): Json {
  return { datasource: PROM, expr, legendFormat: legend, range: true, ...extra };
}

class Layout {
  private x = 0;
  private y = 0;
  private rowH = 0;
  private id = 1;
  readonly panels: Json[] = [];

  row(title: string): void {
    this.newline();
    this.panels.push({ type: 'row', title, id: this.id++, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
  }

  add(p: PanelSpec): void {
    const w = p.w ?? 12;
    const h = p.h ?? 8;
    if (this.x + w > 24) this.newline();
    const type = p.type ?? 'timeseries';
    const defaults: Json = { unit: p.unit ?? 'short', links: p.links ?? [] };
    if (p.min !== undefined) defaults.min = p.min;
    if (p.max !== undefined) defaults.max = p.max;
    if (p.thresholds) defaults.thresholds = { mode: 'absolute', steps: p.thresholds };
    if (type === 'timeseries') defaults.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false };
    const datasource = p.targets[0]?.datasource ?? PROM;
    this.panels.push({
      id: this.id++,
      type,
      title: p.title,
      description: p.description ?? '',
      datasource,
      gridPos: { h, w, x: this.x, y: this.y },
      targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), ...t })),
      fieldConfig: { defaults, overrides: [] },
      options: p.options ?? (type === 'timeseries' ? { legend: { displayMode: 'table', placement: 'right', calcs: ['mean', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } } : {}),
    });
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
  }

  private newline(): void {
    if (this.x > 0) this.y += this.rowH;
    this.x = 0;
    this.rowH = 0;
  }
}

function variables(extra: Json[] = []): Json {
  const ds = (name: string, type: string, label: string) => ({ name, label, type: 'datasource', query: type, current: {}, hide: 0, refresh: 1, regex: '', includeAll: false, multi: false });
  const q = (name: string, label: string, query: string, multi = true) => ({
    name,
    label,
    type: 'query',
    datasource: PROM,
    query: { query, refId: `${name}-var` },
    definition: query,
    refresh: 2,
    sort: 1,
    multi,
    includeAll: true,
    allValue: '.*',
    current: {},
    hide: 0,
    regex: '',
  });
  return {
    list: [
      ds('datasource', 'prometheus', 'Prometheus'),
      ds('loki', 'loki', 'Loki'),
      ds('tempo', 'tempo', 'Tempo'),
      q('service', 'Service', 'label_values(http_server_request_duration_seconds_count, service_name)'),
      ...extra,
    ],
  };
}

function dashboard(uid: string, title: string, description: string, panels: Json[], templating: Json): Json {
  return {
    uid,
    title,
    description,
    tags: ['nodetel'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-3h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['nodetel'], asDropdown: false, includeVars: true, keepTime: true, title: 'nodetel', icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    templating,
    panels,
  };
}

function red(): Json {
  const l = new Layout();
  const sel = `{${SVC}, http_route=~"$route"}`;
  const errSel = (codes: string) => `{${SVC}, http_route=~"$route", http_response_status_code=~"${codes}"}`;
  const count = 'http_server_request_duration_seconds_count';
  const bucket = 'http_server_request_duration_seconds_bucket';
  l.row('Service');
  l.add({ title: 'Requests per second', type: 'stat', w: 6, h: 5, unit: 'reqps', links: SERVICE_LINKS, targets: [prom(`sum by (service_name) (rate(${count}${sel}[$__rate_interval]))`, '{{service_name}}')] });
  l.add({
    title: '5xx ratio',
    type: 'stat',
    w: 6,
    h: 5,
    unit: 'percentunit',
    links: SERVICE_LINKS,
    thresholds: [{ value: null, color: 'green' }, { value: 0.01, color: 'red' }],
    targets: [prom(`sum by (service_name) (rate(${count}${errSel('5..')}[$__rate_interval])) / sum by (service_name) (rate(${count}${sel}[$__rate_interval]))`, '{{service_name}}')],
  });
  l.add({ title: 'p99 latency', type: 'stat', w: 6, h: 5, unit: 's', links: SERVICE_LINKS, thresholds: [{ value: null, color: 'green' }, { value: 0.5, color: 'red' }], targets: [prom(`histogram_quantile(0.99, sum by (le, service_name) (rate(${bucket}${sel}[$__rate_interval])))`, '{{service_name}}')] });
  l.add({ title: 'In-flight requests', type: 'stat', w: 6, h: 5, unit: 'short', targets: [prom(`sum by (service_name) (http_server_active_requests{${SVC}})`, '{{service_name}}')] });
  l.row('By route');
  l.add({ title: 'Rate by route', unit: 'reqps', links: ROUTE_TRACES, targets: [prom(`sum by (service_name, http_route) (rate(${count}${sel}[$__rate_interval]))`, ROUTE_LEGEND)] });
  l.add({
    title: '5xx ratio by route',
    description: 'Share of requests answered with a 5xx status. The alert NodetelHighErrorRatio fires above 1% for 5 minutes.',
    unit: 'percentunit',
    min: 0,
    links: ROUTE_TRACES,
    targets: [prom(`sum by (service_name, http_route) (rate(${count}${errSel('5..')}[$__rate_interval])) / sum by (service_name, http_route) (rate(${count}${sel}[$__rate_interval]))`, ROUTE_LEGEND)],
  });
  l.add({
    title: '4xx ratio by route',
    description: 'Client errors: not paged, but a sudden rise often means a broken client or a changed API.',
    unit: 'percentunit',
    min: 0,
    links: ROUTE_TRACES,
    targets: [prom(`sum by (service_name, http_route) (rate(${count}${errSel('4..')}[$__rate_interval])) / sum by (service_name, http_route) (rate(${count}${sel}[$__rate_interval]))`, ROUTE_LEGEND)],
  });
  l.add({ title: 'Status codes', unit: 'reqps', targets: [prom(`sum by (http_response_status_code) (rate(${count}${sel}[$__rate_interval]))`, '{{http_response_status_code}}')] });
  for (const [q, name] of [
    ['0.5', 'p50'],
    ['0.95', 'p95'],
    ['0.99', 'p99'],
  ] as const) {
    l.add({
      title: `${name} latency by route`,
      description: 'Exemplars (dots) open the trace behind a measurement in Tempo.',
      unit: 's',
      w: 8,
      links: ROUTE_TRACES,
      targets: [prom(`histogram_quantile(${q}, sum by (le, service_name, http_route) (rate(${bucket}${sel}[$__rate_interval])))`, ROUTE_LEGEND, { exemplar: true })],
    });
  }
  l.row('Logs and traces');
  l.add({ title: 'Error logs', type: 'logs', w: 12, h: 10, targets: [{ datasource: LOKI, expr: `{service_name=~"$service"} | severity_number >= 17`, queryType: 'range' }], options: { showTime: true, wrapLogMessage: true, enableLogDetails: true, sortOrder: 'Descending' } });
  l.add({ title: 'Recent error traces', type: 'table', w: 12, h: 10, targets: [{ datasource: TEMPO, queryType: 'traceql', query: '{ resource.service.name =~ "${service:regex}" && status = error }', limit: 20, tableType: 'traces' }] });
  return dashboard(
    'nodetel-red',
    'nodetel / Requests (RED)',
    'Rate, errors and duration of the HTTP requests a service serves, by route. From the preload\'s http.server.request.duration.',
    l.panels,
    variables([
      {
        name: 'route',
        label: 'Route',
        type: 'query',
        datasource: PROM,
        query: { query: 'label_values(http_server_request_duration_seconds_count{service_name=~"$service"}, http_route)', refId: 'route-var' },
        definition: 'label_values(http_server_request_duration_seconds_count{service_name=~"$service"}, http_route)',
        refresh: 2,
        sort: 1,
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: {},
        hide: 0,
        regex: '',
      },
    ]),
  );
}

function runtime(): Json {
  const l = new Layout();
  const by = 'service_name, service_instance_id';
  const F_INSTANCE = '${__field.labels.service_instance_id:percentencode}';
  const instanceLinks = [
    tracesLink('Slow traces of this instance', `{ resource.service.name = "${F_SERVICE}" && resource.service.instance.id = "${F_INSTANCE}" && duration > 1s }`),
    logsLink('Logs of this instance', `{service_name="${F_SERVICE}", service_instance_id="${F_INSTANCE}"}`),
  ];
  const INSTANCE_LEGEND = '{{service_name}} {{service_instance_id}}';
  l.row('Event loop');
  l.add({ title: 'Event-loop delay p99', description: 'How late timers fire: a busy or blocked loop delays every request. The alert NodetelEventLoopDelayHigh fires above 100 ms for 10 minutes.', unit: 's', thresholds: [{ value: null, color: 'green' }, { value: 0.1, color: 'red' }], links: instanceLinks, targets: [prom(`max by (${by}) (nodejs_eventloop_delay_p99_seconds{${SVC}})`, INSTANCE_LEGEND)] });
  l.add({
    title: 'Event-loop delay, all percentiles',
    unit: 's',
    targets: [
      prom(`max(nodejs_eventloop_delay_max_seconds{${SVC}})`, 'max'),
      prom(`max(nodejs_eventloop_delay_p99_seconds{${SVC}})`, 'p99'),
      prom(`max(nodejs_eventloop_delay_p90_seconds{${SVC}})`, 'p90'),
      prom(`max(nodejs_eventloop_delay_p50_seconds{${SVC}})`, 'p50'),
      prom(`avg(nodejs_eventloop_delay_mean_seconds{${SVC}})`, 'mean'),
      prom(`min(nodejs_eventloop_delay_min_seconds{${SVC}})`, 'min'),
    ],
  });
  l.add({ title: 'Event-loop utilization', unit: 'percentunit', min: 0, max: 1, links: instanceLinks, targets: [prom(`max by (${by}) (nodejs_eventloop_utilization_ratio{${SVC}})`, INSTANCE_LEGEND)] });
  l.add({
    title: 'Seen by the agent: heartbeat age and event-loop delay',
    description: "From the agent's own /metrics: how long since the app's last heartbeat, and the delay it reported. Liveness fails when the heartbeat is older than 30 s.",
    unit: 's',
    targets: [
      prom(`max by (pod) (nodetel_app_heartbeat_age_seconds{${SVC}})`, 'heartbeat age {{pod}}'),
      prom(`max by (pod) (nodetel_app_eventloop_delay_seconds{${SVC}})`, 'delay p99 {{pod}}'),
      prom(`max by (pod) (nodetel_app_eventloop_delay_max_seconds{${SVC}})`, 'longest delay (1 min) {{pod}}'),
    ],
  });
  l.row('Memory and garbage collection');
  l.add({ title: 'Heap used by space', unit: 'bytes', targets: [prom(`sum by (v8js_heap_space_name) (v8js_memory_heap_used_bytes{${SVC}})`, '{{v8js_heap_space_name}}')] });
  l.add({ title: 'Heap used / heap limit', description: 'Close to 1: the process is about to die of "JavaScript heap out of memory".', unit: 'percentunit', min: 0, max: 1, thresholds: [{ value: null, color: 'green' }, { value: 0.85, color: 'red' }], links: instanceLinks, targets: [prom(`sum by (${by}) (v8js_memory_heap_used_bytes{${SVC}}) / sum by (${by}) (v8js_memory_heap_limit_bytes{${SVC}})`, INSTANCE_LEGEND)] });
  l.add({ title: 'Process memory (RSS)', unit: 'bytes', links: instanceLinks, targets: [prom(`max by (${by}) (process_memory_usage_bytes{${SVC}})`, INSTANCE_LEGEND)] });
  l.add({ title: 'Time in GC per second', unit: 'percentunit', targets: [prom(`sum by (v8js_gc_type) (rate(v8js_gc_duration_seconds_sum{${SVC}}[$__rate_interval]))`, '{{v8js_gc_type}}')] });
  l.add({ title: 'GC pause p99', unit: 's', targets: [prom(`histogram_quantile(0.99, sum by (le, v8js_gc_type) (rate(v8js_gc_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{v8js_gc_type}}')] });
  l.add({ title: 'GC runs per second', unit: 'ops', targets: [prom(`sum by (v8js_gc_type) (rate(v8js_gc_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{v8js_gc_type}}')] });
  l.row('CPU, restarts, telemetry');
  l.add({ title: 'CPU (cores)', unit: 'short', links: instanceLinks, targets: [prom(`sum by (${by}, cpu_mode) (rate(process_cpu_time_seconds_total{${SVC}}[$__rate_interval]))`, '{{service_name}} {{service_instance_id}} {{cpu_mode}}')] });
  l.add({
    title: 'Container restarts (1 h)',
    description: "From kube-state-metrics. A blocked event loop fails the agent's liveness check, and Kubernetes restarts the app container.",
    unit: 'short',
    targets: [prom('sum by (pod, container) (increase(kube_pod_container_status_restarts_total{namespace=~"$namespace"}[1h]))', '{{pod}} {{container}}')],
  });
  l.add({ title: 'Telemetry dropped by the preload', description: 'Spans, metrics and log records the preload could not hand to the Collector (queue full, export failed).', unit: 'short', targets: [prom(`sum by (signal, reason) (rate(nodetel_telemetry_dropped_total{${SVC}}[$__rate_interval]))`, '{{signal}} {{reason}}')] });
  return dashboard(
    'nodetel-runtime',
    'nodetel / Node.js runtime',
    'Event loop, heap, garbage collection and CPU of the Node.js processes under the preload.',
    l.panels,
    variables([
      {
        name: 'namespace',
        label: 'Namespace',
        type: 'query',
        datasource: PROM,
        query: { query: 'label_values(nodejs_eventloop_utilization_ratio{service_name=~"$service"}, k8s_namespace_name)', refId: 'namespace-var' },
        definition: 'label_values(nodejs_eventloop_utilization_ratio{service_name=~"$service"}, k8s_namespace_name)',
        refresh: 2,
        sort: 1,
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: {},
        hide: 0,
        regex: '',
      },
    ]),
  );
}

function dependencies(): Json {
  const l = new Layout();
  l.row('Dependency checks (agent)');
  l.add({
    title: 'Dependency up',
    description: '1: the check passes on every instance. Checks run on a schedule in the agent, never per probe.',
    type: 'state-timeline',
    w: 24,
    h: 7,
    min: 0,
    max: 1,
    thresholds: [{ value: null, color: 'red' }, { value: 1, color: 'green' }],
    targets: [prom(`min by (check_name, check_kind, check_required) (nodetel_dependency_up{${SVC}})`, '{{check_name}} ({{check_kind}}, required={{check_required}})')],
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.8 },
  });
  l.add({ title: 'Instances seeing the dependency down', unit: 'short', targets: [prom(`count by (check_name) (nodetel_dependency_up{${SVC}} == 0)`, '{{check_name}}')] });
  l.add({ title: 'Check latency p99', unit: 's', targets: [prom(`histogram_quantile(0.99, sum by (le, check_name) (rate(nodetel_dependency_check_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{check_name}}')] });
  l.add({ title: 'Check latency p50', unit: 's', targets: [prom(`histogram_quantile(0.5, sum by (le, check_name) (rate(nodetel_dependency_check_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{check_name}}')] });
  l.add({ title: 'Checks per second', unit: 'ops', targets: [prom(`sum by (check_name, check_kind) (rate(nodetel_dependency_check_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{check_name}}')] });
  l.row('Calls the app makes');
  const dbLinks = [tracesLink('Slow calls of this operation', `{ resource.service.name = "${F_SERVICE}" && span.db.system.name = "\${__field.labels.db_system_name:percentencode}" && span.db.operation.name = "\${__field.labels.db_operation_name:percentencode}" && duration > 100ms }`)];
  l.add({ title: 'Database p99 by operation', unit: 's', links: dbLinks, targets: [prom(`histogram_quantile(0.99, sum by (le, service_name, db_system_name, db_operation_name) (rate(db_client_operation_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{service_name}} {{db_system_name}} {{db_operation_name}}', { exemplar: true })] });
  l.add({ title: 'Database calls per second', unit: 'ops', targets: [prom(`sum by (db_system_name, db_namespace) (rate(db_client_operation_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{db_system_name}} {{db_namespace}}')] });
  const httpLinks = [tracesLink('Failed calls to this host', `{ resource.service.name = "${F_SERVICE}" && span.server.address = "\${__field.labels.server_address:percentencode}" && status = error }`)];
  l.add({ title: 'Outgoing HTTP p99 by host', unit: 's', links: httpLinks, targets: [prom(`histogram_quantile(0.99, sum by (le, service_name, server_address) (rate(http_client_request_duration_seconds_bucket{${SVC}}[$__rate_interval])))`, '{{service_name}} → {{server_address}}', { exemplar: true })] });
  l.add({
    title: 'Outgoing HTTP error ratio by host',
    description: 'Calls that failed: error_type is set for a 4xx or 5xx answer and for a call that got no answer at all.',
    unit: 'percentunit',
    min: 0,
    links: httpLinks,
    targets: [prom(`sum by (service_name, server_address) (rate(http_client_request_duration_seconds_count{${SVC}, error_type!=""}[$__rate_interval])) / sum by (service_name, server_address) (rate(http_client_request_duration_seconds_count{${SVC}}[$__rate_interval]))`, '{{service_name}} → {{server_address}}')],
  });
  return dashboard('nodetel-dependencies', 'nodetel / Dependencies', "The agent's dependency checks, and the database and HTTP calls the app makes.", l.panels, variables());
}

/** File name -> dashboard JSON text. */
export function dashboards(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of [red(), runtime(), dependencies()]) out[`${String(d.uid)}.json`] = `${JSON.stringify(d, null, 2)}\n`;
  return out;
}
