// The answers to the three probes, computed from state the agent already holds: never does a
// probe request reach a dependency. Liveness looks at the app only (its heartbeat): a restart
// fixes a blocked event loop, never a database that is down. Readiness needs the app listening
// and every required check passing. Startup says whether the app has come up at all.
import { recentMax, type AppState, type ProcessRecord } from './app-state';
import type { CheckState, CheckSnapshot } from './check-state';
import type { AgentConfig } from './config';
import { formatDuration } from './config/duration';

export interface ProbeAnswer {
  ok: boolean;
  body: ProbeBody;
}

export interface ProbeBody {
  status: 'ok' | 'fail';
  /** Why the probe fails (all reasons, joined); absent when it passes. */
  reason?: string;
  reasons?: string[];
  app: AppSummary;
  checks?: CheckSnapshot[];
}

export interface AppSummary {
  /** False when the agent is configured not to watch the app (NODETEL_AGENT_HEARTBEAT=off). */
  watched: boolean;
  state?: 'waiting' | 'alive' | 'silent';
  /** Age of the freshest heartbeat, seconds. */
  heartbeatAgeSeconds?: number | null;
  listening?: boolean;
  processes?: { pid: number; listening: boolean; heartbeatAgeSeconds: number; eventLoopDelayMs: { p99: number; max: number; maxLastMinute: number }; uptimeSeconds: number }[];
}

export class Probes {
  private drainingSince: number | undefined;

  constructor(
    private readonly config: AgentConfig,
    readonly app: AppState,
    readonly checks: readonly CheckState[],
    readonly now: () => number,
    readonly startedAt: number,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= this.now();
  }

  liveness(): ProbeAnswer {
    const now = this.now();
    const reason = this.appFailure(now);
    return answer(reason ? [reason] : [], this.appSummary(now));
  }

  readiness(): ProbeAnswer {
    const now = this.now();
    const reasons: string[] = [];
    if (this.draining) reasons.push('the agent is shutting down (SIGTERM received): draining');
    if (this.config.app.heartbeat) {
      const failure = this.appFailure(now);
      const freshest = this.app.freshest();
      if (failure) reasons.push(failure);
      else if (!freshest) reasons.push(`waiting for the app's first heartbeat`);
      else if (this.config.app.requireListening && !this.listening(now)) reasons.push('the app reports no listening server');
    }
    for (const check of this.checks) {
      if (!check.config.required) continue;
      const { name, kind } = check.config;
      if (check.status === 'pending') reasons.push(`check ${name} (${kind}) has no result yet`);
      else if (check.status === 'failing') reasons.push(`check ${name} (${kind}) is failing: ${check.lastError?.message ?? 'failed'}`);
    }
    return answer(reasons, this.appSummary(now), this.checks.map((c) => c.snapshot()));
  }

  startup(): ProbeAnswer {
    const now = this.now();
    const reasons: string[] = [];
    if (this.config.app.heartbeat) {
      if (this.app.firstHeartbeatAt === undefined) reasons.push(`waiting for the app's first heartbeat`);
      else if (this.config.app.requireListening && this.app.firstListeningAt === undefined) reasons.push('waiting for the app to listen');
    }
    return answer(reasons, this.appSummary(now));
  }

  /** Age in seconds of the freshest heartbeat, or undefined before the first one. */
  heartbeatAgeSeconds(): number | undefined {
    const last = this.app.freshest();
    return last ? Math.max(0, this.now() - last.receivedAt) / 1000 : undefined;
  }

  /** Why liveness fails now, or undefined. */
  private appFailure(now: number): string | undefined {
    const { heartbeat, livenessThresholdMs, startupGraceMs } = this.config.app;
    if (!heartbeat) return undefined;
    const last = this.app.freshest();
    if (!last) {
      const waited = now - this.startedAt;
      if (waited <= startupGraceMs) return undefined;
      return `no heartbeat from the app since the agent started ${seconds(waited)} ago (startup grace ${formatDuration(startupGraceMs)}): is the app running under the nodetel preload with NODETEL_AGENT_HEARTBEAT=udp://${hostPort(heartbeat)}?`;
    }
    const age = now - last.receivedAt;
    if (age <= livenessThresholdMs) return undefined;
    return `no heartbeat from the app (pid ${last.pid}) for ${seconds(age)} (threshold ${formatDuration(livenessThresholdMs)}): its event loop is blocked or the process stopped`;
  }

  private listening(now: number): boolean {
    return this.app.recent(now, this.config.app.livenessThresholdMs).some((p) => p.listening);
  }

  private appSummary(now: number): AppSummary {
    if (!this.config.app.heartbeat) return { watched: false };
    const last = this.app.freshest();
    const processes = this.app.recent(now, this.config.app.livenessThresholdMs).map((p: ProcessRecord) => ({
      pid: p.pid,
      listening: p.listening,
      heartbeatAgeSeconds: round3((now - p.receivedAt) / 1000),
      eventLoopDelayMs: { p99: p.delayMs.p99, max: p.delayMs.max, maxLastMinute: recentMax(p, now) },
      uptimeSeconds: p.uptimeSeconds,
    }));
    return {
      watched: true,
      state: !last ? 'waiting' : this.appFailure(now) ? 'silent' : 'alive',
      heartbeatAgeSeconds: last ? round3((now - last.receivedAt) / 1000) : null,
      listening: this.listening(now),
      processes,
    };
  }
}

function answer(reasons: string[], app: AppSummary, checks?: CheckSnapshot[]): ProbeAnswer {
  const ok = reasons.length === 0;
  const body: ProbeBody = ok ? { status: 'ok', app } : { status: 'fail', reason: reasons.join('; '), reasons, app };
  if (checks) body.checks = checks;
  return { ok, body };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The address the app should send to: a wildcard bind is reached on loopback. */
function hostPort(a: { host: string; port: number; family: 4 | 6 }): string {
  const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
  return `${a.family === 6 ? `[${host}]` : host}:${a.port}`;
}
