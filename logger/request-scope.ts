// What a line logged inside a request carries: the request's id, method and route, its trace
// and span ids, and the fields bound with bindContext(). Each request gets its own scope,
// entered when node:http announces the request (the channel the preload uses too), so what one
// request binds never shows in another, not even in the next one on the same keep-alive
// connection, and a field bound anywhere in the request is there for the rest of it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { routeOf, type FrameworkRequest } from '../preload/frameworks/route';
import { normalizeMethod } from '../preload/http/attributes';
import { REQUEST_ID_KEY } from '../preload/trace/context';
import type { BoundFields } from './types';

interface Scope {
  request?: FrameworkRequest;
  fields: BoundFields;
}

const scopes = new AsyncLocalStorage<Scope>();

subscribe('http.server.request.start', (message) => {
  try {
    scopes.enterWith({ request: (message as { request: FrameworkRequest }).request, fields: {} });
  } catch {
    // A logger must never break a request.
  }
});

export function bindContext(fields: BoundFields): void {
  const scope = scopes.getStore();
  if (scope) Object.assign(scope.fields, fields);
  else scopes.enterWith({ fields: { ...fields } });
}

/**
 * The request's fields: request_id (the preload's), http.request.method, http.route (once a
 * framework matched one), trace_id and span_id (of the active span, under the preload) and the
 * bound fields; `withTrace` false leaves out the ids that an OTLP record carries as its context.
 */
export function requestFields(withTrace: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ctx = context.active();
  // REQUEST_ID_KEY is Symbol.for-based, so this reads the preload's value even from another copy of the package.
  const requestId = ctx.getValue(REQUEST_ID_KEY);
  if (typeof requestId === 'string') out.request_id = requestId;
  const scope = scopes.getStore();
  if (scope?.request) {
    out['http.request.method'] = normalizeMethod(scope.request.method);
    const route = routeOf(scope.request);
    if (route) out['http.route'] = route;
  }
  if (withTrace) {
    const span = trace.getSpanContext(ctx);
    if (span && isSpanContextValid(span)) {
      out.trace_id = span.traceId;
      out.span_id = span.spanId;
    }
  }
  if (scope) Object.assign(out, scope.fields);
  return out;
}
