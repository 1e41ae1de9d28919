// `agent run`: the probe server, the heartbeat receiver, the check scheduler and the metrics,
// wired together. Side effects come in through AgentOptions (clock, log), so tests can drive it.
import { AppState } from './app-state';
import { CheckState, type CheckResult, type CheckStatus } from './check-state';
import type { AgentConfig } from './config';
import { startHeartbeatReceiver, type HeartbeatReceiver } from './heartbeat-receiver';
import type { Logger } from './log';
import { startOtlpMetrics, type OtlpMetrics } from './metrics/otlp';
import { PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from './metrics/prometheus';
import { Probes } from './probes';
import { Scheduler } from './scheduler';
import { startServer, type AgentServer } from './server';

export interface AgentOptions {
  log: Logger;
  now?: () => number;
}

export interface RunningAgent {
  /** http://host:port of the probe server. */
  url: string;
  port: number;
  /** Where heartbeats are received, when the app is watched. */
  heartbeat: { host: string; port: number } | undefined;
  probes: Probes;
  /** /readyz answers 503 from now on; everything else keeps working. */
  drain(): void;
  /** Stops the checks, the receiver and the server, and flushes the metrics. Once. */
  close(): Promise<void>;
}

export async function startAgent(config: AgentConfig, { log, now = Date.now }: AgentOptions): Promise<RunningAgent> {
  const startedAt = now();
  const app = new AppState();
  const states = config.checks.map((c) => new CheckState(c, startedAt));
  const probes = new Probes(config, app, states, now, startedAt);
  const prometheus = new PrometheusMetrics();
  const otlp: OtlpMetrics | undefined = config.otlp ? startOtlpMetrics(config.otlp, states, probes, log) : undefined;

  let receiver: HeartbeatReceiver | undefined;
  let server: AgentServer | undefined;
  try {
    if (config.app.heartbeat) receiver = await startHeartbeatReceiver(config.app.heartbeat, app, now, log);
    server = await startServer(config.server, {
      liveness: () => probes.liveness(),
      readiness: () => probes.readiness(),
      startup: () => probes.startup(),
      metrics: () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: prometheus.render(states, probes) }),
    });
  } catch (err) {
    await receiver?.close();
    await otlp?.shutdown(100);
    throw err;
  }

  const scheduler = new Scheduler(states, now, (state, result, changed) => {
    prometheus.observe(state.config, result.durationMs / 1000);
    otlp?.observe(state.config, result.durationMs / 1000);
    if (changed) logChange(log, state, result, changed);
  });
  scheduler.start();
  const watcher = watchProbes(probes, log, Math.max(100, Math.min(1000, config.app.livenessThresholdMs / 4)));

  const heartbeat = receiver?.address;
  const checks = config.checks.map((c) => `${c.name} (${c.kind}${c.required ? '' : ', optional'})`).join(', ') || 'none';
  log.info(`listening on ${server.url}; ${heartbeat ? `heartbeat on udp://${heartbeat.host}:${heartbeat.port}` : 'app not watched (heartbeat off)'}; checks: ${checks}`, {
    url: server.url,
    heartbeat: heartbeat ? `udp://${heartbeat.host}:${heartbeat.port}` : null,
  });

  let closing: Promise<void> | undefined;
  const srv = server;
  return {
    url: srv.url,
    port: srv.port,
    heartbeat,
    probes,
    drain: () => probes.startDraining(),
    close: () =>
      (closing ??= (async () => {
        clearInterval(watcher);
        await scheduler.stop();
        await receiver?.close();
        await srv.close();
        await otlp?.shutdown(Math.min(config.otlp?.exportTimeoutMs ?? 0, 5000));
      })()),
  };
}

function logChange(log: Logger, state: CheckState, result: CheckResult, changed: CheckStatus): void {
  const { name, kind, required } = state.config;
  const label = `check ${name} (${kind}${required ? '' : ', optional'})`;
  const fields = { check: name, kind, required, status: changed, latencyMs: Math.round(result.durationMs * 100) / 100 };
  if (changed === 'failing') log.warn(`${label} is failing: ${state.lastError?.message ?? 'failed'}${required ? '' : ' (optional: readiness unaffected)'}`, fields);
  else log.info(`${label} is passing (${fields.latencyMs} ms)`, fields);
}

/** Logs when liveness or readiness change, so a restart or a pod leaving the load balancer can be explained afterwards. */
function watchProbes(probes: Probes, log: Logger, everyMs: number): NodeJS.Timeout {
  let live: boolean | undefined;
  let ready: boolean | undefined;
  const look = (): void => {
    const l = probes.liveness();
    if (l.ok !== live) {
      if (live !== undefined || !l.ok) (l.ok ? log.info : log.warn)(`liveness: ${l.ok ? 'ok' : `failing: ${l.body.reason}`}`, { probe: 'liveness', ok: l.ok });
      live = l.ok;
    }
    const r = probes.readiness();
    if (r.ok !== ready) {
      if (ready !== undefined || r.ok) (r.ok ? log.info : log.warn)(`readiness: ${r.ok ? 'ok' : `failing: ${r.body.reason}`}`, { probe: 'readiness', ok: r.ok });
      ready = r.ok;
    }
  };
  return setInterval(look, everyMs).unref();
}
