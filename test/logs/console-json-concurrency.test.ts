// With NODETEL_CONSOLE_JSON=true, under 200 concurrent requests, every console line the app prints
// carries the trace_id, span_id and request_id of the request that printed it, and no other's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { waitForStdout } from './stdout.ts';

const SERVER = 2;
const N = 200;

describe.each(['logging.cjs', 'logging.mjs'])('%s with NODETEL_CONSOLE_JSON=true', (fixture) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp(fixture, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', NODETEL_CONSOLE_JSON: 'true' },
      ready: /"msg":"listening (\d+)"/,
    });
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        await (await fetch(`${app.url}/work/${i}`, { headers: { 'x-request-id': `rid-${i}` } })).text();
      }),
    );
    await receiver.waitFor(() => receiver.spans.filter((s) => s.kind === SERVER).length >= N, { what: `${N} server spans` });
    await waitForStdout(app, (stdout) => (stdout.match(/"msg":"done \d+"/g) ?? []).length >= N, `${N} printed "done" lines`);
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('prints each line with the ids of its own request', () => {
    const lines = app
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>);
    for (let i = 0; i < N; i++) {
      const span = receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === `/work/${i}`)!;
      const mine = lines.filter((l) => l.msg === `work ${i}` || l.msg === `done ${i}`);
      expect(mine, `request ${i}`).toHaveLength(2);
      for (const line of mine) expect([line.trace_id, line.span_id, line.request_id], `request ${i}`).toEqual([span.traceId, span.spanId, `rid-${i}`]);
    }
  });
});
