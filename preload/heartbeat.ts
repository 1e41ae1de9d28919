// The app's side of the agent's liveness and readiness: every `intervalMillis` a small JSON
// datagram goes to the agent over loopback UDP, saying which process this is, how delayed its
// event loop has been since the last one (perf_hooks.monitorEventLoopDelay) and whether a server
// is listening. A blocked event loop sends nothing, and that silence is what the agent's
// liveness measures. An extra heartbeat goes out as soon as a server starts or stops listening,
// so readiness follows the app without waiting for the next tick.
//
// Self-contained on purpose (no imports from the rest of the preload): it must never throw into
// the app nor keep the process alive. Every handle is unref'd; any unexpected error turns the
// heartbeat off and is reported once on stderr. Starting it twice in one process is a no-op, and
// inside the agent itself (which may run under the same NODE_OPTIONS) it stops at once.
import { createSocket, type Socket } from 'node:dgram';
import { tracingChannel } from 'node:diagnostics_channel';
import { isIP } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';

export interface HeartbeatOptions {
  /** Where the agent listens: `udp://127.0.0.1:4319`, `udp://[::1]:4319`, `udp://localhost:4319`. */
  target: string;
  /** How often a heartbeat is sent; the agent's liveness threshold should be several of these. */
  intervalMillis: number;
}

/** The wire format, version 1. The agent ignores datagrams that do not match it. */
export interface HeartbeatMessage {
  v: 1;
  /** Always "nodetel.heartbeat", so a stray datagram is never taken for one. */
  type: 'nodetel.heartbeat';
  pid: number;
  /** Random per process start: tells a restarted process with the same pid apart. */
  instance: string;
  seq: number;
  /** Whether at least one server of this process is listening. */
  listening: boolean;
  /** Event-loop delay since the previous heartbeat, in milliseconds. */
  delayMs: { p50: number; p99: number; max: number; mean: number };
  uptimeSeconds: number;
}

const STARTED = Symbol.for('nodetel.heartbeat.started');
/**
 * Package managers that start the app (`NODE_OPTIONS=... npm start`) load the preload too, and
 * stay alive while the app runs: their heartbeat would say "alive" for an app that is blocked.
 */
const PACKAGE_MANAGER = /[\\/](npm-cli|npx-cli|yarn|pnpm|corepack)\.c?js$/;
/** Set by the agent on itself: a heartbeat from the agent's own process must never count for the app. */
const AGENT = Symbol.for('nodetel.agent');
/** Servers we watch for `listening`, bounded: an app opens a handful. */
const MAX_SERVERS = 64;

interface Listenable {
  listening: boolean;
  once(event: 'close', listener: () => void): unknown;
}

export function startHeartbeat(options: HeartbeatOptions): void {
  try {
    const g = globalThis as Record<symbol, unknown>;
    // A worker thread's loop is not the app's: its heartbeat would hide a blocked main thread.
    if (g[STARTED] || !isMainThread) return;
    g[STARTED] = true;
    if (PACKAGE_MANAGER.test(process.argv[1] ?? '')) return;
    const target = parseTarget(options.target);
    if (typeof target === 'string') {
      say(`heartbeat not started: ${target}`);
      return;
    }
    const interval = Number.isFinite(options.intervalMillis) && options.intervalMillis >= 10 ? Math.floor(options.intervalMillis) : 5000;
    new Heartbeat(target, interval).start();
  } catch (err) {
    say(`heartbeat not started: ${describe(err)}`);
  }
}

class Heartbeat {
  private readonly instance = randomBytes(8).toString('hex');
  private readonly servers = new Set<WeakRef<Listenable>>();
  private readonly seen = new WeakSet<Listenable>();
  private socket: Socket | undefined;
  private histogram: ReturnType<typeof monitorEventLoopDelay> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private seq = 0;
  private on = true;
  /** When the interval timer last fired, and the longest it has been late since the last heartbeat. */
  private lastTick = performance.now();
  private lateMs = 0;
  private readonly subscribers = {
    asyncEnd: (message: unknown): void => this.guard(() => this.watch((message as { server?: Listenable }).server)),
    start: noop,
    end: noop,
    asyncStart: noop,
    error: noop,
  };

  constructor(
    private readonly target: { host: string; port: number; family: 4 | 6 },
    private readonly intervalMillis: number,
  ) {}

  start(): void {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => this.guard(() => this.tick()), this.intervalMillis).unref();
    // net publishes listen() on this tracing channel (Node >= 20.5): servers are found without
    // patching anything, and asyncEnd comes once the server is actually listening.
    tracingChannel('net.server.listen').subscribe(this.subscribers);
    this.soon();
  }

  private watch(server: Listenable | undefined): void {
    if (!server || typeof server.once !== 'function') return;
    this.prune();
    if (!this.seen.has(server) && this.servers.size < MAX_SERVERS) {
      this.seen.add(server);
      this.servers.add(new WeakRef(server));
    }
    server.once('close', () => this.guard(() => this.soon()));
    this.soon();
  }

  /** One extra heartbeat on the next turn of the loop (coalesced). */
  private soon(): void {
    if (this.pending || !this.on) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.guard(() => this.send());
    }, 0).unref();
  }

  /**
   * The interval timer: how late it fires is the event-loop delay as the app's own timers feel it.
   * The histogram's sample of a long block may land just after this heartbeat is sent, so both count.
   */
  private tick(): void {
    const now = performance.now();
    this.lateMs = Math.max(this.lateMs, now - this.lastTick - this.intervalMillis);
    this.lastTick = now;
    this.send();
  }

  private send(): void {
    if ((globalThis as Record<symbol, unknown>)[AGENT]) {
      this.stop();
      return;
    }
    const h = this.histogram!;
    const ms = (ns: number): number => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    const message: HeartbeatMessage = {
      v: 1,
      type: 'nodetel.heartbeat',
      pid: process.pid,
      instance: this.instance,
      seq: ++this.seq,
      listening: this.isListening(),
      // With no sample yet the histogram reports its extremes; count == 0 means "nothing measured".
      delayMs: h.count > 0 ? { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) } : { p50: 0, p99: 0, max: 0, mean: 0 },
      uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
    };
    message.delayMs.max = Math.max(message.delayMs.max, Math.round(this.lateMs * 100) / 100);
    this.lateMs = 0;
    h.reset();
    const socket = this.ensureSocket();
    socket.send(JSON.stringify(message), this.target.port, this.target.host, () => {
      // Nobody listening (the agent not started yet or restarting) is normal: nothing to say.
    });
  }

  private ensureSocket(): Socket {
    if (!this.socket) {
      this.socket = createSocket(this.target.family === 6 ? 'udp6' : 'udp4');
      this.socket.on('error', () => {});
      this.socket.unref();
    }
    return this.socket;
  }

  private isListening(): boolean {
    this.prune();
    for (const ref of this.servers) if (ref.deref()?.listening) return true;
    // Servers that started listening before we subscribed (or unseen by the channel) still show up here.
    try {
      const resources = process.getActiveResourcesInfo();
      return resources.includes('TCPServerWrap') || resources.includes('PipeServerWrap');
    } catch {
      return false;
    }
  }

  private prune(): void {
    for (const ref of this.servers) if (ref.deref() === undefined) this.servers.delete(ref);
  }

  private guard(fn: () => void): void {
    if (!this.on) return;
    try {
      fn();
    } catch (err) {
      this.stop();
      say(`heartbeat disabled after an internal error (${describe(err)}); the app is unaffected`);
    }
  }

  private stop(): void {
    if (!this.on) return;
    this.on = false;
    clearInterval(this.timer);
    clearTimeout(this.pending);
    try {
      tracingChannel('net.server.listen').unsubscribe(this.subscribers);
    } catch {
      // Best effort: the subscriber is a no-op once we are off.
    }
    this.histogram?.disable();
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }
}

/** `udp://host:port` into its parts, or a message saying what is wrong. */
function parseTarget(target: string): { host: string; port: number; family: 4 | 6 } | string {
  let url: URL;
  try {
    url = new URL(String(target).trim());
  } catch {
    return `NODETEL_AGENT_HEARTBEAT="${target}" is not a URL; expected udp://127.0.0.1:4319`;
  }
  if (url.protocol !== 'udp:') return `NODETEL_AGENT_HEARTBEAT="${target}" must start with udp://, e.g. udp://127.0.0.1:4319`;
  const port = Number(url.port);
  if (!url.port || !Number.isInteger(port) || port < 1 || port > 65535) return `NODETEL_AGENT_HEARTBEAT="${target}" needs a port, e.g. udp://127.0.0.1:4319`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) return `NODETEL_AGENT_HEARTBEAT="${target}" needs a host, e.g. udp://127.0.0.1:4319`;
  return { host, port, family: isIP(host) === 6 ? 6 : 4 };
}

function noop(): void {}

function say(message: string): void {
  try {
    process.stderr.write(`nodetel: ${message}\n`);
  } catch {
    // stderr closed: nothing left to tell.
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
