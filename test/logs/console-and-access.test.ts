// Every console line of the app arrives as a structured OTLP record joined to the request that
// wrote it (trace_id, span_id, request_id), what the app prints stays byte for byte the same,
// one access-log record per request (none for health checks), and a crash arrives as a FATAL
// record while the exit code and Node's own report on stderr stay what they were.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedLog, type ReceivedSpan } from '../helpers/otlp-receiver.ts';

const SERVER = 2;

describe.each(['logging.cjs', 'logging.mjs'])('%s', (fixture) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let bare: RunningApp;
  const N = 200;
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  let generatedId: string | null = null;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' };
    app = await startApp(fixture, { env });
    bare = await startApp(fixture, { preload: false });
    // 200 requests at once, each with its own request id, interleaving in the event loop.
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const response = await fetch(`${app.url}/work/${i}`, { headers: { 'x-request-id': `rid-${i}` } });
        await response.text();
      }),
    );
    await (await fetch(`${app.url}/fail`, { headers: { 'x-request-id': 'rid-fail' } })).text();
    await (await fetch(`${app.url}/healthz`)).text();
    await (await fetch(`${app.url}/secret?token=t0p&page=1`)).text();
    // What a client sends can carry personal data and secrets: an e-mail in the path, a token as its request id.
    await (await fetch(`${app.url}/profiles/ada@example.com`, { headers: { 'x-request-id': JWT, 'user-agent': 'probe (ada@example.com)' } })).text();
    await (await fetch(`${app.url}/work/${N}`, { headers: { 'x-request-id': JWT } })).text();
    // No request id sent: the preload makes one, answers it and logs it as it is.
    const unnamed = await fetch(`${app.url}/work/${N + 1}`);
    await unnamed.text();
    generatedId = unnamed.headers.get('x-request-id');
    // The Host header too (fetch does not let a caller set it; node:http does).
    await new Promise((resolve, reject) => {
      http.get(`${app.url}/hosted`, { headers: { host: 'ada@example.com:8080' } }, (response) => response.resume().on('end', resolve)).on('error', reject);
    });
    await receiver.waitFor(() => receiver.logs.filter((l) => l.scope.name === 'nodetel/http').length >= N + 6 && receiver.spans.filter((s) => s.kind === SERVER).length >= N + 6, {
      what: `${N + 6} access-log records and server spans`,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await bare?.stop();
    await receiver?.close();
  });

  const consoleRecords = (): ReceivedLog[] => receiver.logs.filter((l) => l.scope.name === 'nodetel/console');
  const serverSpan = (path: string): ReceivedSpan => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path)!;

  it('joins every console line to the request that wrote it, under 200 concurrent requests', () => {
    for (let i = 0; i < N; i++) {
      const span = serverSpan(`/work/${i}`);
      const lines = consoleRecords().filter((l) => l.body === `work ${i}` || l.body === `done ${i}`);
      expect(lines.map((l) => l.body).sort(), `request ${i}`).toEqual([`done ${i}`, `work ${i}`]);
      for (const line of lines) {
        expect(line.traceId, `request ${i}`).toBe(span.traceId);
        expect(line.spanId, `request ${i}`).toBe(span.spanId);
        expect(line.attributes.request_id, `request ${i}`).toBe(`rid-${i}`);
      }
    }
  });

  it('maps console methods to severities and keeps an Error as exception fields', () => {
    const work = consoleRecords().find((l) => l.body === 'work 1')!;
    expect([work.severityNumber, work.severityText, work.attributes['log.iostream']]).toEqual([9, 'INFO', 'stdout']);
    const failure = consoleRecords().find((l) => String(l.body).startsWith('payment failed:'))!;
    expect([failure.severityNumber, failure.severityText, failure.attributes['log.iostream']]).toEqual([17, 'ERROR', 'stderr']);
    expect(failure.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'card declined', request_id: 'rid-fail' });
    expect(failure.resource['service.name']).toBeDefined();
    expect(failure.timeUnixNano).toBeGreaterThan(0n);
  });

  it('prints exactly what the app prints without the preload', async () => {
    await (await fetch(`${bare.url}/work/3`)).text();
    await (await fetch(`${app.url}/work/3`)).text();
    const linesOf = (output: string) => output.split('\n').filter((l) => l === 'work 3' || l === 'done 3');
    expect(linesOf(app.stdout())).toContain('work 3');
    expect(linesOf(app.stdout()).slice(-2)).toEqual(linesOf(bare.stdout()));
  });

  it('redacts secrets in log bodies, span attributes and url.query before they leave the process', () => {
    const line = consoleRecords().find((l) => String(l.body).startsWith('signup'))!;
    const body = String(line.body);
    expect(body).not.toContain('ada@example.com');
    expect(body).not.toContain('hunter2');
    expect(body).not.toContain('4111 1111 1111 1111');
    expect(body).toContain('pro');
    const span = serverSpan('/secret');
    expect(JSON.stringify(span.attributes)).not.toContain('ada@example.com');
    expect(span.attributes['auth.token']).toBe('[REDACTED]');
    expect(span.attributes['url.query']).toBe('token=REDACTED&page=1');
    expect(JSON.stringify(receiver.logs, (_, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('t0p');
  });

  it('masks what the client sent (path, request id, user agent, Host) in the span and the access log alike', () => {
    const span = receiver.spans.find((s) => s.kind === SERVER && String(s.attributes['url.path']).startsWith('/profiles/'))!;
    const access = receiver.logs.find((l) => l.scope.name === 'nodetel/http' && String(l.attributes['url.path']).startsWith('/profiles/'))!;
    for (const sent of [JSON.stringify(span.attributes), JSON.stringify(access.attributes), String(access.body)]) {
      expect(sent).not.toContain('ada@example.com');
      expect(sent).not.toContain(JWT);
    }
    expect(span.attributes['url.path']).toBe('/profiles/[REDACTED:email]');
    expect(access.attributes).toMatchObject({ 'url.path': '/profiles/[REDACTED:email]', request_id: '[REDACTED:jwt]', 'user_agent.original': 'probe ([REDACTED:email])' });
    expect(span.attributes['http.request.header.x-request-id']).toEqual(['[REDACTED:jwt]']);
    const jwtLines = consoleRecords().filter((l) => l.body === `work ${N}` || l.body === `done ${N}`);
    expect(jwtLines.map((l) => l.attributes.request_id)).toEqual(['[REDACTED:jwt]', '[REDACTED:jwt]']);
    expect(serverSpan('/hosted').attributes).toMatchObject({ 'server.address': '[REDACTED:email]', 'server.port': 8080 });
  });

  it('carries the request id it made for a request that sent none, unchanged, in the response, the span and every record', () => {
    expect(generatedId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const path = `/work/${N + 1}`;
    expect(serverSpan(path).attributes['http.request.header.x-request-id']).toEqual([generatedId]);
    const access = receiver.logs.filter((l) => l.scope.name === 'nodetel/http' && l.attributes['url.path'] === path);
    const lines = consoleRecords().filter((l) => l.body === `work ${N + 1}` || l.body === `done ${N + 1}`);
    expect([...access, ...lines].map((l) => l.attributes.request_id)).toEqual([generatedId, generatedId, generatedId]);
  });

  it('writes one access-log record per request and none for a health check', () => {
    const access = receiver.logs.filter((l) => l.scope.name === 'nodetel/http');
    expect(access.filter((l) => l.attributes['url.path'] === '/healthz')).toHaveLength(0);
    const one = access.filter((l) => l.attributes.request_id === 'rid-7');
    expect(one).toHaveLength(1);
    expect(one[0]!.eventName).toBe('http.server.access');
    expect(one[0]!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.path': '/work/7', 'user_agent.original': 'node' });
    expect(one[0]!.attributes.duration_ms).toBeGreaterThan(0);
    expect(one[0]!.traceId).toBe(serverSpan('/work/7').traceId);
    const failed = access.find((l) => l.attributes.request_id === 'rid-fail')!;
    expect([failed.severityText, failed.attributes['http.response.status_code']]).toEqual(['ERROR', 500]);
  });
});

describe('a crashing app', () => {
  it('sends a FATAL record with the exception, and exits and reports exactly as without the preload', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const bare = await startApp('logging.cjs', { preload: false });
      await (await fetch(`${bare.url}/crash`)).text();
      const bareExit = await bare.exited;

      const app = await startApp('logging.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRICS_EXPORTER: 'none' } });
      await (await fetch(`${app.url}/crash`, { headers: { 'x-request-id': 'rid-crash' } })).text();
      const exit = await app.exited;

      expect(exit).toEqual(bareExit);
      expect(exit.code).toBe(1);
      expect(app.stderr()).toBe(bare.stderr());
      const fatal = await receiver.waitFor(() => receiver.logs.find((l) => l.severityText === 'FATAL'), { what: 'the FATAL record' });
      expect(fatal.severityNumber).toBe(21);
      expect(fatal.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'kaboom', request_id: 'rid-crash' });
      expect(String(fatal.attributes['exception.stacktrace'])).toContain('kaboom');
      const span = receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/crash');
      expect(fatal.traceId).toBe(span?.traceId);
    } finally {
      await receiver.close();
    }
  });
});

describe('NODETEL_CONSOLE_JSON=true', () => {
  it('prints each console call as one JSON line carrying the trace, span and request ids', async () => {
    const receiver = await startOtlpReceiver();
    const app = await startApp('logging.cjs', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', NODETEL_CONSOLE_JSON: 'true' },
      ready: /"msg":"listening (\d+)"/,
    });
    try {
      await (await fetch(`${app.url}/work/4`, { headers: { 'x-request-id': 'rid-json' } })).text();
      const span = await receiver.waitFor(() => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/work/4'), { what: 'the span' });
      const lines = app
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, string>);
      const work = lines.find((l) => l.msg === 'work 4')!;
      expect(work).toMatchObject({ level: 'info', trace_id: span.traceId, span_id: span.spanId, request_id: 'rid-json' });
      expect(Number.isNaN(Date.parse(work.time!))).toBe(false);
      expect(lines.find((l) => l.msg.startsWith('listening'))).not.toHaveProperty('trace_id');
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});

describe('NODETEL_REDACT_PATTERNS matching a request id the preload made', () => {
  it('masks it in the span and every record, while the response still carries it', async () => {
    const receiver = await startOtlpReceiver();
    const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
    const app = await startApp('logging.cjs', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', NODETEL_REDACT_PATTERNS: JSON.stringify([UUID]) },
    });
    try {
      const response = await fetch(`${app.url}/work/5`);
      await response.text();
      expect(response.headers.get('x-request-id')).toMatch(new RegExp(`^${UUID}$`));
      const span = await receiver.waitFor(() => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/work/5'), { what: 'the span' });
      const records = await receiver.waitFor(
        () => {
          const found = receiver.logs.filter((l) => l.traceId === span.traceId);
          return found.length >= 3 ? found : undefined; // the access log and the two console lines
        },
        { what: "the request's three records" },
      );
      expect(span.attributes['http.request.header.x-request-id']).toEqual(['[REDACTED:custom]']);
      expect(records.map((l) => l.attributes.request_id)).toEqual(['[REDACTED:custom]', '[REDACTED:custom]', '[REDACTED:custom]']);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
