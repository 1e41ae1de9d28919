// What the agent knows about the app, from its heartbeats (see preload/heartbeat.ts): one record
// per process (an app may run several, e.g. with node:cluster), bounded. The app is alive while
// its freshest heartbeat is recent; it is listening when a recent heartbeat says so.

import type { HeartbeatMessage } from '../preload/heartbeat';

/** A heartbeat as the preload sends it (preload/heartbeat.ts), less its envelope. */
export type Heartbeat = Omit<HeartbeatMessage, 'v' | 'type'>;

export interface ProcessRecord extends Heartbeat {
  /** When the agent received it (agent clock, ms). */
  receivedAt: number;
  /** When this process was first heard of. */
  firstSeenAt: number;
  /** Whether this process has ever reported a listening server. */
  everListened: boolean;
  /** The longest event-loop delay reported over roughly the last minute (two 30 s buckets). */
  window: { start: number; current: number; previous: number };
}

const MAX_PROCESSES = 64;
const WINDOW_MS = 30_000;

export class AppState {
  private readonly processes = new Map<string, ProcessRecord>();
  /** When the first heartbeat ever arrived. */
  firstHeartbeatAt: number | undefined;
  /** When a heartbeat first said a server was listening. */
  firstListeningAt: number | undefined;
  received = 0;

  record(beat: Heartbeat, at: number): void {
    this.received++;
    const key = `${beat.pid}/${beat.instance}`;
    const previous = this.processes.get(key);
    this.processes.delete(key); // re-inserted last: the map stays in order of freshness
    const window = previous?.window ?? { start: at, current: 0, previous: 0 };
    if (at - window.start >= WINDOW_MS) {
      window.previous = at - window.start >= 2 * WINDOW_MS ? 0 : window.current;
      window.current = 0;
      window.start = at;
    }
    window.current = Math.max(window.current, beat.delayMs.max);
    this.processes.set(key, { ...beat, receivedAt: at, firstSeenAt: previous?.firstSeenAt ?? at, everListened: (previous?.everListened ?? false) || beat.listening, window });
    if (this.processes.size > MAX_PROCESSES) this.processes.delete(this.processes.keys().next().value!);
    this.firstHeartbeatAt ??= at;
    if (beat.listening) this.firstListeningAt ??= at;
  }

  /**
   * The most recent heartbeat of the app. Once some process has listened, only processes that have
   * are the app: a wrapper that shares the app's NODE_OPTIONS (a process manager, a script runner)
   * keeps sending heartbeats while the app itself is blocked, and must not keep liveness up.
   */
  freshest(): ProcessRecord | undefined {
    let last: ProcessRecord | undefined;
    let lastServer: ProcessRecord | undefined;
    for (const p of this.processes.values()) {
      last = p;
      if (p.everListened) lastServer = p;
    }
    return lastServer ?? last;
  }

  /** The longest event-loop delay any process reported in about the last minute, ms (undefined before any heartbeat). */
  maxDelayMs(now: number): number | undefined {
    let max: number | undefined;
    for (const p of this.processes.values()) {
      if (now - p.receivedAt > 2 * WINDOW_MS) continue;
      max = Math.max(max ?? 0, recentMax(p, now));
    }
    return max;
  }

  /** Processes heard from within `withinMs`, freshest first. */
  recent(now: number, withinMs: number): ProcessRecord[] {
    return [...this.processes.values()].filter((p) => now - p.receivedAt <= withinMs).reverse();
  }
}

/** A heartbeat datagram, or undefined when it is not one (anything may arrive on a UDP port). */
export function parseHeartbeat(data: Buffer): Heartbeat | undefined {
  if (data.length > 4096) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.v !== 1 || o.type !== 'nodetel.heartbeat') return undefined;
  if (!Number.isInteger(o.pid) || typeof o.instance !== 'string' || o.instance.length > 64 || typeof o.listening !== 'boolean') return undefined;
  const d = (o.delayMs ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    pid: o.pid as number,
    instance: o.instance,
    seq: num(o.seq),
    listening: o.listening,
    delayMs: { p50: num(d.p50), p99: num(d.p99), max: num(d.max), mean: num(d.mean) },
    uptimeSeconds: num(o.uptimeSeconds),
  };
}

/** The max of the process's window as of `now` (a bucket older than the window no longer counts). */
export function recentMax(p: ProcessRecord, now: number): number {
  const age = now - p.window.start;
  if (age >= 2 * WINDOW_MS) return 0;
  if (age >= WINDOW_MS) return p.window.current;
  return Math.max(p.window.current, p.window.previous);
}
