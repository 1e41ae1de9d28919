// Database and cache client spans, against the real PostgreSQL, MariaDB and Redis of the
// machine: an Express handler that queries through pg (Client and Pool, callbacks and promises),
// mysql2 (and its promise API), ioredis and node-redis v5 and v4, loaded with require and with
// import, on Node 24 and Node 22, gives one trace: the server span and, under it, one CLIENT span
// per operation with the database semantic conventions. Literal values never leave the process,
// a failed query is marked, and db.client.operation.duration counts every operation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric, type ReceivedSpan } from '../helpers/otlp-receiver.ts';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const PASSWORD = 'hunter2-s3cret';
const EMAIL = 'alice@example.com';

const cases = NODES.flatMap((node) => ['databases.cjs', 'databases.mjs'].map((fixture) => ({ node, fixture })));

describe.each(cases)('$fixture on $node.name', ({ node, fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let spans: ReceivedSpan[];
  let duration: ReceivedMetric;

  const serverSpan = (path: string): ReceivedSpan => {
    const span = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path);
    if (!span) throw new Error(`no server span for ${path}`);
    return span;
  };
  /** The CLIENT spans of the request's trace whose parent chain reaches its server span. */
  const dbSpansUnder = (server: ReceivedSpan): ReceivedSpan[] => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const under = (s: ReceivedSpan): boolean => {
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) if (p === server) return true;
      return false;
    };
    return spans.filter((s) => s.kind === CLIENT && s.traceId === server.traceId && 'db.system.name' in s.attributes && under(s));
  };
  const queries = (system: string, scope: string): ReceivedSpan[] =>
    dbSpansUnder(serverSpan('/query')).filter((s) => s.attributes['db.system.name'] === system && s.scope.name === scope && 'db.query.text' in s.attributes);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp(fixture, {
      node: node.bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '300' },
    });
    for (const path of ['/query', '/fail', '/slow']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status, await response.text()).toBe(200);
    }
    spans = await receiver.waitFor(() => ['/query', '/fail', '/slow'].every((p) => receiver.spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === p)) && receiver.spans, {
      what: 'the three server spans',
    });
    duration = await receiver.waitFor(
      () => {
        // Cumulative: the first export that has seen all three requests (pg: four queries, two failures, pg_sleep).
        const latest = receiver.metrics.filter((m) => m.name === 'db.client.operation.duration').at(-1);
        const pg = latest?.points.filter((p) => p.attributes['db.system.name'] === 'postgresql').reduce((n, p) => n + (p.count ?? 0), 0);
        return pg !== undefined && pg >= 7 && latest;
      },
      { what: 'db.client.operation.duration counting every pg query' },
    );
    await app.stop();
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('traces every library in one trace, each operation a CLIENT span under the server span', () => {
    expect(queries('postgresql', '@opentelemetry/instrumentation-pg')).toHaveLength(4); // Client callback and promise, Pool promise and connect+callback
    expect(queries('mysql', '@opentelemetry/instrumentation-mysql2')).toHaveLength(3); // callback, promise pool query and execute
    const redis = queries('redis', '@opentelemetry/instrumentation-redis').map((s) => s.attributes['db.query.text']);
    expect(redis).toEqual(expect.arrayContaining(['SET nodetel:redis5 ?', 'GET nodetel:redis5', 'SET nodetel:redis4 ?', 'GET nodetel:redis4']));
    expect(redis).toHaveLength(4);
    expect(queries('redis', '@opentelemetry/instrumentation-ioredis').map((s) => s.attributes['db.query.text'])).toEqual(['SET nodetel:ioredis ?', 'GET nodetel:ioredis']);
  });

  it('sets the stable database attributes, with the literals of the statement replaced', () => {
    const [pg] = queries('postgresql', '@opentelemetry/instrumentation-pg');
    expect(pg!.name).toBe('SELECT test');
    expect(pg!.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': 'test',
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT ? AS password, ? AS email, ? AS answer WHERE ? IN (?)',
      'server.address': '127.0.0.1',
      'server.port': 5432,
    });
    const [mysql] = queries('mysql', '@opentelemetry/instrumentation-mysql2');
    expect(mysql!.attributes).toMatchObject({
      'db.system.name': 'mysql',
      'db.namespace': 'test',
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT ? AS password, ? AS email, ? AS answer WHERE ? IN (?)',
      'server.address': '127.0.0.1',
      'server.port': 3306,
    });
    for (const scope of ['@opentelemetry/instrumentation-ioredis', '@opentelemetry/instrumentation-redis']) {
      const [set] = queries('redis', scope);
      expect(set!.name).toBe('SET');
      expect(set!.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.operation.name': 'SET', 'server.address': '127.0.0.1', 'server.port': 6379 });
    }
    expect(spans.filter((s) => 'db.system' in s.attributes || 'db.statement' in s.attributes || 'db.name' in s.attributes)).toEqual([]);
  });

  it('never exports a literal value: not in spans, metrics or logs', () => {
    const everything = JSON.stringify([receiver.spans, receiver.metrics, receiver.logs], (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(everything).toContain('SELECT ? AS password');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(EMAIL);
  });

  it('marks a failed query ERROR, with the exception and error.type', () => {
    const failed = dbSpansUnder(serverSpan('/fail')).filter((s) => s.attributes['db.query.text'] === 'SELECT * FROM nodetel_no_such_table');
    expect(failed.map((s) => s.attributes['db.system.name']).sort()).toEqual(['mysql', 'postgresql']);
    for (const span of failed) {
      expect(span.status.code).toBe(ERROR);
      expect(span.events.map((e) => e.name)).toContain('exception');
    }
    expect(failed.find((s) => s.attributes['db.system.name'] === 'postgresql')!.attributes['error.type']).toBe('42P01');
  });

  it('keeps the values a database quotes in its error message out of the status and the exception', () => {
    const quoting = dbSpansUnder(serverSpan('/fail')).filter((s) => s.attributes['db.query.text'] !== 'SELECT * FROM nodetel_no_such_table');
    expect(quoting.map((s) => s.attributes['db.query.text']).sort()).toEqual(['SELECT ? FRM ? WHERE ?', 'SELECT ?::int']);
    for (const span of quoting) {
      expect(span.status.code).toBe(ERROR);
      const exception = span.events.find((e) => e.name === 'exception')!;
      expect(`${span.status.message} ${exception.attributes['exception.message']}`).toMatch(/\?/);
      const shown = JSON.stringify([span.status, span.events], (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(EMAIL);
    }
    const pg = quoting.find((s) => s.attributes['db.system.name'] === 'postgresql')!;
    expect(pg.status.message).toBe('invalid input syntax for type integer: ?');
  });

  it('times the real round trip', () => {
    const [sleep] = dbSpansUnder(serverSpan('/slow'));
    expect(sleep!.attributes['db.query.text']).toBe('SELECT pg_sleep(?)');
    expect(Number(sleep!.endTimeUnixNano - sleep!.startTimeUnixNano) / 1e6).toBeGreaterThanOrEqual(195);
  });

  it('records db.client.operation.duration by system, operation and namespace, failures apart', () => {
    expect(duration.unit).toBe('s');
    expect(duration.scope.name).toBe('nodetel');
    const point = (attributes: Record<string, unknown>) => duration.points.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes));
    const pgSelect = point({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT', 'db.namespace': 'test' });
    expect(pgSelect!.count).toBeGreaterThanOrEqual(5); // the four queries and pg_sleep
    expect(pgSelect!.explicitBounds).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]);
    expect(pgSelect!.max).toBeGreaterThanOrEqual(0.195);
    expect(point({ 'db.system.name': 'mysql', 'db.operation.name': 'SELECT', 'db.namespace': 'test' })!.count).toBe(3);
    expect(point({ 'db.system.name': 'redis', 'db.operation.name': 'SET' })!.count).toBe(3);
    expect(point({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT', 'db.namespace': 'test', 'error.type': '42P01' })!.count).toBe(1);
    // Connection set-up is not an operation; the statement is never an attribute.
    expect(duration.points.every((p) => 'db.operation.name' in p.attributes && !('db.query.text' in p.attributes))).toBe(true);
  });
});
