// Server spans, per framework, CommonJS and ESM, on Node 24 and Node 22: every request of a
// real app started under `node --require ./preload` arrives as one SERVER span with the
// attributes of the stable HTTP semantic conventions, named by its route template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';

const SERVER = 2;
const ERROR = 2;

const FRAMEWORKS = [
  { name: 'node-http', templates: false, throws: false },
  { name: 'express4', templates: true, throws: true },
  { name: 'express5', templates: true, throws: true },
  { name: 'fastify4', templates: true, throws: true },
  { name: 'fastify5', templates: true, throws: true },
  { name: 'koa', templates: true, throws: true },
];

const cases = NODES.flatMap((node) =>
  FRAMEWORKS.flatMap((framework) => ['cjs', 'mjs'].map((ext) => ({ node, framework, fixture: `${framework.name}.${ext}` }))),
);

describe.each(cases)('$fixture on $node.name', ({ node, framework, fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  const responses = new Map<string, Response>();
  const paths = ['/users/42', '/api/v1/items/7', '/fail', '/query?token=s3cr3t&page=2', '/api-span', '/users/missing', '/healthz', '/readyz'];
  if (framework.throws) paths.push('/throw', '/async-throw');
  let spans: ReceivedSpan[];
  let exit: { code: number | null; signal: string | null };

  const server = (path: string): ReceivedSpan => {
    const span = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path.split('?')[0]);
    if (!span) throw new Error(`no server span for ${path}; got ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp(fixture, {
      node: node.bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: `svc-${fixture}`, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    for (const path of paths) {
      const headers: Record<string, string> = { 'user-agent': 'spec-client/1.0' };
      if (path === '/users/42') headers['x-request-id'] = 'req-42.abc';
      if (path === '/fail') headers['x-request-id'] = 'bad id with spaces';
      const response = await fetch(`${app.url}${path}`, { headers });
      await response.arrayBuffer();
      responses.set(path, response);
    }
    // Exactly the traced requests arrive: everything but the two health checks.
    const expected = paths.length - 2;
    exit = await app.stop('SIGTERM');
    spans = await receiver.waitFor(() => receiver.spans.filter((s) => s.kind === SERVER).length >= expected && receiver.spans, {
      what: `${expected} server spans`,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('sends exactly one server span per request, none for health checks, and still dies of SIGTERM', () => {
    const serverSpans = spans.filter((s) => s.kind === SERVER);
    expect(serverSpans).toHaveLength(paths.length - 2);
    expect(serverSpans.map((s) => s.attributes['url.path'])).not.toContain('/healthz');
    expect(serverSpans.map((s) => s.attributes['url.path'])).not.toContain('/readyz');
    expect(exit.signal).toBe('SIGTERM');
  });

  it('names the span by its route template and sets the semantic-convention attributes', () => {
    const span = server('/users/42');
    expect(span.name).toBe(framework.templates ? 'GET /users/:id' : 'GET');
    expect(span.resource['service.name']).toBe(`svc-${fixture}`);
    expect(span.status.code).toBe(0);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': app.port,
      'user_agent.original': 'spec-client/1.0',
      'network.protocol.version': '1.1',
    });
    expect(String(span.attributes['client.address'])).toMatch(/127\.0\.0\.1$/);
    if (framework.templates) expect(span.attributes['http.route']).toBe('/users/:id');
    else expect(span.attributes['http.route']).toBeUndefined();
    expect(span.endTimeUnixNano).toBeGreaterThan(span.startTimeUnixNano);
  });

  it.runIf(framework.templates)('gives nested routers their full template', () => {
    const span = server('/api/v1/items/7');
    expect(span.attributes['http.route']).toBe('/api/v1/items/:itemId');
    expect(span.name).toBe('GET /api/v1/items/:itemId');
  });

  it('masks secret-looking query parameters', () => {
    expect(server('/query?token=s3cr3t&page=2').attributes['url.query']).toBe('token=REDACTED&page=2');
  });

  it('marks a 5xx as an error and leaves a 404 alone', () => {
    const failed = server('/fail');
    expect(failed.status.code).toBe(ERROR);
    expect(failed.attributes['http.response.status_code']).toBe(500);
    expect(failed.attributes['error.type']).toBe('500');
    const missing = server('/users/missing');
    expect(missing.attributes['http.response.status_code']).toBe(404);
    expect(missing.status.code).toBe(0);
  });

  it.runIf(framework.throws)('records what a handler throws as an exception event on an ERROR span', () => {
    for (const [path, message] of [
      ['/throw', 'boom'],
      ['/async-throw', 'async boom'],
    ] as const) {
      const span = server(path);
      expect(span.status.code, path).toBe(ERROR);
      expect(span.attributes['http.response.status_code'], path).toBe(500);
      const exception = span.events.find((e) => e.name === 'exception');
      expect(exception?.attributes['exception.message'], path).toBe(message);
      expect(String(exception?.attributes['exception.stacktrace']), path).toContain(message);
    }
  });

  it('makes a span the app starts with @opentelemetry/api a child of the server span', () => {
    const parent = server('/api-span');
    const child = spans.find((s) => s.name === 'fixture.work');
    expect(child).toBeDefined();
    expect(child!.traceId).toBe(parent.traceId);
    expect(child!.parentSpanId).toBe(parent.spanId);
    expect(child!.attributes['work.items']).toBe(3);
  });

  it('echoes a safe x-request-id, replaces an unsafe one, and records it on the span', () => {
    expect(responses.get('/users/42')!.headers.get('x-request-id')).toBe('req-42.abc');
    expect(server('/users/42').attributes['http.request.header.x-request-id']).toEqual(['req-42.abc']);
    const replaced = responses.get('/fail')!.headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect(server('/fail').attributes['http.request.header.x-request-id']).toEqual([replaced]);
  });
});
