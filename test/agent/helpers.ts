// Helpers for the agent's tests: the agent spawned as a real process (through agent/bin.cjs, as
// `npx agent` runs it), the app fixture under the preload with the heartbeat, a TCP proxy the test
// can close to make a dependency unreachable, and polling of the probe endpoints.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runScript, startApp, type RunningApp, type ScriptResult } from '../helpers/app.ts';

export const requireDist = createRequire(import.meta.url);
/** The compiled agent (unit tests exercise exactly what ships). */
export const DIST_AGENT = path.join(REPO_ROOT, 'dist/agent');
/** startApp/runScript resolve fixtures under test/fixtures; the agent's entry is two levels up. */
const AGENT_BIN = '../../agent/bin.cjs';
export const HEARTBEAT_PRELOAD = path.join(REPO_ROOT, 'test/fixtures/agent/heartbeat-preload.cjs');

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Every NODETEL_* variable of the test's own environment, unset, so nothing leaks into an agent. */
function cleanNodetel(): Record<string, undefined> {
  const out: Record<string, undefined> = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('NODETEL_')) out[key] = undefined;
  return out;
}

export interface RunningAgent extends RunningApp {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The UDP port heartbeats go to (0 when the app is not watched). */
  heartbeatPort: number;
  /** NODETEL_AGENT_HEARTBEAT for the app. */
  heartbeatTarget: string;
}

export interface AgentSpawnOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Run the agent under the nodetel preload (as with a pod-wide NODE_OPTIONS). */
  preload?: boolean;
}

const started: RunningApp[] = [];

/** Stops every agent and app started through these helpers (call in afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((a) => a.stop('SIGKILL')));
}

/** Starts `agent run` on 127.0.0.1 with ephemeral ports, and waits for its "listening on" line. */
export async function startAgent(opts: AgentSpawnOptions = {}): Promise<RunningAgent> {
  const app = await startApp(AGENT_BIN, {
    preload: opts.preload ?? false,
    args: opts.args,
    ready: /listening on http:\/\/\S+?:(\d+)[;\s]/,
    env: {
      ...cleanNodetel(),
      NODETEL_AGENT_HOST: '127.0.0.1',
      NODETEL_AGENT_PORT: '0',
      NODETEL_AGENT_HEARTBEAT: 'udp://127.0.0.1:0',
      ...opts.env,
    },
  });
  started.push(app);
  const heartbeatPort = Number(/heartbeat on udp:\/\/[^:]+:(\d+)/.exec(app.stdout())?.[1] ?? 0);
  return { ...app, url: `http://127.0.0.1:${app.port}`, heartbeatPort, heartbeatTarget: `udp://127.0.0.1:${heartbeatPort}` };
}

/**
 * Starts an agent with `env`, waits until it is ready, stops it, and returns the Node built-in
 * modules it had loaded by then (test/fixtures/agent/builtins-at-exit.cjs writes them at exit).
 */
export async function builtinsLoadedBy(env: Record<string, string | undefined>): Promise<string[]> {
  const builtinsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'agent-builtins-')), 'builtins.txt');
  const agent = await startAgent({
    env: {
      NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'test/fixtures/agent/builtins-at-exit.cjs')}`,
      BUILTINS_FILE: builtinsFile,
      NODETEL_AGENT_HEARTBEAT: 'off',
      NODETEL_AGENT_DRAIN_MS: '0',
      ...env,
    },
  });
  await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
  const { code } = await agent.stop('SIGTERM');
  if (code !== 0) throw new Error(`the agent exited with ${code}:\n${agent.stdout()}`);
  return readFileSync(builtinsFile, 'utf8').trim().split('\n');
}

/** A PostgreSQL ErrorResponse message ('E') with the given fields (S, C, M...), as a server sends it. */
export function pgErrorResponse(fields: string): Buffer {
  const body = Buffer.from(`${fields}\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** Runs `agent <args>` to completion. */
export function runAgent(args: string[], env: Record<string, string | undefined> = {}): Promise<ScriptResult> {
  return runScript(AGENT_BIN, { preload: false, args, env: { ...cleanNodetel(), ...env }, timeoutMs: 30_000 });
}

/** The app fixture, under the real preload plus the heartbeat, sending to `agent`. */
export async function startWatchedApp(agent: RunningAgent, env: Record<string, string | undefined> = {}, fixture = 'agent/app.cjs'): Promise<RunningApp> {
  const app = await startApp(fixture, {
    env: {
      ...cleanNodetel(),
      NODE_OPTIONS: `--require ${HEARTBEAT_PRELOAD}`,
      NODETEL_AGENT_HEARTBEAT: agent.heartbeatTarget,
      NODETEL_HEARTBEAT_INTERVAL_MS: '100',
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
    },
  });
  started.push(app);
  return app;
}

export interface Probe {
  status: number;
  body: ProbeBody;
}

export interface ProbeBody {
  status: 'ok' | 'fail';
  reason?: string;
  reasons?: string[];
  app: { watched: boolean; state?: string; listening?: boolean; heartbeatAgeSeconds?: number | null; processes?: { pid: number; listening: boolean; eventLoopDelayMs: { p99: number; max: number; maxLastMinute: number } }[] };
  checks?: { name: string; kind: string; required: boolean; target: string; status: string; since: string; latencyMs: number | null; lastError: string | null; runs: number; consecutiveFailures: number }[];
}

export async function probe(url: string): Promise<Probe> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as ProbeBody };
}

/**
 * Polls `read` until `until` accepts its value; rejects after timeoutMs with the last value seen.
 * (There is no event to wait for on another process's HTTP endpoint: we look, briefly, again.)
 */
export async function waitFor<T>(read: () => Promise<T>, until: (value: T) => boolean, opts: { timeoutMs?: number; what: string; everyMs?: number }): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    let value: T | undefined;
    try {
      value = await read();
    } catch (err) {
      lastError = err;
    }
    // Outside the try: an assertion made in `until` fails the test at once.
    if (value !== undefined) {
      last = value;
      if (until(value)) return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what}; last seen: ${JSON.stringify(last)?.slice(0, 2000)}${lastError ? `; last error: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.everyMs ?? 25));
  }
}

export { closeProxies, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * A compiled module of the agent, for unit tests. dist/ has no .d.ts, and importing the agent's
 * TypeScript here would type-check it under the tests' stricter settings, so the exports are
 * typed loosely: the tests assert the shapes themselves.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function agentModule(name: string): Record<string, any> {
  return requireDist(path.join(DIST_AGENT, `${name}.js`)) as Record<string, unknown>;
}

/** What a compiled export returns, as seen from the unit tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;
