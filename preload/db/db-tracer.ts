// The TracerProvider handed to the maintained database instrumentations. It passes their spans
// through to ours and finishes them the same way for every library, which none of them does
// alike: db.query.text with its literals replaced before it is ever stored (pg and mysql2 keep
// the values of a non-parameterised query), db.operation.name when the instrumentation leaves it
// out (pg, mysql2), the span named `{operation} {namespace}` as the conventions ask (pg says
// `pg.query:SELECT test`, ioredis `get`), error.type and an exception event on a failure
// (mysql2 sets only the status), and db.client.operation.duration recorded here, on our lean
// path, for sampled and unsampled operations alike.
import { SpanStatusCode, type AttributeValue, type Attributes, type Context, type Exception, type Link, type Span, type SpanAttributes, type SpanContext, type SpanOptions, type SpanStatus, type TimeInput, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { describe, reportOnce } from '../report';
import { startActiveSpan } from '../trace/tracer';
import { withoutQuotedValues } from './sanitize-error';
import { sanitizeSql, sqlOperationName, type SqlDialect } from './sanitize-sql';

const QUERY_TEXT = 'db.query.text';
const OPERATION = 'db.operation.name';
const SYSTEM = 'db.system.name';
const NAMESPACE = 'db.namespace';
const ERROR_TYPE = 'error.type';

const DIALECTS: Record<string, SqlDialect> = { postgresql: 'postgresql', mysql: 'mysql', mariadb: 'mysql' };

/** Where each finished operation is counted: db.client.operation.duration (metrics/db-metrics.ts). */
export interface OperationRecorder {
  operationFinished(system: string, operation: string, namespace: string | undefined, errorType: string | undefined, seconds: number): void;
}

export class DbTracerProvider implements TracerProvider {
  constructor(
    private readonly inner: TracerProvider,
    private readonly metrics: OperationRecorder | undefined,
  ) {}

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    return new DbTracer(this.inner.getTracer(name, version, options), this.metrics);
  }
}

class DbTracer implements Tracer {
  constructor(
    private readonly inner: Tracer,
    private readonly metrics: OperationRecorder | undefined,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx?: Context): Span {
    const attributes: Attributes = { ...options.attributes };
    const text = attributes[QUERY_TEXT];
    if (text !== undefined) attributes[QUERY_TEXT] = sanitized(attributes, text);
    const span = this.inner.startSpan(name, { ...options, attributes }, ctx);
    return new DbSpan(span, attributes, this.metrics);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    return startActiveSpan(this, name, a, b, c);
  }
}

/** Our span, seen through a wrapper that keeps what the metric and the finishing touches need. */
class DbSpan implements Span {
  private readonly start = performance.now();
  private failed = false;
  private errorType: string | undefined;
  private failure: string | undefined;

  constructor(
    private readonly inner: Span,
    /** What the instrumentation said about the operation, kept even when the span is not recorded. */
    private readonly attributes: Attributes,
    private readonly metrics: OperationRecorder | undefined,
  ) {}

  spanContext(): SpanContext {
    return this.inner.spanContext();
  }

  isRecording(): boolean {
    return this.inner.isRecording();
  }

  setAttribute(key: string, value: AttributeValue): this {
    const safe = key === QUERY_TEXT ? sanitized(this.attributes, value) : value;
    this.attributes[key] = safe;
    this.inner.setAttribute(key, safe);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (value !== undefined) this.setAttribute(key, value);
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    this.inner.addEvent(name, attributesOrTime, time);
    return this;
  }

  addLink(link: Link): this {
    this.inner.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.inner.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (status.code === SpanStatusCode.ERROR) {
      this.failed = true;
      this.failure = status.message === undefined ? undefined : withoutQuotedValues(status.message);
      this.inner.setStatus({ code: status.code, message: this.failure });
      return this;
    }
    this.inner.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.inner.updateName(name);
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.errorType ??= errorTypeOf(exception);
    this.inner.recordException(withoutValues(exception), time);
  }

  end(endTime?: TimeInput): void {
    const seconds = (performance.now() - this.start) / 1000;
    try {
      this.finish(seconds);
    } catch (err) {
      reportOnce(`database span details skipped (${describe(err)}); the app is unaffected`);
    }
    this.inner.end(endTime);
  }

  private finish(seconds: number): void {
    const a = this.attributes;
    const system = typeof a[SYSTEM] === 'string' ? a[SYSTEM] : undefined;
    const namespace = a[NAMESPACE] === undefined || a[NAMESPACE] === '' ? undefined : String(a[NAMESPACE]);
    let operation = typeof a[OPERATION] === 'string' ? a[OPERATION].toUpperCase() : undefined;
    if (operation === undefined && typeof a[QUERY_TEXT] === 'string' && system !== undefined && DIALECTS[system]) operation = sqlOperationName(a[QUERY_TEXT]);
    const errorType = this.failed ? (this.errorType ?? '_OTHER') : undefined;
    if (this.inner.isRecording()) {
      if (operation !== undefined) this.inner.setAttribute(OPERATION, operation);
      // Without an operation (pg.connect, redis-connect) the instrumentation's own name says more.
      if (operation !== undefined) this.inner.updateName(namespace === undefined ? operation : `${operation} ${namespace}`);
      if (errorType !== undefined) {
        this.inner.setAttribute(ERROR_TYPE, errorType);
        // mysql2 reports a failure through the status alone; the event carries it to the backend's error views.
        if (this.errorType === undefined) this.inner.recordException({ name: errorType, message: this.failure ?? 'failed' });
      }
    }
    // Connection set-up (pg.connect, redis-connect) has no operation and is not one.
    if (system !== undefined && operation !== undefined) this.metrics?.operationFinished(system, operation, namespace, errorType, seconds);
  }
}

/** The statement with its literals replaced; Redis text is already built without values (sanitize-redis.ts). */
function sanitized(attributes: Attributes, text: AttributeValue): AttributeValue {
  const system = attributes[SYSTEM];
  const dialect = typeof system === 'string' ? DIALECTS[system] : undefined;
  return dialect && typeof text === 'string' ? sanitizeSql(text, dialect) : text;
}

/**
 * The exception as the span shows it, its message (and the copy of it in the stack) without the
 * values it may quote. A copy: the app's own error object is left as it is.
 */
function withoutValues(exception: Exception): Exception {
  if (typeof exception === 'string') return withoutQuotedValues(exception);
  const { name, message, stack, code } = exception as Error & { code?: string | number };
  if (typeof message !== 'string') return exception;
  const safe = withoutQuotedValues(message);
  if (safe === message) return exception;
  return { name, message: safe, stack: stack?.replace(message, safe), code };
}

/** error.type: the database's error code (pg's SQLSTATE, mysql2's ER_*) when there is one, else the exception's class. */
function errorTypeOf(exception: Exception): string {
  // pg records a sentence rather than the error: "PostgreSQL error of type 'error' occurred (code: 42P01)".
  if (typeof exception === 'string') return /\(code: ([0-9A-Z]{5})\)/.exec(exception)?.[1] ?? '_OTHER';
  const code = (exception as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  return exception.name || '_OTHER';
}
