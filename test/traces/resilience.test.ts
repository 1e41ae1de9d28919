// The preload never harms the app: a Collector that is absent, hangs or refuses changes
// nothing the app's clients see; exit codes, signals and response bytes stay the app's own;
// what is queued is flushed on the way out; and where the preload cannot run, it says so once
// and steps aside.
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE20, runScript, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';

const SERVER = 2;
const open: { close?: () => Promise<void>; stop?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await (thing.stop?.() ?? thing.close?.());
});

async function receiver(mode: 'ok' | 'unavailable' | 'hang' = 'ok'): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver({ mode });
  open.push(r);
  return r;
}

async function app(fixture: string, env: Record<string, string | undefined>, opts: { preload?: boolean; nodeOptions?: boolean } = {}): Promise<RunningApp> {
  const a = await startApp(fixture, { env, ...opts });
  open.push(a);
  return a;
}

async function bodyAndHeaders(url: string): Promise<{ status: number; body: Buffer; contentType: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type') };
}

describe('a Collector that is not there, hangs, or refuses', () => {
  it.each([
    ['nothing listening', async () => 'http://127.0.0.1:1'],
    ['a Collector that never answers', async () => (await receiver('hang')).endpoint],
    ['a Collector that answers UNAVAILABLE', async () => (await receiver('unavailable')).endpoint],
  ])('%s: the app serves every request exactly as without the preload', async (_, endpoint) => {
    const bare = await app('express5.cjs', {}, { preload: false });
    const traced = await app('express5.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: await endpoint(), OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_MAX_QUEUE_SIZE: '100' });
    for (const path of ['/users/1', '/big', '/fail', '/users/missing']) {
      const expected = await bodyAndHeaders(`${bare.url}${path}`);
      const got = await bodyAndHeaders(`${traced.url}${path}`);
      expect(got.status, path).toBe(expected.status);
      expect(got.contentType, path).toBe(expected.contentType);
      expect(got.body.equals(expected.body), path).toBe(true);
    }
    // Well past the queue bound: requests keep being served, spans are dropped and counted.
    for (let i = 0; i < 300; i++) expect((await fetch(`${traced.url}/users/${i}`)).status).toBe(200);
    const exit = await traced.stop('SIGTERM');
    expect(exit.signal).toBe('SIGTERM');
    expect(traced.stderr()).toMatch(/nodetel: spans: \d+ spans dropped/);
    // Each signal's failure is told once, however many exports fail.
    const lines = traced.stderr().split('\n');
    expect(lines.filter((l) => l.includes('spans export failed')).length).toBeLessThanOrEqual(1);
    expect(lines.filter((l) => l.includes('metrics export failed')).length).toBeLessThanOrEqual(1);
  });
});

describe('exit codes, signals and flushing on the way out', () => {
  it('keeps the exit code of process.exit() and still delivers the spans queued at that moment', async () => {
    const r = await receiver();
    const result = await runScript('exit-after-requests.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, REQUESTS: '5' } });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('served 5');
    const spans = await r.waitFor(() => r.spans.filter((s) => s.kind === SERVER).length >= 5 && r.spans, { what: '5 server spans' });
    expect(spans.filter((s) => s.kind === SERVER)).toHaveLength(5);
  });

  it('holds process.exit() no longer than NODETEL_SHUTDOWN_TIMEOUT_MS in all when the Collector hangs, however many batches wait', async () => {
    const r = await receiver('hang');
    // Batches of 5: four exports hang in flight and two batches wait behind them, then the logs and the metrics.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, REQUESTS: '30', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5', NODETEL_SHUTDOWN_TIMEOUT_MS: '1000' };
    const result = await runScript('exit-after-requests.cjs', { env });
    const exited = Date.now();
    expect(result.code).toBe(3);
    const exitCalled = Number(/served 30 at (\d+)/.exec(result.stdout)?.[1]);
    // One deadline for every signal and batch (with each send given the whole of it, this took 14 s).
    expect(exited - exitCalled).toBeLessThan(3000);
    // 30 server and 30 client spans (the app fetches itself), 30 access-log records and the console line: all counted.
    expect(result.stderr).toMatch(/nodetel: spans: 60 spans dropped/);
    expect(result.stderr).toMatch(/nodetel: logs: 31 logs dropped/);
  });

  it('keeps an exit code set by the app itself', async () => {
    const bare = await runScript('exit-code.cjs', { preload: false });
    const traced = await runScript('exit-code.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } });
    expect(bare.code).toBe(7);
    expect(traced.code).toBe(7);
    expect(traced.stdout).toBe(bare.stdout);
  });

  it("leaves the app's own SIGTERM handler in charge", async () => {
    const r = await receiver();
    const a = await app('own-sigterm.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint });
    await (await fetch(`${a.url}/hello`)).text();
    const exit = await a.stop('SIGTERM');
    expect(a.stdout()).toContain('app got SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    await r.waitFor(() => r.spans.find((s) => s.kind === SERVER), { what: 'the span of the request before SIGTERM' });
  });

  it('flushes on SIGINT for an app without a handler, which still dies of SIGINT', async () => {
    const r = await receiver();
    const a = await app('node-http.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000' });
    for (let i = 0; i < 3; i++) await (await fetch(`${a.url}/users/${i}`)).text();
    expect((await a.stop('SIGINT')).signal).toBe('SIGINT');
    const spans = await r.waitFor(() => r.spans.length >= 3 && r.spans, { what: '3 spans' });
    expect(spans.filter((s) => s.kind === SERVER)).toHaveLength(3);
  });
});

describe('where the preload does not run', () => {
  it('on a Node older than 22.15 prints one line and leaves the app untouched', async () => {
    const oldNode = NODE20; // pinned from npm, like the others
    const result = await runScript('exit-code.cjs', { node: oldNode });
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('bye\n');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^nodetel: not instrumented: Node 20\.\d+\.\d+ is older than 22\.15\.0/)]);
  });

  it('OTEL_SDK_DISABLED=true: nothing is sent, nothing is added', async () => {
    const r = await receiver();
    const a = await app('node-http.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_SDK_DISABLED: 'true' });
    const response = await fetch(`${a.url}/users/1`);
    expect(response.headers.get('x-request-id')).toBeNull();
    await a.stop();
    expect(r.requests.traces).toBe(0);
  });
});

describe('NODE_OPTIONS', () => {
  it('works from any directory, and child processes and worker threads that inherit it keep working', async () => {
    const r = await receiver();
    const a = await app('node-http.mjs', { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' }, { nodeOptions: true });
    await (await fetch(`${a.url}/users/5`)).text();
    await r.waitFor(() => r.spans.find((s) => s.attributes['url.path'] === '/users/5'), { what: 'the span of an app preloaded through NODE_OPTIONS' });

    const children = await runScript('children.cjs', { nodeOptions: true, cwd: tmpdir(), env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint } });
    expect(children.code).toBe(0);
    expect(children.stdout).toContain('child ok');
    expect(children.stdout).toContain('worker ok');
    expect(children.stderr).toBe('');
  });
});
