/**
 * The fixture apps themselves, run bare (no preload) on both Node versions:
 * every route answers as test/fixtures/shared/handlers.cjs specifies, so a
 * failing end-to-end test points at the preload, not at a fixture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, runScript, startApp, type RunningApp } from './helpers/app.ts';

const APPS = ['node-http', 'express4', 'express5', 'fastify4', 'fastify5', 'koa'].flatMap((name) => [`${name}.cjs`, `${name}.mjs`]);
const BIG_BODY = '0123456789abcdef'.repeat(4096);

/** Route → expected status and, where the spec fixes it, the exact body. */
const ROUTES: { path: string; status: number; body?: unknown }[] = [
  { path: '/users/42', status: 200, body: { id: '42' } },
  { path: '/users/missing', status: 404, body: { error: 'not found' } },
  { path: '/api/v1/items/7', status: 200, body: { itemId: '7' } },
  { path: '/fail', status: 500 },
  { path: '/throw', status: 500 },
  { path: '/async-throw', status: 500 },
  { path: '/healthz', status: 200, body: 'ok' },
  { path: '/readyz', status: 200, body: 'ok' },
  { path: '/api-span', status: 200 },
  { path: '/query?token=s3cr3t&page=2', status: 200 },
  { path: '/big', status: 200, body: BIG_BODY },
];

async function get(url: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, body: isJson ? JSON.parse(text) : text };
}

describe.each(NODES)('fixtures on $name, without the preload', ({ bin }) => {
  describe.each(APPS)('%s', (fixture) => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp(fixture, { node: bin, preload: false });
    });

    afterAll(async () => {
      await app?.stop();
    });

    it('answers every route as specified', async () => {
      for (const { path, status, body } of ROUTES) {
        const response = await get(`${app.url}${path}`);
        expect(response.status, path).toBe(status);
        if (body !== undefined) expect(response.body, path).toEqual(body);
      }
    });

    it.each(['fetch', 'http'])('calls another service with %s', async (via) => {
      const target = encodeURIComponent(`${app.url}/echo-headers`);
      const response = await get(`${app.url}/call?to=${target}&via=${via}`, { 'x-request-id': 'rid-1' });

      expect(response).toMatchObject({
        status: 200,
        body: { status: 200, body: { host: `127.0.0.1:${app.port}` }, requestIdSeen: 'rid-1' },
      });
    });

    it('answers 502 when the downstream cannot be reached', async () => {
      const target = encodeURIComponent('http://127.0.0.1:1/');
      expect((await get(`${app.url}/call?to=${target}&via=http`)).status).toBe(502);
    });

    // Last, as it stops the app.
    it('dies of SIGTERM, having no handler of its own', async () => {
      expect(await app.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    });
  });

  it('own-sigterm.cjs runs its own SIGTERM handler and exits 0', async () => {
    const app = await startApp('own-sigterm.cjs', { node: bin, preload: false });
    expect((await get(app.url)).body).toBe('ok');
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    expect(app.stdout()).toContain('app got SIGTERM');
  });

  it('children.cjs hears from its child process and its worker thread', async () => {
    const result = await runScript('children.cjs', { node: bin, preload: false });
    expect(result).toEqual({ code: 0, signal: null, stdout: 'child ok\nworker ok\n', stderr: '' });
  });

  it('exit-code.cjs exits 7', async () => {
    const result = await runScript('exit-code.cjs', { node: bin, preload: false });
    expect(result).toEqual({ code: 7, signal: null, stdout: 'bye\n', stderr: '' });
  });
});
