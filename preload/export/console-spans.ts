// OTEL_TRACES_EXPORTER=console: each span printed when it ends, by the SDK's console exporter.
// For looking at spans while developing, so no batching and no queue.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { sdkTrace } from '../lazy';
import type { RecordedSpan } from '../trace/span';

let exporter: SpanExporter | undefined;

export function printSpan(span: RecordedSpan): void {
  exporter ??= new (sdkTrace().ConsoleSpanExporter)();
  exporter.export([span as unknown as ReadableSpan], () => undefined);
}
