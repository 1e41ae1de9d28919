// A recorded span: the API's Span for whoever holds it (our http subscribers, the app through
// @opentelemetry/api) and, once ended, a ReadableSpan for the SDK's OTLP serializer. It is a
// plain object with fixed fields and no per-span closures; the serializer reads it as it is,
// so nothing is copied or converted between end() and the bytes on the wire.
import { trace, type Attributes, type AttributeValue, type Context, type Exception, type HrTime, type Link, type Span, type SpanAttributes, type SpanContext, type SpanKind, type SpanStatus, type TimeInput } from '@opentelemetry/api';
import type { SpanLimits } from '../config';
import { core } from '../lazy';
import { hrDuration, now, toHrTime } from './time';

export interface InstrumentationScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

/** Where ended spans go, and the resource they describe (built when first exported). */
export interface SpanSink {
  readonly limits: SpanLimits;
  readonly resource: unknown;
  onEnd(span: RecordedSpan): void;
}

interface TimedEvent {
  name: string;
  time: HrTime;
  attributes?: Attributes;
  droppedAttributesCount: number;
}

const STATUS_UNSET: SpanStatus = { code: 0 };
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const EMPTY_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const EMPTY_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const STATUS_ERROR = 2;

export class RecordedSpan implements Span {
  name: string;
  endTime: HrTime = [0, 0];
  status: SpanStatus = STATUS_UNSET;
  /** Our own subscribers write well-formed values here directly; setAttribute() checks the app's. */
  attributes: Attributes = {};
  /** The shared empty arrays until the first link or event: most spans have none. */
  links: Link[] = EMPTY_LINKS;
  events: TimedEvent[] = EMPTY_EVENTS;
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributeCount = 0;
  /** Set once the API (the app, or an exception) wrote something: only then is there anything to redact. */
  touched = false;

  constructor(
    private readonly sink: SpanSink,
    readonly instrumentationScope: InstrumentationScope,
    private readonly context: SpanContext,
    name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    readonly startTime: HrTime = now(),
  ) {
    this.name = name;
  }

  get resource(): unknown {
    return this.sink.resource;
  }

  get duration(): HrTime {
    return hrDuration(this.startTime, this.endTime);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.ended || !key || !isAttributeValue(value)) return this;
    this.touched = true;
    const limits = this.sink.limits;
    if (!(key in this.attributes)) {
      if (this.attributeCount >= limits.attributeCountLimit) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    this.attributes[key] = truncate(value, limits.attributeValueLengthLimit);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    this.touched = true;
    if (this.events.length >= this.sink.limits.eventCountLimit) {
      this.droppedEventsCount++;
      return this;
    }
    const isTime = typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    const attributes = isTime ? undefined : cleanAttributes(attributesOrTime as SpanAttributes | undefined);
    if (this.events === EMPTY_EVENTS) this.events = [];
    this.events.push({ name, time: toHrTime(isTime ? (attributesOrTime as TimeInput) : time), attributes, droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= this.sink.limits.linkCountLimit) this.droppedLinksCount++;
    else {
      if (this.links === EMPTY_LINKS) this.links = [];
      this.links.push({ context: link.context, attributes: cleanAttributes(link.attributes) ?? {} });
    }
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended) return this;
    // Per the API: OK is final, and an UNSET never overrides what was set.
    if (this.status.code === 1 || status.code === 0) return this;
    this.status = status.code === STATUS_ERROR && status.message !== undefined ? { code: STATUS_ERROR, message: String(status.message) } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.addEvent('exception', exceptionAttributes(exception), time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    if (endTime === undefined) now(this.endTime);
    else toHrTime(endTime, this.endTime);
    this.ended = true;
    this.sink.onEnd(this);
    // The sink has encoded (or printed) the span. What still holds it (the request's context,
    // kept alive by async work for a while) should not hold its data: that alone doubled the
    // young generation under load.
    this.attributes = EMPTY_ATTRIBUTES;
    this.events = EMPTY_EVENTS;
    this.links = EMPTY_LINKS;
  }
}

/** The semantic-convention attributes of an exception event. */
export function exceptionAttributes(exception: Exception): Attributes {
  if (typeof exception === 'string') return { 'exception.message': exception };
  const attributes: Attributes = {};
  const type = exception.name ?? (exception.code !== undefined ? String(exception.code) : undefined);
  if (type) attributes['exception.type'] = type;
  if (exception.message) attributes['exception.message'] = exception.message;
  if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
  return attributes;
}

function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (limit === Infinity) return value;
  if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) : value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v.length > limit ? v.slice(0, limit) : v)) as AttributeValue;
  return value;
}

function cleanAttributes(attributes: SpanAttributes | undefined): Attributes | undefined {
  return attributes && core().sanitizeAttributes(attributes);
}

function isAttributeValue(value: unknown): value is AttributeValue {
  return core().isAttributeValue(value);
}

/**
 * The span context of ctx's span if it is valid. Ours are valid by construction (ids we made), so
 * only other spans (an extracted parent, a wrapped context) pay for the API's hex checks, which
 * would otherwise run on every log record and child span of every request.
 */
export function validSpanContext(ctx: Context): SpanContext | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined) return undefined;
  if (span instanceof RecordedSpan) return span.spanContext();
  const spanContext = span.spanContext();
  return trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}
