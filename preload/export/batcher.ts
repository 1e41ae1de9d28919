// A bounded queue in front of an exporter: items wait here until a batch is full or the
// schedule delay passes; a few exports may be in flight at once, so a fast app does not
// outrun a single round trip; and nothing grows without bound while the Collector is down or
// slow: past maxQueueSize new items are dropped and counted.
import type { BatchConfig } from '../config';
import { describe, reportOnce } from '../report';
import { runSuppressed } from '../trace/context';

export interface Exporter<T> {
  /** Resolves when the Collector accepted the batch; rejects with the reason otherwise. */
  export(items: T[]): Promise<void>;
  /** At process exit, where nothing asynchronous can run: send synchronously, within the deadline. */
  exportSync(items: T[], timeoutMillis: number): void;
  shutdown(): Promise<void>;
}

/** Exports in flight at once: enough to keep up with a busy app, few enough to bound memory. */
const MAX_CONCURRENT_EXPORTS = 4;

interface Batch<T> {
  items: T[];
  done: Promise<void>;
}

export interface BatcherStats {
  exported: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
}

export class Batcher<T> {
  readonly stats: BatcherStats = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  private queue: T[] = [];
  private readonly inFlight = new Set<Batch<T>>();
  private timer: NodeJS.Timeout | undefined;
  private timerIsImmediate = false;
  private exporter: Exporter<T> | undefined;

  constructor(
    private readonly signal: string,
    private readonly config: BatchConfig,
    private readonly createExporter: () => Exporter<T>,
  ) {}

  add(item: T): void {
    if (this.queue.length >= this.config.maxQueueSize) {
      this.stats.droppedQueueFull++;
      reportOnce(`${this.signal} queue full (${this.config.maxQueueSize}); new ${this.signal} are dropped and counted until the Collector catches up`, `${this.signal}-full`);
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= this.config.maxExportBatchSize) this.schedule(0);
    else this.schedule(this.config.scheduledDelayMillis);
  }

  /** Sends everything queued; resolves when done or when timeoutMillis have passed. */
  async flush(timeoutMillis: number): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    while (this.hasPending() && Date.now() < deadline) {
      while (this.queue.length > 0 && this.inFlight.size < MAX_CONCURRENT_EXPORTS) this.sendNext();
      await Promise.race([Promise.race([...this.inFlight].map((b) => b.done)), sleep(deadline - Date.now())]);
    }
  }

  /** What is queued or still in flight, sent synchronously (for the process 'exit' event). */
  drainSync(timeoutMillis: number): void {
    const items = [...[...this.inFlight].flatMap((b) => b.items), ...this.queue];
    this.queue = [];
    this.inFlight.clear();
    if (items.length === 0) return;
    try {
      this.getExporter().exportSync(items, timeoutMillis);
    } catch (err) {
      this.stats.droppedExportFailed += items.length;
      reportOnce(`${this.signal} could not be sent at exit (${describe(err)})`);
    }
  }

  hasPending(): boolean {
    return this.queue.length > 0 || this.inFlight.size > 0;
  }

  /** Loads and builds the exporter ahead of the first export. */
  prepare(): void {
    this.getExporter();
  }

  /** What was lost, for the exit report: including what is still unsent when the process goes. */
  droppedSummary(): string | undefined {
    const { droppedQueueFull, droppedExportFailed } = this.stats;
    const unsent = this.queue.length + [...this.inFlight].reduce((n, b) => n + b.items.length, 0);
    const total = droppedQueueFull + droppedExportFailed + unsent;
    if (total === 0) return undefined;
    return `${total} ${this.signal} dropped (${droppedQueueFull} with the queue full, ${droppedExportFailed} in failed exports, ${unsent} unsent at exit)`;
  }

  private schedule(delayMillis: number): void {
    if (this.timer !== undefined) {
      // Already due at least as soon: re-arming on every add would push a busy app's send back forever.
      if (delayMillis > 0 || this.timerIsImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerIsImmediate = delayMillis === 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendNext();
    }, delayMillis);
    // Waiting spans must never keep the process alive: exit paths flush them (see shutdown.ts).
    this.timer.unref();
  }

  /** Starts one export of up to a batch, if the queue has items and a slot is free. */
  private sendNext(): void {
    if (this.queue.length === 0 || this.inFlight.size >= MAX_CONCURRENT_EXPORTS) return;
    const batch: Batch<T> = { items: this.queue.splice(0, this.config.maxExportBatchSize), done: Promise.resolve() };
    batch.done = this.send(batch.items).finally(() => {
      this.inFlight.delete(batch);
      if (this.queue.length >= this.config.maxExportBatchSize) this.schedule(0);
      else if (this.queue.length > 0) this.schedule(this.config.scheduledDelayMillis);
    });
    this.inFlight.add(batch);
    if (this.queue.length >= this.config.maxExportBatchSize) this.schedule(0);
  }

  private async send(items: T[]): Promise<void> {
    try {
      // Exporting must not trace itself (an http/protobuf exporter's own requests, say).
      const exported = runSuppressed(() => this.getExporter().export(items));
      await withTimeout(exported, this.config.exportTimeoutMillis);
      this.stats.exported += items.length;
    } catch (err) {
      this.stats.droppedExportFailed += items.length;
      reportOnce(`${this.signal} export failed (${describe(err)}); ${this.signal} that cannot be sent are dropped and counted`, `${this.signal}-failed`);
    }
  }

  private getExporter(): Exporter<T> {
    return (this.exporter ??= this.createExporter());
  }
}

/** Rejects if `promise` has not settled within `millis`; the timer is cleared either way, so nothing is held once it settles. */
async function withTimeout(promise: Promise<void>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${millis} ms`)), millis);
    timer.unref();
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, millis)).unref());
}
