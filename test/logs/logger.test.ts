// nodetel/logger, the structured logger an app can require or import: JSON lines with
// NODE_ENV=production, readable coloured key=value lines otherwise, the level from LOG_LEVEL, and
// inside a request every line carries request_id, http.request.method, http.route, trace_id,
// span_id and what bindContext() bound, for the rest of that request only. Under the preload its
// lines are also exported, correlated; without it, it just prints. audit() records an "audit"
// event that no level drops, secrets redacted and the rest kept.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startApp, type AppOptions, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { waitForLine, waitForStdout } from './stdout.ts';

const SERVER = 2;
const N = 200;
const APP_DIR = path.join(REPO_ROOT, 'test/fixtures/logger-app');

type Line = Record<string, unknown>;

beforeAll(() => {
  // The app depends on nodetel as a user's would: node_modules/nodetel is the repository.
  const link = path.join(APP_DIR, 'node_modules/nodetel');
  if (!fs.existsSync(link)) {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(REPO_ROOT, link, 'dir');
  }
});

const jsonLines = (output: string): Line[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

function start(fixture: string, opts: AppOptions): Promise<RunningApp> {
  return startApp(`logger-app/${fixture}`, opts);
}

describe.each(['app.cjs', 'app.mjs'])('%s under the preload, NODE_ENV=production', (fixture) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await start(fixture, {
      env: { NODE_ENV: 'production', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    });
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        await (await fetch(`${app.url}/orders/${i}`, { headers: { 'x-request-id': `rid-${i}` } })).text();
      }),
    );
    await (await fetch(`${app.url}/fail`, { headers: { 'x-request-id': 'rid-fail' } })).text();
    // The failed request's record may come in a later export than the order lines.
    const failRecord = (): boolean => receiver.logs.some((l) => l.attributes.request_id === 'rid-fail' && l.scope.name !== 'nodetel/http');
    await receiver.waitFor(() => receiver.logs.filter((l) => String(l.body).startsWith('order ')).length >= N && failRecord() && receiver.spans.filter((s) => s.kind === SERVER).length >= N + 1, {
      what: `${N} exported "order" lines, the failed request's record and ${N + 1} server spans`,
    });
    await waitForStdout(app, (stdout) => jsonLines(stdout).filter((l) => String(l.message).startsWith('order ') || l.request_id === 'rid-fail').length >= N + 1, `${N + 1} printed lines`);
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const serverSpan = (path: string): ReceivedSpan => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path)!;

  it('prints JSON lines carrying the request id, method, route, trace and span ids and the bound fields, each of its own request', () => {
    const lines = jsonLines(app.stdout());
    for (let i = 0; i < N; i++) {
      const span = serverSpan(`/orders/${i}`);
      const line = lines.filter((l) => l.message === `order ${i}`);
      expect(line, `request ${i}`).toHaveLength(1);
      expect(line[0], `request ${i}`).toMatchObject({
        level: 'info',
        items: 2,
        request_id: `rid-${i}`,
        'http.request.method': 'GET',
        'http.route': '/orders/:id',
        trace_id: span.traceId,
        span_id: span.spanId,
        user_id: `u${i}`,
        tenant_id: 't1',
      });
      expect(Number.isNaN(Date.parse(String(line[0]!.timestamp)))).toBe(false);
    }
  });

  it('exports every line as a record joined to its request, with the same fields', () => {
    for (let i = 0; i < N; i++) {
      const span = serverSpan(`/orders/${i}`);
      const records = receiver.logs.filter((l) => l.body === `order ${i}`);
      expect(records, `request ${i}`).toHaveLength(1);
      expect([records[0]!.traceId, records[0]!.spanId, records[0]!.severityNumber], `request ${i}`).toEqual([span.traceId, span.spanId, 9]);
      expect(records[0]!.attributes, `request ${i}`).toMatchObject({ request_id: `rid-${i}`, 'http.route': '/orders/:id', user_id: `u${i}`, tenant_id: 't1' });
    }
  });

  it('keeps bound fields out of lines logged outside any request', () => {
    const started = jsonLines(app.stdout()).find((l) => l.message === 'started')!;
    expect(started.port).toBe(app.port);
    for (const field of ['request_id', 'trace_id', 'user_id', 'tenant_id', 'http.route']) expect(started).not.toHaveProperty(field);
  });

  it('drops debug lines at the default level, info', () => {
    expect(jsonLines(app.stdout()).filter((l) => String(l.message).startsWith('debug '))).toEqual([]);
  });

  it('prints and exports an Error with its stack', () => {
    const line = jsonLines(app.stdout()).find((l) => l.request_id === 'rid-fail')!;
    expect(line.level).toBe('error');
    expect(String(line.stack)).toContain('card declined');
    const record = receiver.logs.find((l) => l.attributes.request_id === 'rid-fail' && l.scope.name !== 'nodetel/http')!;
    expect(record.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'card declined' });
  });
});

describe('audit', () => {
  it('exports an "audit" record and prints it even at LOG_LEVEL=error, joined to its request, secrets redacted and the rest kept', async () => {
    const receiver = await startOtlpReceiver();
    const app = await start('app.cjs', {
      env: { NODE_ENV: 'production', LOG_LEVEL: 'error', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    });
    try {
      await (await fetch(`${app.url}/audit`, { headers: { 'x-request-id': 'rid-audit' } })).text();
      const record = await receiver.waitFor(() => receiver.logs.find((l) => l.eventName === 'audit'), { what: 'the audit record' });
      const span = await receiver.waitFor(() => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/audit'), { what: 'the span' });
      expect(record.scope.name).toBe('nodetel/audit');
      expect(record.traceId).toBe(span.traceId);
      expect(record.attributes).toMatchObject({
        actor: 'user:42',
        action: 'account.update',
        target: 'account:7',
        before: { plan: 'free', password: '[REDACTED]' },
        after: { plan: 'pro' },
        request_id: 'rid-audit',
        'http.route': '/audit',
        tenant_id: 't1',
      });
      await waitForLine(app, '"event.name":"audit"');
      const printed = jsonLines(app.stdout());
      expect(printed.find((l) => l['event.name'] === 'audit')).toMatchObject({ actor: 'user:42', before: { plan: 'free', password: '[REDACTED]' }, request_id: 'rid-audit', trace_id: span.traceId });
      expect(app.stdout()).not.toContain('hunter2');
      expect(printed.find((l) => l.message === 'started')).toBeUndefined();
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

describe('without the preload, NODE_ENV unset', () => {
  it.each(['app.cjs', 'app.mjs'])('%s prints readable coloured key=value lines with the request fields and the bound ones', async (fixture) => {
    const app = await start(fixture, { preload: false, env: { NODE_ENV: undefined, LOG_LEVEL: undefined, NO_COLOR: undefined } });
    try {
      await (await fetch(`${app.url}/orders/7`)).text();
      await (await fetch(`${app.url}/orders/8`)).text();
      const line = await waitForLine(app, 'order 8');
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \x1b\[32mINFO \x1b\[39m order 8 /);
      expect(line).toContain(' items=2');
      expect(line).toContain(' http.request.method=GET');
      expect(line).toContain(' http.route=/orders/:id');
      expect(line).toContain(' user_id=u8');
      expect(line).toContain(' tenant_id=t1');
      expect(line).not.toContain('trace_id');
      expect(line).not.toContain('u7');
      expect(app.stdout()).not.toContain('debug 8');
    } finally {
      await app.stop();
    }
  });
});

describe('LOG_LEVEL', () => {
  it('debug prints debug lines too', async () => {
    const app = await start('app.cjs', { preload: false, env: { NODE_ENV: 'production', LOG_LEVEL: 'debug' } });
    try {
      await (await fetch(`${app.url}/orders/3`)).text();
      expect(await waitForLine(app, 'debug 3')).toContain('"level":"debug"');
    } finally {
      await app.stop();
    }
  });

  it('a bad value is reported once on stderr and replaced by info', async () => {
    const app = await start('app.cjs', { preload: false, env: { NODE_ENV: 'production', LOG_LEVEL: 'loud' } });
    try {
      await (await fetch(`${app.url}/orders/4`)).text();
      await waitForLine(app, 'order 4');
      expect(app.stderr()).toBe('nodetel: LOG_LEVEL=loud is not one of error, warn, info, http, verbose, debug, silly; using info\n');
      expect(app.stdout()).not.toContain('debug 4');
    } finally {
      await app.stop();
    }
  });
});
