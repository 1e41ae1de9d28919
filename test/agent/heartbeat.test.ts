// Liveness follows the app's heartbeat, sent by the preload: a blocked event loop or a silent app
// turns /healthz to 503 (with the reason), and back when the loop runs again. Readiness needs the
// app to report a listening server. The agent's own process never counts as the app.
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { createSocket } from 'node:dgram';
import { HEARTBEAT_PRELOAD, probe, startAgent, startWatchedApp, stopAll, waitFor } from './helpers.ts';

const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** Small thresholds so that each case takes about a second. */
const FAST = { NODETEL_AGENT_LIVENESS_THRESHOLD_MS: '600', NODETEL_AGENT_STARTUP_GRACE_MS: '600' };

describe('liveness from the heartbeat', () => {
  it('is 200 while the app runs, 503 with a reason while its event loop is blocked, 200 again after', async () => {
    const agent = await startAgent({ env: FAST });
    const app = await startWatchedApp(agent);
    const live = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.body.app.state === 'alive', { what: 'the first heartbeat' });
    expect(live.status).toBe(200);
    expect(live.body.app.processes?.[0]?.pid).toBe(app.child.pid);

    const blockedAt = Date.now();
    expect((await fetch(`${app.url}/block?ms=2500`)).status).toBe(200);
    const dead = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 503, { what: 'liveness to fail', timeoutMs: 5000 });
    // The threshold (600 ms) plus a heartbeat interval (100 ms) and a poll, not the whole block.
    expect(Date.now() - blockedAt).toBeLessThan(2400);
    expect(dead.body.status).toBe('fail');
    expect(dead.body.reason).toMatch(/no heartbeat from the app \(pid \d+\) for [\d.]+ s \(threshold 600ms\): its event loop is blocked or the process stopped/);
    // A blocked app cannot serve: readiness fails too.
    expect((await probe(`${agent.url}/readyz`)).status).toBe(503);

    const back = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 200, { what: 'liveness to recover', timeoutMs: 10_000 });
    expect(app.stdout()).toContain('unblocked');
    // The heartbeat after the block reports it as event-loop delay.
    expect(back.body.app.processes?.[0]?.eventLoopDelayMs.maxLastMinute).toBeGreaterThan(2000);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(/^nodetel_app_eventloop_delay_max_seconds (2\.|3\.)/m);
    // Both changes are logged, so a restart can be explained afterwards.
    await waitFor(async () => agent.stdout(), (out) => /liveness: failing: no heartbeat[^\n]*\n[\s\S]*liveness: ok/.test(out), { what: 'the log of both changes' });
  });

  it('a process that shares NODE_OPTIONS but serves nothing does not keep a blocked app alive', async () => {
    const agent = await startAgent({ env: FAST });
    const app = await startWatchedApp(agent);
    const wrapper = await startWatchedApp(agent, {}, 'agent/idle.cjs');
    await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.body.app.processes?.length === 2, { what: 'heartbeats from both processes' });
    await fetch(`${app.url}/block?ms=2500`);
    const dead = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 503, { what: 'liveness to fail', timeoutMs: 5000 });
    expect(dead.body.reason).toContain(`(pid ${app.child.pid})`);
    // The wrapper was heard from all along.
    expect(dead.body.app.processes!.map((p) => p.pid)).toContain(wrapper.child.pid);
  });

  it('is 503 once the app has stopped (silent longer than the threshold)', async () => {
    const agent = await startAgent({ env: FAST });
    const app = await startWatchedApp(agent);
    await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.body.app.state === 'alive', { what: 'the first heartbeat' });
    await app.stop('SIGKILL');
    const dead = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 503, { what: 'liveness to fail', timeoutMs: 5000 });
    expect(dead.body.app.state).toBe('silent');
  });

  it('tolerates no heartbeat during the startup grace, then fails saying what to set', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_LIVENESS_THRESHOLD_MS: '200', NODETEL_AGENT_STARTUP_GRACE_MS: '800' } });
    const first = await probe(`${agent.url}/healthz`);
    expect(first.status).toBe(200);
    expect(first.body.app.state).toBe('waiting');
    expect((await probe(`${agent.url}/startupz`)).status).toBe(503);
    const dead = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 503, { what: 'the grace to run out', timeoutMs: 5000 });
    expect(dead.body.reason).toMatch(/no heartbeat from the app since the agent started [\d.]+ s ago \(startup grace 800ms\): is the app running under the nodetel preload with NODETEL_AGENT_HEARTBEAT=udp:\/\/127\.0\.0\.1:\d+\?/);
  });

  it('with the heartbeat off, liveness is the agent itself and readiness the checks alone', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_STARTUP_GRACE_MS: '0' } });
    expect(agent.stdout()).toContain('app not watched (heartbeat off)');
    for (const path of ['/healthz', '/livez', '/readyz', '/startupz']) {
      const p = await probe(`${agent.url}${path}`);
      expect(p.status, path).toBe(200);
      expect(p.body.app).toEqual({ watched: false });
    }
  });
});

describe('readiness and startup from the app', () => {
  it('waits for the app to listen, and fails when it stops listening while liveness stays 200', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_LIVENESS_THRESHOLD_MS: '2000' } });
    const before = await probe(`${agent.url}/readyz`);
    expect(before.status).toBe(503);
    expect(before.body.reasons).toContain(`waiting for the app's first heartbeat`);

    const app = await startWatchedApp(agent);
    const ready = await waitFor(() => probe(`${agent.url}/readyz`), (p) => p.status === 200, { what: 'readiness' });
    expect(ready.body.app.listening).toBe(true);
    expect((await probe(`${agent.url}/startupz`)).status).toBe(200);

    // The preload sends a heartbeat as soon as the server closes: no need to wait for the next tick.
    await fetch(`${app.url}/close`);
    const notReady = await waitFor(() => probe(`${agent.url}/readyz`), (p) => p.status === 503, { what: 'readiness to fail' });
    expect(notReady.body.reasons).toEqual(['the app reports no listening server']);
    expect((await probe(`${agent.url}/healthz`)).status).toBe(200);
    // Started once is started: /startupz does not go back.
    expect((await probe(`${agent.url}/startupz`)).status).toBe(200);
  });

  it('does not need a listening server when requireListening is off (a worker app)', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_REQUIRE_LISTENING: 'false' } });
    const app = await startWatchedApp(agent);
    await waitFor(() => probe(`${agent.url}/readyz`), (p) => p.status === 200, { what: 'readiness' });
    await fetch(`${app.url}/close`);
    await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.body.app.listening === false, { what: 'the app to report not listening' });
    expect((await probe(`${agent.url}/readyz`)).status).toBe(200);
  });
});

describe('an agent under the same NODE_OPTIONS as the app', () => {
  it('does not count its own heartbeat, and traces none of its probes', async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    // A fixed port, so that the preload in the agent's process sends its heartbeat to the agent itself.
    const port = await freeUdpPort();
    const agent = await startAgent({
      preload: true,
      env: {
        ...FAST,
        NODETEL_AGENT_HEARTBEAT: `udp://127.0.0.1:${port}`,
        NODE_OPTIONS: `--require ${HEARTBEAT_PRELOAD}`,
        NODETEL_HEARTBEAT_INTERVAL_MS: '50',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        NODETEL_AGENT_CHECK_SELF: 'http://127.0.0.1:1/healthz',
      },
    });
    for (let i = 0; i < 20; i++) for (const path of ['/healthz', '/readyz', '/metrics']) await fetch(`${agent.url}${path}`);
    const dead = await waitFor(() => probe(`${agent.url}/healthz`), (p) => p.status === 503, { what: 'liveness to fail with no app', timeoutMs: 5000 });
    expect(dead.body.app.state).toBe('waiting');
    expect(agent.stdout()).not.toContain('receiving from the app');
    await waitFor(async () => agent.stdout(), (out) => /check self \(http\) is failing/.test(out), { what: 'the http check to run' });
    // A path that is not a probe is traced, which shows the preload does export from this process;
    // nothing else is: not the probes, not the check's HTTP request.
    expect((await fetch(`${agent.url}/not-a-probe`)).status).toBe(404);
    await receiver.waitFor(() => receiver.spans.some((s) => s.attributes['url.path'] === '/not-a-probe'), { what: 'the span of /not-a-probe' });
    expect(receiver.spans.map((s) => `${s.name} ${s.attributes['url.path'] ?? s.attributes['url.full']}`)).toEqual(['GET /not-a-probe']);
  });
});

function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    }),
  );
}
