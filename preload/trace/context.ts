// The active context lives in one AsyncLocalStorage. The OpenTelemetry API reads it through
// ContextStorage (registered as the global context manager); the http subscribers write to it
// with enterWith(), which is how a channel subscriber can make a request's context current for
// the handler that node:http calls right after the channel fires, without wrapping anything.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, createContextKey, type Context, type ContextManager } from '@opentelemetry/api';

const storage = new AsyncLocalStorage<Context>();

/** The request id of the request being handled (see http/request-id.ts). */
export const REQUEST_ID_KEY = createContextKey('nodetel request id');
/**
 * The same id as telemetry carries it, masked once at the request's start (Redactor.generated
 * for one of ours), so that each record does not scan it again.
 */
export const LOGGED_REQUEST_ID_KEY = createContextKey('nodetel logged request id');
/** The key the OpenTelemetry SDK uses to switch tracing off for a context (shared by name). */
export const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
/** A context in which nothing is traced: health checks run in it. */
export const SUPPRESSED_CONTEXT = ROOT_CONTEXT.setValue(SUPPRESS_TRACING_KEY, true);

export function activeContext(): Context {
  return storage.getStore() ?? ROOT_CONTEXT;
}

/** Makes ctx current for the rest of this synchronous run and the async work it starts. */
export function enterContext(ctx: Context): void {
  storage.enterWith(ctx);
}

/** Runs fn with tracing switched off for it and everything it starts. */
export function runSuppressed<T>(fn: () => T): T {
  return storage.run(SUPPRESSED_CONTEXT, fn);
}

export function isSuppressed(ctx: Context): boolean {
  return ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}

export class ContextStorage implements ContextManager {
  active(): Context {
    return activeContext();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return storage.run(ctx, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    storage.disable();
    return this;
  }
}
