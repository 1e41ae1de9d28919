// When the agent runs under the nodetel preload (same NODE_OPTIONS as the app), the preload
// would trace the agent's HTTP checks as client spans. Running them in a context with the
// OpenTelemetry "suppress tracing" key set turns that off. Without the preload nothing is traced
// anyway, and @opentelemetry/api is not even loaded.
import type * as Api from '@opentelemetry/api';

const PRELOAD_STARTED = Symbol.for('nodetel.started');
let suppressed: { api: typeof Api; context: Api.Context } | undefined;

export function suppressTracing<T>(fn: () => T): T {
  if (!(globalThis as Record<symbol, unknown>)[PRELOAD_STARTED]) return fn();
  if (!suppressed) {
    const api = require('@opentelemetry/api') as typeof Api;
    // The key is shared by name with the SDK and the preload (createContextKey uses Symbol.for).
    suppressed = { api, context: api.ROOT_CONTEXT.setValue(api.createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING'), true) };
  }
  return suppressed.api.context.with(suppressed.context, fn);
}
