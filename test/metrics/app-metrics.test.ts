// The app's own metrics: an app that only uses @opentelemetry/api (no SDK set up anywhere) and
// creates its counter at start-up, before any request and before the preload has loaded the
// SDK, has what it counts exported with its attributes under its own meter's scope, CommonJS
// and ESM alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE22, NODE24, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { CUMULATIVE, lastPoints, sendAll, show, type Series } from './series.ts';

const COUNTER = 'auth.login.attempts';
const LOGINS = [...Array.from({ length: 3 }, () => '/login?result=ok'), ...Array.from({ length: 2 }, () => '/login?result=fail')];

const cases = [
  { node: { name: 'node24', bin: NODE24 }, fixture: 'metrics-app.cjs' },
  { node: { name: 'node24', bin: NODE24 }, fixture: 'metrics-app.mjs' },
  { node: { name: 'node22', bin: NODE22 }, fixture: 'metrics-app.mjs' },
];

describe.each(cases)('$fixture on $node.name', ({ node, fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let attempts: Series[];
  const service = `svc-app-metrics-${fixture}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp(fixture, { node: node.bin, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: service } });
    expect(await sendAll(app.url, LOGINS)).toEqual(LOGINS.map(() => 200));
    // Sent on the way out: the export interval is left at its 60 s default.
    await app.stop('SIGTERM');
    attempts = await receiver.waitFor(
      () => {
        const series = lastPoints(receiver.metrics, COUNTER);
        return series.reduce((total, { point }) => total + (point.value ?? 0), 0) >= LOGINS.length && series;
      },
      { timeoutMs: 10_000, what: `${COUNTER} adding up to ${LOGINS.length}` },
    );
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('exports the counter the app made with metrics.getMeter(), by its attributes', () => {
    const values = Object.fromEntries(attempts.map(({ point }) => [JSON.stringify(point.attributes), point.value]));
    expect(values, show(attempts)).toEqual({ [JSON.stringify({ result: 'ok' })]: 3, [JSON.stringify({ result: 'fail' })]: 2 });
  });

  it('does not load the metrics SDK while the app starts, and exports its observable gauge once it is loaded', () => {
    expect(app.stdout()).toContain('metrics SDK loaded during start-up: false');
    const depth = lastPoints(receiver.metrics, 'shop.queue.depth');
    expect(depth.map(({ metric, point }) => [metric.type, metric.scope.name, point.attributes, point.value]), show(depth)).toEqual([['gauge', 'shop', { queue: 'orders' }, 7]]);
  });

  it("as a monotonic cumulative sum under the app's meter, on the app's resource", () => {
    for (const { metric } of attempts) {
      expect(metric).toMatchObject({ type: 'sum', isMonotonic: true, aggregationTemporality: CUMULATIVE });
      expect(metric.scope.name).toBe('shop');
      expect(metric.resource['service.name']).toBe(service);
    }
  });
});
