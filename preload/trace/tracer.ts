// The TracerProvider behind both our own instrumentation and the app's @opentelemetry/api
// calls. It samples with the SDK's samplers, makes RecordedSpans, and hands sampled ones to the
// span queue when they end.
import { INVALID_SPAN_CONTEXT, SpanKind, context, trace, type Context, type Link, type Sampler, type Span, type SpanContext, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { Config, SpanLimits } from '../config';
import type { Redactor } from '../redact';
import { sdkTrace } from '../lazy';
import { activeContext, isSuppressed } from './context';
import { newSpanId, newTraceId } from './ids';
import { RecordedSpan, validSpanContext, type InstrumentationScope, type SpanSink } from './span';
import { toHrTime } from './time';

const SAMPLED = 1;
const NOT_RECORD = 0;
const RECORD_AND_SAMPLED = 2;
/** What the sampler (which only reads them) sees for a span started without attributes or links. */
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

export class LeanTracerProvider implements TracerProvider, SpanSink {
  readonly limits: SpanLimits;
  private readonly tracers = new Map<string, LeanTracer>();
  private sampler: Sampler | undefined;

  constructor(
    private readonly config: Config,
    private readonly onSampledEnd: (span: RecordedSpan) => void,
    private readonly getResource: () => unknown,
    private readonly redactor: Redactor,
  ) {
    this.limits = config.traces.limits;
  }

  get resource(): unknown {
    return this.getResource();
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): LeanTracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (!tracer) {
      tracer = new LeanTracer(this, { name, version, schemaUrl: options?.schemaUrl });
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  onEnd(span: RecordedSpan): void {
    if (!(span.spanContext().traceFlags & SAMPLED)) return;
    // Our own attributes are known-safe (url.query is redacted where it is set); what the API
    // wrote, the app's attributes and exception events, passes the redactor before it leaves.
    if (span.touched) {
      span.attributes = this.redactor.attributes(span.attributes) as Attributes;
      for (const event of span.events) if (event.attributes) event.attributes = this.redactor.attributes(event.attributes) as Attributes;
    }
    this.onSampledEnd(span);
  }

  /** Starts a span as the SDK would: child of ctx's span, sampled by OTEL_TRACES_SAMPLER. */
  start(scope: InstrumentationScope, name: string, kind: SpanKind, ctx: Context, options?: SpanOptions): Span {
    const validParent = options?.root ? undefined : validSpanContext(ctx);
    const traceId = validParent ? validParent.traceId : newTraceId();
    const spanId = newSpanId();
    const links: Link[] = options?.links ?? NO_LINKS;
    const result = this.getSampler().shouldSample(ctx, traceId, name, kind, options?.attributes ?? NO_ATTRIBUTES, links);
    const traceState = result.traceState ?? validParent?.traceState;
    const spanContext: SpanContext = { traceId, spanId, traceFlags: result.decision === RECORD_AND_SAMPLED ? SAMPLED : 0, traceState };
    if (result.decision === NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new RecordedSpan(this, scope, spanContext, name, kind, validParent, options?.startTime === undefined ? undefined : toHrTime(options.startTime));
    if (result.attributes) span.setAttributes(result.attributes);
    if (options?.attributes) span.setAttributes(options.attributes);
    if (links.length) span.addLinks(links);
    return span;
  }

  private getSampler(): Sampler {
    return (this.sampler ??= buildSampler(this.config.traces.sampler, this.config.traces.samplerRatio));
  }
}

export class LeanTracer implements Tracer {
  constructor(
    private readonly provider: LeanTracerProvider,
    readonly scope: InstrumentationScope,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx: Context = activeContext()): Span {
    if (isSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return this.provider.start(this.scope, name, options?.kind ?? SpanKind.INTERNAL, ctx, options);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    return startActiveSpan(this, name, a, b, c);
  }
}

/**
 * Tracer.startActiveSpan on top of `tracer.startSpan`, for every tracer of ours: the API's three
 * overloads (fn; options, fn; options, context, fn) resolved in one place.
 */
export function startActiveSpan<F extends (span: Span) => unknown>(
  tracer: Pick<Tracer, 'startSpan'>,
  name: string,
  a?: SpanOptions | F,
  b?: Context | F,
  c?: F,
): ReturnType<F> {
  const fn = (c ?? b ?? a) as F;
  const options = typeof a === 'function' ? undefined : a;
  const parent = typeof b === 'function' || b === undefined ? activeContext() : b;
  const span = tracer.startSpan(name, options, parent);
  return context.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
}

function buildSampler(name: Config['traces']['sampler'], ratio: number): Sampler {
  const { AlwaysOnSampler, AlwaysOffSampler, TraceIdRatioBasedSampler, ParentBasedSampler } = sdkTrace();
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
