// The logs pipeline: the SDK's LoggerProvider makes and checks the records that come through
// @opentelemetry/api (the app's own, winston's and pino's), and its one processor encodes each
// into the export queue (export/batcher.ts), as spans are: bounded, batched, sent through the
// SDK's OTLP transport, drained synchronously at exit. Our own records (console, access log,
// crashes) are encoded into the same queue directly: we make them, with a few attributes well
// within the limits, and the SDK's LogRecordImpl (a copy of every attribute, limit checks, its
// self-metrics) was a third of what such a line cost. sdk-logs (~200 ms to load) is loaded only
// for records that need it, on the turn after the first one; until then they wait, with their
// time and context, in a short buffer (a library that takes its logger when it loads, as
// winston's and pino's instrumentations do, must not make the app pay for the SDK while it
// starts, and an app that never logs through the API never pays for it).
import type { HrTime, LogRecord, Logger, LoggerProvider as ApiLoggerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, LoggerProvider, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { Batcher } from '../export/batcher';
import type { EncodableLogRecord } from '../export/otlp-encoding';
import type { Redactor } from '../redact';
import { activeContext } from '../trace/context';
import { validSpanContext, type InstrumentationScope } from '../trace/span';
import { toHrTime } from '../trace/time';
import { VERSION } from '../version';

/** Records kept until the SDK is loaded; an app logs a few lines at start, not thousands. */
const EARLY_LIMIT = 1000;

export type LogQueue = Batcher<InstrumentationScope, EncodableLogRecord>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class LogPipeline implements ApiLoggerProvider {
  private provider: LoggerProvider | undefined;
  private readonly own = new Map<string, Logger>();
  private readonly ownScopes = new Map<string, InstrumentationScope>();
  private early: { logger: () => Logger; record: LogRecord }[] = [];
  /** Refilled by ownRecord() for each of our records (one time: observed when emitted). */
  private readonly time: HrTime = [0, 0];
  private readonly encodable: Mutable<EncodableLogRecord> = { hrTime: this.time, hrTimeObserved: this.time, spanContext: undefined, severityNumber: undefined, severityText: undefined, body: undefined, eventName: undefined, attributes: {}, droppedAttributesCount: 0 };
  droppedEarly = 0;

  /** `queue` for OTLP; without one (OTEL_LOGS_EXPORTER=console) records are printed as they come. */
  constructor(
    private readonly queue: LogQueue | undefined,
    private readonly getResource: () => Resource,
    private readonly redactor: Redactor,
  ) {}

  hasEarly(): boolean {
    return this.early.length > 0;
  }

  /** Hands the records kept before the SDK was loaded to it, loading it only if there are any. */
  drainEarly(): void {
    if (this.early.length > 0) this.load();
  }

  /** A record from one of our sources (crashes), under scope nodetel/<source>: redacted here, body and attributes. */
  emit(source: string, record: LogRecord): void {
    this.emitOwn(source, record, true);
  }

  /**
   * A record whose source has masked what came from outside (the access log, console lines):
   * its keys are ours and its other values too, so walking it again would only cost time.
   */
  emitRedacted(source: string, record: LogRecord): void {
    this.emitOwn(source, record, false);
  }

  private emitOwn(source: string, record: LogRecord, redact: boolean): void {
    if (this.queue) this.queue.add(this.ownScope(source), this.ownRecord(record, redact));
    else if (this.provider) this.ownLogger(source).emit(record);
    else this.keepEarly(() => this.ownLogger(source), record);
  }

  /** For @opentelemetry/api logs: the SDK's logger once loaded; until then one whose records wait with the early ones. */
  getLogger(name: string, version?: string, options?: { schemaUrl?: string }): Logger {
    if (this.provider) return this.provider.getLogger(name, version, options);
    let sdkLogger: Logger | undefined;
    const logger = (): Logger => (sdkLogger ??= this.load().getLogger(name, version, options));
    return {
      emit: (record) => {
        if (this.provider) logger().emit(record);
        else this.keepEarly(logger, record);
      },
      enabled: (enabledOptions) => !this.provider || logger().enabled(enabledOptions),
    };
  }

  /** Keeps what the SDK would take from the moment of emitting: the record's time and context. */
  private keepEarly(logger: () => Logger, record: LogRecord): void {
    // The SDK is loaded on the turn after the first such record, not in the middle of whatever
    // emitted it (an app's start-up); an app that never logs through the API never loads it.
    if (this.early.length === 0) setImmediate(() => this.load()).unref();
    if (this.early.length < EARLY_LIMIT) this.early.push({ logger, record: { ...record, timestamp: record.timestamp ?? Date.now(), context: record.context ?? activeContext() } });
    else this.droppedEarly++;
  }

  load(): LoggerProvider {
    if (this.provider) return this.provider;
    const sdk = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
    const queue = this.queue;
    this.provider = new sdk.LoggerProvider({
      resource: this.getResource(),
      processors: [
        queue
          ? {
              onEmit: (record: ReadableLogRecord) => queue.add(record.instrumentationScope, this.redacted(record)),
              forceFlush: () => queue.flush(5000),
              shutdown: () => queue.flush(5000),
            }
          : this.consoleProcessor(sdk),
      ],
    });
    for (const { logger, record } of this.early) logger().emit(record);
    this.early = [];
    return this.provider;
  }

  /**
   * OTEL_LOGS_EXPORTER=console: the SDK's console exporter, printing each record as OTLP would have
   * sent it, redacted (stdout is collected too).
   */
  private consoleProcessor(sdk: typeof import('@opentelemetry/sdk-logs')): LogRecordProcessor {
    const printer = new sdk.SimpleLogRecordProcessor({ exporter: new sdk.ConsoleLogRecordExporter() });
    return {
      onEmit: (record: ReadWriteLogRecord) => printer.onEmit(this.redacted(record) as ReadWriteLogRecord),
      forceFlush: () => printer.forceFlush(),
      shutdown: () => printer.shutdown(),
    };
  }

  /** The record as it may leave the process: body and attributes through the redactor (encoded at once, so a view suffices). */
  private redacted(record: ReadableLogRecord): ReadableLogRecord {
    return {
      hrTime: record.hrTime,
      hrTimeObserved: record.hrTimeObserved,
      spanContext: record.spanContext,
      severityText: record.severityText,
      severityNumber: record.severityNumber,
      body: this.redactor.value(record.body),
      eventName: record.eventName,
      resource: record.resource,
      instrumentationScope: record.instrumentationScope,
      attributes: this.redactor.attributes(record.attributes) as ReadableLogRecord['attributes'],
      droppedAttributesCount: record.droppedAttributesCount,
    };
  }

  /**
   * One of our records as it is encoded: what the SDK would have made of it, redacted (here, or by
   * its source). The queue encodes a record the moment it is added and keeps nothing of it, so
   * this one object and its time are refilled for every record (two allocations fewer per line).
   * Redaction, which may read the app's values, runs before any of it is filled; what is then
   * encoded are strings and numbers, so nothing runs in between that could log again.
   */
  private ownRecord(record: LogRecord, redact: boolean): EncodableLogRecord {
    const attributes = (record.attributes ?? {}) as EncodableLogRecord['attributes'];
    const body = redact ? this.redactor.value(record.body) : record.body;
    const redacted = redact ? (this.redactor.attributes(attributes) as EncodableLogRecord['attributes']) : attributes;
    const r = this.encodable;
    toHrTime(record.timestamp, this.time);
    r.spanContext = validSpanContext(record.context ?? activeContext());
    r.severityNumber = record.severityNumber;
    r.severityText = record.severityText;
    r.body = body;
    r.eventName = record.eventName;
    r.attributes = redacted;
    return r;
  }

  private ownScope(source: string): InstrumentationScope {
    let scope = this.ownScopes.get(source);
    if (!scope) this.ownScopes.set(source, (scope = { name: `nodetel/${source}`, version: VERSION }));
    return scope;
  }

  private ownLogger(source: string): Logger {
    let logger = this.own.get(source);
    if (!logger) this.own.set(source, (logger = this.load().getLogger(`nodetel/${source}`, VERSION)));
    return logger;
  }
}
