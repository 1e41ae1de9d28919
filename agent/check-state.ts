// One check's state over time, with thresholds so that one blip does not flap readiness:
// - pending until the first result (readiness waits for it); the first result decides at once;
// - passing -> failing after `failureThreshold` consecutive failures;
// - failing -> passing after `successThreshold` consecutive successes.
import type { CheckConfig } from './config';
import { isoTime } from './iso-time';

export type CheckStatus = 'pending' | 'passing' | 'failing';

export interface CheckResult {
  ok: boolean;
  /** How long the run took. */
  durationMs: number;
  /** Why it failed: already scrubbed of secrets. */
  error?: string;
  /** When it finished (agent clock, ms). */
  at: number;
}

export interface CheckSnapshot {
  name: string;
  kind: string;
  required: boolean;
  target: string;
  status: CheckStatus;
  /** ISO time of the last change of status (or of the agent's start while pending). */
  since: string;
  /** Duration of the last run, ms. */
  latencyMs: number | null;
  lastRunAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  runs: number;
}

export class CheckState {
  status: CheckStatus = 'pending';
  since: number;
  last: CheckResult | undefined;
  lastError: { message: string; at: number } | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  runs = 0;

  constructor(
    readonly config: CheckConfig,
    startedAt: number,
  ) {
    this.since = startedAt;
  }

  /** Records a result; returns the new status when it changed. */
  record(result: CheckResult): CheckStatus | undefined {
    this.runs++;
    this.last = result;
    if (result.ok) {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
    } else {
      this.consecutiveFailures++;
      this.consecutiveSuccesses = 0;
      this.lastError = { message: result.error ?? 'failed', at: result.at };
    }
    const { failureThreshold, successThreshold } = this.config;
    let next = this.status;
    if (this.status === 'pending') next = result.ok ? 'passing' : 'failing';
    else if (this.status === 'passing' && this.consecutiveFailures >= failureThreshold) next = 'failing';
    else if (this.status === 'failing' && this.consecutiveSuccesses >= successThreshold) next = 'passing';
    if (next === this.status) return undefined;
    this.status = next;
    this.since = result.at;
    return next;
  }

  snapshot(): CheckSnapshot {
    const iso = (t: number | undefined): string | null => (t === undefined ? null : isoTime(t));
    return {
      name: this.config.name,
      kind: this.config.kind,
      required: this.config.required,
      target: this.config.target,
      status: this.status,
      since: isoTime(this.since),
      latencyMs: this.last ? Math.round(this.last.durationMs * 100) / 100 : null,
      lastRunAt: iso(this.last?.at),
      lastError: this.lastError?.message ?? null,
      lastErrorAt: iso(this.lastError?.at),
      consecutiveFailures: this.consecutiveFailures,
      consecutiveSuccesses: this.consecutiveSuccesses,
      runs: this.runs,
    };
  }
}
