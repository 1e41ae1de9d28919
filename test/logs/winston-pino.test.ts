// winston and pino loggers that the app creates itself, in CommonJS and ESM, with no code change:
// every line the app prints inside a request gains trace_id, span_id and request_id (and is
// otherwise what the app prints bare), and every line also arrives as an OTLP record with its
// severity, body, the logger's fields (secrets redacted), the request's trace, span and request
// id, and an Error as exception.* attributes. Under 200 concurrent requests, no line, printed or
// exported, carries another request's ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, runScript, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedLog, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { waitForStdout } from './stdout.ts';

const SERVER = 2;
const N = 200;
const TRACE_FIELDS = ['trace_id', 'span_id', 'request_id'];

type Line = Record<string, unknown>;

const LIBRARIES = [
  { fixture: 'winston.cjs', scope: '@opentelemetry/winston-transport', msg: 'message', volatile: [] as string[] },
  { fixture: 'winston.mjs', scope: '@opentelemetry/winston-transport', msg: 'message', volatile: [] as string[] },
  { fixture: 'pino.cjs', scope: '@opentelemetry/instrumentation-pino', msg: 'msg', volatile: ['time', 'pid'] },
  { fixture: 'pino.mjs', scope: '@opentelemetry/instrumentation-pino', msg: 'msg', volatile: ['time', 'pid'] },
].flatMap((library) => NODES.map((node) => ({ ...library, node })));

describe.each(LIBRARIES)('$fixture on $node.name', ({ fixture, scope, msg, volatile, node }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let bare: RunningApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' };
    [app, bare] = await Promise.all([startApp(fixture, { env, node: node.bin }), startApp(fixture, { preload: false, node: node.bin })]);
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        await (await fetch(`${app.url}/work/${i}`, { headers: { 'x-request-id': `rid-${i}` } })).text();
      }),
    );
    await (await fetch(`${app.url}/fail`, { headers: { 'x-request-id': 'rid-fail' } })).text();
    await (await fetch(`${app.url}/secret`)).text();
    await receiver.waitFor(() => records().length >= 2 * N + 3 && receiver.spans.filter((s) => s.kind === SERVER).length >= N + 2, {
      what: `${2 * N + 3} ${scope} records and ${N + 2} server spans`,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await bare?.stop();
    await receiver?.close();
  });

  const records = (): ReceivedLog[] => receiver.logs.filter((l) => l.scope.name === scope);
  const serverSpan = (path: string): ReceivedSpan => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path)!;
  const printed = (output: string): Line[] =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  const without = (line: Line, keys: string[]): Line => Object.fromEntries(Object.entries(line).filter(([k]) => !keys.includes(k)));

  it('exports every line with the trace, span and request id of the request that wrote it', () => {
    for (let i = 0; i < N; i++) {
      const span = serverSpan(`/work/${i}`);
      const lines = records().filter((l) => l.body === `work ${i}` || l.body === `done ${i}`);
      expect(lines.map((l) => l.body).sort(), `request ${i}`).toEqual([`done ${i}`, `work ${i}`]);
      for (const line of lines) {
        expect([line.traceId, line.spanId, line.attributes.request_id], `request ${i}`).toEqual([span.traceId, span.spanId, `rid-${i}`]);
      }
    }
  });

  it('prints every line in a request with its trace_id, span_id and request_id', async () => {
    await waitForStdout(app, (stdout) => printed(stdout).filter((l) => String(l[msg]).startsWith('done ')).length >= N, `${N} printed "done" lines`);
    const lines = printed(app.stdout());
    for (let i = 0; i < N; i++) {
      const span = serverSpan(`/work/${i}`);
      const mine = lines.filter((l) => l[msg] === `work ${i}` || l[msg] === `done ${i}`);
      expect(mine, `request ${i}`).toHaveLength(2);
      for (const line of mine) expect([line.trace_id, line.span_id, line.request_id], `request ${i}`).toEqual([span.traceId, span.spanId, `rid-${i}`]);
    }
  });

  it('keeps severity, body and the logger fields on the record', () => {
    const work = records().find((l) => l.body === 'work 1')!;
    expect([work.severityNumber, work.attributes.n, work.attributes.app]).toEqual([9, 1, 'fixture']);
    expect(work.attributes).not.toHaveProperty('trace_id');
    const done = records().find((l) => l.body === 'done 1')!;
    expect(done.severityNumber).toBe(13);
    expect(done.resource['service.name']).toBeDefined();
  });

  it('records an Error passed to the logger as exception.type, exception.message and exception.stacktrace', () => {
    const failure = records().find((l) => l.attributes.request_id === 'rid-fail')!;
    expect(failure.severityNumber).toBe(17);
    expect(failure.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'card declined' });
    expect(String(failure.attributes['exception.stacktrace'])).toContain('card declined');
    expect(failure.traceId).toBe(serverSpan('/fail').traceId);
  });

  it('redacts secrets in the logger fields before they leave the process, and only them', () => {
    const signup = records().find((l) => l.body === 'signup')!;
    expect(signup.attributes.plan).toBe('pro');
    expect(JSON.stringify(signup.attributes)).not.toContain('hunter2');
    expect(JSON.stringify(signup.attributes)).not.toContain('ada@example.com');
  });

  it('prints what the app prints bare, apart from the three trace fields inside a request', async () => {
    await (await fetch(`${bare.url}/work/3`)).text();
    await waitForStdout(bare, (stdout) => printed(stdout).find((l) => l[msg] === 'done 3'), 'the bare app printing "done 3"');
    const pick = (output: string) => printed(output).filter((l) => [`work 3`, `done 3`].includes(String(l[msg])) || String(l[msg]).startsWith('listening'));
    const instrumented = pick(app.stdout()).map((l) => without(l, volatile));
    const plain = pick(bare.stdout()).map((l) => without(l, volatile));
    expect(instrumented.map((l) => without(l, TRACE_FIELDS)).map((l) => ({ ...l, [msg]: String(l[msg]).replace(/^listening \d+$/, 'listening') }))).toEqual(
      plain.map((l) => ({ ...l, [msg]: String(l[msg]).replace(/^listening \d+$/, 'listening') })),
    );
    const listening = printed(app.stdout()).find((l) => String(l[msg]).startsWith('listening'))!;
    for (const field of TRACE_FIELDS) expect(listening).not.toHaveProperty(field);
    expect(instrumented.find((l) => l[msg] === 'work 3')).toHaveProperty('trace_id');
  });
});

describe('lazy loading', () => {
  // Our winston and pino files, the maintained instrumentations and transport, and what only they load.
  const SUPPORT = /winston|pino|node_modules\/@opentelemetry\/(instrumentation|api-logs)\//;
  const loaded = async (library?: string): Promise<string[]> => {
    const run = await runScript('loaded-modules.cjs', { args: library ? [library] : [], env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as string[]).filter((f) => SUPPORT.test(f));
  };

  it('loads nothing of the winston and pino support in an app that loads neither, even after serving a request', async () => {
    expect(await loaded()).toEqual([]);
  });

  it('loads the support with the library, and only for it', async () => {
    const winston = await loaded('winston');
    expect(winston.some((f) => f.includes('instrumentation-winston'))).toBe(true);
    expect(winston.some((f) => f.includes('pino'))).toBe(false);
    const pino = await loaded('pino');
    expect(pino.some((f) => f.includes('instrumentation-pino'))).toBe(true);
    expect(pino.some((f) => f.includes('winston'))).toBe(false);
  });

  it.each(['winston', 'pino'])('does not load the logs SDK while the app loads %s and makes a logger (it loads once the app is up)', async (library) => {
    const run = await runScript('loaded-at-require.cjs', { args: [library], env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' } });
    expect(run.code, run.stderr).toBe(0);
    const files = JSON.parse(run.stdout) as string[];
    expect(files.some((f) => f.includes(`instrumentation-${library}`))).toBe(true);
    expect(files.filter((f) => f.includes('@opentelemetry/sdk-logs'))).toEqual([]);
  });
});
