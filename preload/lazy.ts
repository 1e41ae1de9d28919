// The OpenTelemetry SDK packages cost tens of milliseconds each to load (core ~20 ms, the gRPC
// exporter ~70 ms on Node 24). A process that never serves or makes a request must not pay
// for them, so they are loaded on first use (or by warmUp() once the app is running).
import type * as Core from '@opentelemetry/core';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type * as Resources from '@opentelemetry/resources';

function once<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}

export const core = once((): typeof Core => require('@opentelemetry/core'));
export const sdkTrace = once((): typeof SdkTrace => require('@opentelemetry/sdk-trace'));
export const resources = once((): typeof Resources => require('@opentelemetry/resources'));
