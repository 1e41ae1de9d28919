// SIGTERM: /readyz answers 503 at once, the agent keeps answering every probe for the drain
// period, then exits 0. Once: a second signal exits at once.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { agentModule, PG_URL, probe, startAgent, stopAll, waitFor } from './helpers.ts';

const { shutdownOnSignals } = agentModule('shutdown');

afterEach(stopAll);

describe('shutdown of the agent process', () => {
  it('on SIGTERM: readiness 503 at once, liveness and metrics still answer during the drain, then exit 0', async () => {
    const drainMs = 1500;
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_PG: PG_URL, NODETEL_AGENT_DRAIN_MS: String(drainMs) } });
    await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });

    const signalledAt = Date.now();
    agent.child.kill('SIGTERM');
    const draining = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 503, { what: 'readiness to fail', everyMs: 5 });
    expect(Date.now() - signalledAt).toBeLessThan(500);
    expect(draining.body.reasons).toEqual(['the agent is shutting down (SIGTERM received): draining']);
    // The checks themselves are still fine, and reported.
    expect(draining.body.checks![0]!.status).toBe('passing');
    expect((await probe(`${agent.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(200);

    const exit = await agent.exited;
    const tookMs = Date.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeGreaterThanOrEqual(drainMs - 50);
    expect(tookMs).toBeLessThan(drainMs + 3000);
    expect(agent.stdout()).toMatch(/SIGTERM: readiness now fails; still answering for 1500 ms \(drain\), then exiting\n[\s\S]*drained; exiting\n$/);
  });

  it('a second signal exits at once', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_DRAIN_MS: '60000' } });
    agent.child.kill('SIGINT');
    await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 503, { what: 'draining' });
    agent.child.kill('SIGINT');
    expect(await agent.exited).toEqual({ code: 130, signal: null });
    expect(agent.stdout()).toContain('SIGINT again: exiting now, without waiting for the drain');
  });
});

describe('shutdownOnSignals (exit injected)', () => {
  it('drains once, closes after the drain period, then exits 0', async () => {
    const signals = new EventEmitter();
    const calls: string[] = [];
    let exited: (code: number) => void = () => {};
    const exit = new Promise<number>((resolve) => (exited = resolve));
    const log = { info: (m: string) => calls.push(`log ${m}`), warn: (m: string) => calls.push(`warn ${m}`), error: (m: string) => calls.push(`error ${m}`) };
    shutdownOnSignals(
      { drain: () => calls.push('drain'), close: async () => void calls.push('close') },
      { drainMs: 20, log, exit: (code: number) => exited(code), signals: signals as unknown as NodeJS.Process },
    );
    signals.emit('SIGTERM', 'SIGTERM');
    expect(calls).toEqual(['drain', 'log SIGTERM: readiness now fails; still answering for 20 ms (drain), then exiting']);
    expect(await exit).toBe(0);
    expect(calls.slice(2)).toEqual(['close', 'log drained; exiting']);
  });
});
