// Formats spans received over OTLP as one indented tree per trace.
// Used by demo/run.mjs; plain data in, a string out (no I/O here).

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** ANSI styling, or identity functions when colour is off. */
export function palette(color) {
  const wrap = (open, close) => (color ? (s) => `\x1b[${open}m${s}\x1b[${close}m` : (s) => String(s));
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

export const serviceOf = (item) => String(item.resource?.['service.name'] ?? '?');
export const kindName = (kind) => KINDS[kind] ?? `kind ${kind}`;
export const durationMs = (span) => Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;

function formatValue(value) {
  if (Array.isArray(value)) return value.map(formatValue).join(',');
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

/** The attributes worth a glance, newest semantic-convention name first. */
function keyAttributes(span) {
  const a = span.attributes ?? {};
  const out = [];
  const pick = (label, ...keys) => {
    const key = keys.find((k) => a[k] !== undefined && a[k] !== '');
    if (key !== undefined) out.push([key === keys[0] ? label : key, a[key]]);
  };
  pick('http.route', 'http.route');
  pick('http.response.status_code', 'http.response.status_code', 'http.status_code');
  if (span.kind === 3) {
    const host = a['server.address'] ?? a['net.peer.name'];
    const port = a['server.port'] ?? a['net.peer.port'];
    if (host !== undefined) out.push(['server.address', port !== undefined ? `${host}:${port}` : host]);
    pick('url.full', 'url.full', 'http.url');
  } else {
    pick('url.path', 'url.path', 'http.target');
  }
  // Any request id the preload records (http.request.id, a captured x-request-id header, ...).
  for (const [key, value] of Object.entries(a)) {
    if (/request[._-]?id/i.test(key)) out.push([key, value]);
  }
  return out;
}

function statusText(span, c) {
  const code = span.status?.code ?? 0;
  if (code === 2) return c.red(c.bold('ERROR') + (span.status.message ? ` ${JSON.stringify(span.status.message)}` : ''));
  if (code === 1) return c.green('OK');
  return '';
}

function exceptionText(event) {
  const a = event.attributes ?? {};
  const type = a['exception.type'] ?? 'exception';
  const message = a['exception.message'] ?? '';
  const where = String(a['exception.stacktrace'] ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('at '));
  return `${type}: ${message}${where ? `  (${where})` : ''}`;
}

/** Groups spans by trace, roots first; spans whose parent never arrived become extra roots. */
export function groupTraces(spans) {
  const traces = new Map();
  for (const span of spans) {
    if (!traces.has(span.traceId)) traces.set(span.traceId, []);
    traces.get(span.traceId).push(span);
  }
  const byStart = (x, y) => (BigInt(x.startTimeUnixNano) < BigInt(y.startTimeUnixNano) ? -1 : 1);
  return [...traces.entries()]
    .map(([traceId, list]) => {
      const ids = new Set(list.map((s) => s.spanId));
      const children = new Map();
      const roots = [];
      for (const span of [...list].sort(byStart)) {
        if (span.parentSpanId && ids.has(span.parentSpanId)) {
          if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
          children.get(span.parentSpanId).push(span);
        } else {
          roots.push(span);
        }
      }
      return { traceId, spans: list, roots, children };
    })
    .sort((x, y) => byStart(x.roots[0], y.roots[0]));
}

/**
 * @param {object[]} spans   ReceivedSpan[] from the OTLP receiver
 * @param {{ color?: boolean, logs?: object[] }} [opts]  logs are shown under the span they belong to
 */
export function formatTraces(spans, { color = false, logs = [] } = {}) {
  const c = palette(color);
  const logsBySpan = new Map();
  for (const log of logs) {
    if (!log.spanId) continue;
    if (!logsBySpan.has(log.spanId)) logsBySpan.set(log.spanId, []);
    logsBySpan.get(log.spanId).push(log);
  }

  // First build every row, then align the duration column across all traces.
  const rows = [];
  for (const trace of groupTraces(spans)) {
    const root = trace.roots[0];
    rows.push({ text:
      `${c.bold('trace')} ${c.dim(trace.traceId)}  ${c.bold(root.name)}  ` +
        c.dim(`${trace.spans.length} span${trace.spans.length === 1 ? '' : 's'}, ${durationMs(root).toFixed(1)} ms`),
    });
    const walk = (span, prefix, isLast) => {
      const branch = prefix + (isLast ? '└─ ' : '├─ ');
      const cont = prefix + (isLast ? '   ' : '│  ');
      const orphan = span.parentSpanId && trace.roots.includes(span) ? c.yellow(' (parent span not received)') : '';
      rows.push({ branch, span, orphan });
      const detail = [];
      for (const event of span.events ?? []) {
        if (event.name === 'exception') detail.push(c.red(`! exception ${exceptionText(event)}`));
      }
      for (const log of logsBySpan.get(span.spanId) ?? []) {
        detail.push(c.magenta(`log ${log.severityText || log.severityNumber || ''} ${formatValue(log.body)}`));
      }
      const kids = trace.children.get(span.spanId) ?? [];
      for (const d of detail) rows.push({ text: cont + (kids.length ? '│  ' : '   ') + d });
      kids.forEach((kid, i) => walk(kid, cont, i === kids.length - 1));
    };
    trace.roots.forEach((r, i) => walk(r, '', i === trace.roots.length - 1));
    rows.push({ text: '' });
  }

  const head = (r) => `${r.branch}${serviceOf(r.span)}  ${kindName(r.span.kind)}  ${r.span.name}`;
  const width = Math.max(0, ...rows.filter((r) => r.span).map((r) => head(r).length));
  const lines = rows.map((r) => {
    if (!r.span) return r.text;
    const { span } = r;
    const styled =
      `${r.branch}${c.cyan(serviceOf(span))}  ${kindName(span.kind)}  ${c.bold(span.name)}` + ' '.repeat(width - head(r).length);
    const attrs = keyAttributes(span)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    const status = statusText(span, c);
    return (
      `${styled}  ${durationMs(span).toFixed(1).padStart(7)} ms` +
      (status ? `  ${status}` : '') +
      (attrs ? `  ${c.dim(attrs)}` : '') +
      r.orphan
    );
  });
  return lines.join('\n') + '\n';
}
