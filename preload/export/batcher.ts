// A bounded queue of encoded telemetry in front of an exporter. A record (a span) is encoded
// into its scope's buffer the moment it is added, so nothing of it stays on the JS heap: the
// waiting data lives in a few large buffers outside V8's young generation, which otherwise
// grows to keep every queued object alive through scavenges (tens of MB of RSS under load).
// Full batches are cut at once, a few exports run in flight, and past maxQueueSize new
// records are dropped and counted, so memory stays bounded when the Collector is down or slow.
// A cut batch takes its scopes' buffers with it, and they come back for reuse when its export
// settles (writer-pool.ts).
import type { BatchConfig } from '../config';
import { describe, reportOnce } from '../report';
import { runSuppressed } from '../trace/context';
import type { ProtobufWriter } from './protobuf-writer';
import { WriterPool } from './writer-pool';

/** Exports in flight at once: enough to keep up with a busy app, few enough to bound memory. */
export const MAX_CONCURRENT_EXPORTS = 4;

/** The encoded records of one scope in a batch. */
export interface ScopeRecords<S> {
  scope: S;
  bytes: Uint8Array;
}

/** What an export sends: records grouped by scope, framed into a request by the exporter. */
export interface Batch<S> {
  groups: ScopeRecords<S>[];
  count: number;
}

export interface Exporter<S> {
  /** Resolves when the Collector accepted the batch; rejects with the reason otherwise. */
  export(batch: Batch<S>): Promise<void>;
  /** At process exit, where nothing asynchronous can run: send synchronously, within the deadline. */
  exportSync(batch: Batch<S>, timeoutMillis: number): void;
  shutdown(): Promise<void>;
}

export interface BatcherStats {
  exported: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
}

interface Accumulator {
  writer: ProtobufWriter;
  count: number;
}

/** A cut batch and the buffers its records are in, until its export settles. */
interface Pending<S> {
  batch: Batch<S>;
  writers: ProtobufWriter[];
}

/** An export under way. */
interface Flight<S> extends Pending<S> {
  done: Promise<void>;
}

export class Batcher<S, R> {
  readonly stats: BatcherStats = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  private readonly accumulators = new Map<S, Accumulator>();
  private waiting = 0;
  private readonly ready: Pending<S>[] = [];
  private readyCount = 0;
  private readonly inFlight = new Set<Flight<S>>();
  /** One spare writer per export in flight. */
  private readonly writers = new WriterPool(MAX_CONCURRENT_EXPORTS);
  private timer: NodeJS.Timeout | undefined;
  private timerIsImmediate = false;
  private exporter: Exporter<S> | undefined;

  constructor(
    private readonly signal: string,
    private readonly config: BatchConfig,
    private readonly encode: (writer: ProtobufWriter, record: R) => void,
    private readonly createExporter: () => Exporter<S>,
  ) {}

  add(scope: S, record: R): void {
    if (this.waiting + this.readyCount >= this.config.maxQueueSize) {
      this.stats.droppedQueueFull++;
      reportOnce(`${this.signal} queue full (${this.config.maxQueueSize}); new ${this.signal} are dropped and counted until the Collector catches up`, `${this.signal}-full`);
      return;
    }
    let accumulator = this.accumulators.get(scope);
    if (!accumulator) this.accumulators.set(scope, (accumulator = { writer: this.writers.take(), count: 0 }));
    this.encode(accumulator.writer, record);
    accumulator.count++;
    if (++this.waiting >= this.config.maxExportBatchSize) {
      this.cut();
      this.schedule(0);
    } else {
      this.schedule(this.config.scheduledDelayMillis);
    }
  }

  hasPending(): boolean {
    return this.waiting > 0 || this.ready.length > 0 || this.inFlight.size > 0;
  }

  /** Loads and builds the exporter ahead of the first export. */
  prepare(): void {
    this.getExporter();
  }

  /** Sends everything queued; resolves when done or when timeoutMillis have passed. */
  async flush(timeoutMillis: number): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    this.cut();
    while (this.hasPending() && Date.now() < deadline) {
      this.cut();
      this.sendReady();
      if (this.inFlight.size === 0) break;
      await Promise.race([Promise.race([...this.inFlight].map((f) => f.done)), sleep(deadline - Date.now())]);
    }
  }

  /** What is queued or still in flight, sent synchronously (for the process 'exit' event), within timeoutMillis in all. */
  drainSync(timeoutMillis: number): void {
    const deadline = Date.now() + timeoutMillis;
    this.cut();
    const batches = [...[...this.inFlight].map((f) => f.batch), ...this.ready.map((p) => p.batch)];
    this.inFlight.clear();
    this.ready.length = 0;
    this.readyCount = 0;
    for (const batch of batches) {
      try {
        this.getExporter().exportSync(batch, deadline - Date.now());
        this.stats.exported += batch.count;
      } catch (err) {
        this.stats.droppedExportFailed += batch.count;
        reportOnce(`${this.signal} could not be sent at exit (${describe(err)})`);
      }
    }
  }

  /** What was lost, for the exit report: including what is still unsent when the process goes. */
  droppedSummary(): string | undefined {
    const { droppedQueueFull, droppedExportFailed } = this.stats;
    let unsent = this.waiting + this.readyCount;
    for (const f of this.inFlight) unsent += f.batch.count;
    const total = droppedQueueFull + droppedExportFailed + unsent;
    if (total === 0) return undefined;
    return `${total} ${this.signal} dropped (${droppedQueueFull} with the queue full, ${droppedExportFailed} in failed exports, ${unsent} unsent at exit)`;
  }

  /** Moves everything waiting into a ready batch, which takes the scopes' writers; the accumulators get spare ones. */
  private cut(): void {
    if (this.waiting === 0) return;
    const groups: ScopeRecords<S>[] = [];
    const writers: ProtobufWriter[] = [];
    for (const [scope, accumulator] of this.accumulators) {
      if (accumulator.count === 0) continue;
      groups.push({ scope, bytes: accumulator.writer.written() });
      writers.push(accumulator.writer);
      accumulator.writer = this.writers.take();
      accumulator.count = 0;
    }
    this.ready.push({ batch: { groups, count: this.waiting }, writers });
    this.readyCount += this.waiting;
    this.waiting = 0;
  }

  private schedule(delayMillis: number): void {
    if (this.timer !== undefined) {
      // Already due at least as soon: re-arming on every add would push a busy app's send back forever.
      if (delayMillis > 0 || this.timerIsImmediate) return;
      clearTimeout(this.timer);
    }
    const immediate = (this.timerIsImmediate = delayMillis === 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A delay that ran out sends what waits, however little. A send that is due only because a
      // batch filled up (or an export finished) leaves the records since to fill the next batch:
      // cutting them too would double the exports, each costing far more than its records.
      if (!immediate) this.cut();
      this.sendReady();
      if (this.waiting > 0) this.schedule(this.config.scheduledDelayMillis);
    }, delayMillis);
    // Waiting records must never keep the process alive: exit paths flush them (see shutdown.ts).
    this.timer.unref();
  }

  private sendReady(): void {
    while (this.ready.length > 0 && this.inFlight.size < MAX_CONCURRENT_EXPORTS) {
      const pending = this.ready.shift()!;
      this.readyCount -= pending.batch.count;
      const flight: Flight<S> = { ...pending, done: Promise.resolve() };
      flight.done = this.send(flight);
      this.inFlight.add(flight);
    }
  }

  private async send(flight: Flight<S>): Promise<void> {
    const { batch, writers } = flight;
    let exporting = Promise.resolve();
    try {
      // Exporting must not trace itself (an http/protobuf exporter's own requests, say).
      exporting = runSuppressed(() => this.getExporter().export(batch));
      await withTimeout(exporting, this.config.exportTimeoutMillis);
      this.stats.exported += batch.count;
    } catch (err) {
      this.stats.droppedExportFailed += batch.count;
      reportOnce(`${this.signal} export failed (${describe(err)}); ${this.signal} that cannot be sent are dropped and counted`, `${this.signal}-failed`);
    }
    this.inFlight.delete(flight);
    // The batch's buffers are reused once the exporter is done with them: now, unless the wait timed out.
    const reuse = () => {
      for (const writer of writers) this.writers.give(writer);
    };
    exporting.then(reuse, reuse);
    if (this.ready.length > 0) this.schedule(0);
  }

  private getExporter(): Exporter<S> {
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
