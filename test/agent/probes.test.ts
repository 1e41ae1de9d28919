// The probe logic with an injected clock: thresholds so that one blip does not flap, liveness
// from the heartbeat alone, readiness from the app and the required checks.
import { describe, expect, it } from 'vitest';
import { agentModule, type Loose } from './helpers.ts';

const { AppState, parseHeartbeat } = agentModule('app-state');
const { CheckState } = agentModule('check-state');
const { readConfig } = agentModule('config');
const { Probes } = agentModule('probes');

function setup(env: Record<string, string> = {}) {
  const config = readConfig({
    env: {
      NODETEL_AGENT_CHECK_DB: 'postgres://u:pw@db/x',
      NODETEL_AGENT_CHECK_CACHE: 'redis://cache:6379',
      NODETEL_AGENT_OPTIONAL_CHECKS: 'cache',
      NODETEL_AGENT_CHECKS_FAILURE_THRESHOLD: '3',
      NODETEL_AGENT_CHECKS_SUCCESS_THRESHOLD: '2',
      NODETEL_AGENT_LIVENESS_THRESHOLD_MS: '30000',
      NODETEL_AGENT_STARTUP_GRACE_MS: '60000',
      ...env,
    },
  });
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const app = new AppState();
  const states = config.checks.map((c: Loose) => new CheckState(c, now));
  const probes = new Probes(config, app, states, clock.now, now);
  const db = states.find((s: Loose) => s.config.name === 'db')!;
  const cache = states.find((s: Loose) => s.config.name === 'cache')!;
  const beat = (listening = true, pid = 42) => app.record({ pid, instance: 'a', seq: 1, listening, delayMs: { p50: 1, p99: 2, max: 3, mean: 1 }, uptimeSeconds: 1 }, now);
  const result = (ok: boolean) => ({ ok, durationMs: 2, at: now, ...(ok ? {} : { error: 'connect ECONNREFUSED' }) });
  return { probes, clock, db, cache, beat, result };
}

describe('check thresholds', () => {
  it('decides at the first result, then needs failureThreshold failures and successThreshold successes to change', () => {
    const { db, result } = setup();
    expect(db.status).toBe('pending');
    expect(db.record(result(true))).toBe('passing');
    expect(db.record(result(false))).toBeUndefined();
    expect(db.record(result(false))).toBeUndefined();
    expect(db.status).toBe('passing');
    expect(db.record(result(false))).toBe('failing');
    expect(db.record(result(true))).toBeUndefined();
    expect(db.record(result(false))).toBeUndefined();
    expect(db.record(result(true))).toBeUndefined();
    expect(db.record(result(true))).toBe('passing');
    expect(db.snapshot()).toMatchObject({ status: 'passing', lastError: 'connect ECONNREFUSED', consecutiveSuccesses: 2, runs: 8 });
  });
});

describe('probes', () => {
  it('liveness: grace before the first heartbeat, then the threshold since the last one; never the checks', () => {
    const { probes, clock, db, beat, result } = setup();
    expect(probes.liveness().ok).toBe(true);
    clock.advance(60_001);
    expect(probes.liveness().body.reason).toMatch(/^no heartbeat from the app since the agent started 60\.0 s ago \(startup grace 1m\)/);
    beat();
    expect(probes.liveness().ok).toBe(true);
    db.record(result(false));
    expect(probes.liveness().ok).toBe(true);
    clock.advance(30_000);
    expect(probes.liveness().ok).toBe(true);
    clock.advance(1);
    expect(probes.liveness()).toMatchObject({ ok: false, body: { status: 'fail', app: { state: 'silent' } } });
    expect(probes.liveness().body.reason).toBe('no heartbeat from the app (pid 42) for 30.0 s (threshold 30s): its event loop is blocked or the process stopped');
  });

  it('readiness: app listening and every required check passing; optional checks only reported', () => {
    const { probes, db, cache, beat, result } = setup();
    expect(probes.readiness().body.reasons).toEqual([`waiting for the app's first heartbeat`, 'check db (postgres) has no result yet']);
    beat(false);
    db.record(result(true));
    cache.record(result(false));
    expect(probes.readiness().body.reasons).toEqual(['the app reports no listening server']);
    beat(true);
    const ready = probes.readiness();
    expect(ready.ok).toBe(true);
    expect(ready.body.checks!.map((c: Loose) => [c.name, c.status, c.required])).toEqual([
      ['cache', 'failing', false],
      ['db', 'passing', true],
    ]);
    probes.startDraining();
    expect(probes.readiness().body.reasons).toEqual(['the agent is shutting down (SIGTERM received): draining']);
    expect(probes.liveness().ok).toBe(true);
  });

  it('startup: once the app has listened, and it stays started', () => {
    const { probes, beat } = setup();
    expect(probes.startup().body.reasons).toEqual([`waiting for the app's first heartbeat`]);
    beat(false);
    expect(probes.startup().body.reasons).toEqual(['waiting for the app to listen']);
    beat(true);
    expect(probes.startup().ok).toBe(true);
    beat(false);
    expect(probes.startup().ok).toBe(true);
  });
});

describe('heartbeat datagrams', () => {
  it('accepts the preload format and drops anything else', () => {
    const good = { v: 1, type: 'nodetel.heartbeat', pid: 7, instance: 'abc', seq: 3, listening: true, delayMs: { p50: 1, p99: 2, max: 3, mean: 1.5 }, uptimeSeconds: 9 };
    expect(parseHeartbeat(Buffer.from(JSON.stringify(good)))).toEqual({ pid: 7, instance: 'abc', seq: 3, listening: true, delayMs: { p50: 1, p99: 2, max: 3, mean: 1.5 }, uptimeSeconds: 9 });
    for (const bad of ['', 'not json', '{}', JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, type: 'other' }), JSON.stringify({ ...good, pid: 'x' }), 'x'.repeat(5000)]) {
      expect(parseHeartbeat(Buffer.from(bad)), bad.slice(0, 40)).toBeUndefined();
    }
  });
});
