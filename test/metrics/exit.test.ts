// The last metrics on the way out: a process that ends by a signal, because its event loop ran
// dry, or by process.exit() (also from its own SIGTERM handler) still sends what it measured
// since its last periodic export (the interval is left at its 60 s default here, so the way out
// is the only export there is). On process.exit() the HTTP and database metrics are sent
// synchronously; the SDK's asynchronous collection has no room there.
import { afterEach, describe, expect, it } from 'vitest';
import { runScript, startApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { lastPoints, show, totalCount } from './series.ts';

const DURATION = 'http.server.request.duration';
const REQUESTS = 5;

const open: OtlpReceiver[] = [];
afterEach(async () => {
  for (const receiver of open.splice(0)) await receiver.close();
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  open.push(r);
  return r;
}

/** The final series of the server duration, once they count `expected` requests (the process is gone by then). */
async function finalCount(r: OtlpReceiver, expected: number): Promise<void> {
  await r.waitFor(() => totalCount(lastPoints(r.metrics, DURATION)) >= expected, {
    timeoutMs: 10_000,
    what: `${DURATION} counting ${expected} requests`,
  });
  const series = lastPoints(r.metrics, DURATION);
  expect(series.map(({ point }) => ({ attributes: point.attributes, count: point.count })), show(series)).toEqual([
    { attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.scheme': 'http' }, count: expected },
  ]);
}

describe('metrics on the way out', () => {
  it('SIGTERM: sends them, and the app still dies of the signal', async () => {
    const r = await receiver();
    const app = await startApp('node-http.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint } });
    for (let i = 0; i < REQUESTS; i++) await (await fetch(`${app.url}/users/${i}`)).text();
    expect((await app.stop('SIGTERM')).signal).toBe('SIGTERM');
    await finalCount(r, REQUESTS);
  });

  it('the event loop running dry: sends them, and the exit code stays 0', async () => {
    const r = await receiver();
    const result = await runScript('exit-naturally-after-requests.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, REQUESTS: String(REQUESTS) } });
    expect(result.stdout).toContain(`served ${REQUESTS}`);
    expect(result.code).toBe(0);
    await finalCount(r, REQUESTS);
  });

  it('process.exit(): sends the HTTP metrics, and the exit code stays the app\'s', async () => {
    const r = await receiver();
    const result = await runScript('exit-after-requests.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, REQUESTS: String(REQUESTS) } });
    expect(result.stdout).toContain(`served ${REQUESTS}`);
    expect(result.code).toBe(3);
    await finalCount(r, REQUESTS);
  });

  it('an app whose own SIGTERM handler ends with process.exit(0): sends them, exit code 0', async () => {
    const r = await receiver();
    const app = await startApp('own-sigterm.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint } });
    for (let i = 0; i < REQUESTS; i++) await (await fetch(`${app.url}/users/${i}`)).text();
    const exit = await app.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(app.stdout()).toContain('app got SIGTERM');
    await finalCount(r, REQUESTS);
  });
});
