// CLIENT spans for global fetch and the undici package, from undici's diagnostics channels
// (Node's bundled undici and the npm package publish the same ones). Headers are added through
// the request's own addHeader() before it is dispatched; the span ends when the body is done.
import { subscribe } from 'node:diagnostics_channel';
import { SpanKind, trace, type Span, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { guarded } from '../report';
import { REQUEST_ID_KEY, activeContext, isSuppressed } from '../trace/context';
import { RecordedSpan } from '../trace/span';
import type { LeanTracer } from '../trace/tracer';
import { errorType, normalizeMethod } from './attributes';
import { maskUrlTarget } from './query';
import { REQUEST_ID_HEADER } from './request-id';

const SPAN = Symbol('nodetel.fetchSpan');

interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  headers: string | string[];
  addHeader(name: string, value: string): unknown;
  [SPAN]?: Span;
}

const CLIENT = { kind: SpanKind.CLIENT };

const headerSetter: TextMapSetter<UndiciRequest> = {
  set: (request, key, value) => request.addHeader(key, value),
};

export function traceFetch(tracer: LeanTracer, propagator: TextMapPropagator): void {
  subscribe(
    'undici:request:create',
    guarded('fetch tracing', (message) => {
      const request = (message as { request: UndiciRequest }).request;
      const ctx = activeContext();
      if (isSuppressed(ctx)) return;
      const method = normalizeMethod(request.method);
      const span = tracer.startSpan(method, CLIENT, ctx);
      if (span instanceof RecordedSpan) {
        const origin = new URL(String(request.origin));
        const a = span.attributes;
        a['http.request.method'] = method;
        a['server.address'] = origin.hostname.replace(/^\[|\]$/g, '');
        a['server.port'] = origin.port ? Number(origin.port) : origin.protocol === 'https:' ? 443 : 80;
        a['url.full'] = `${origin.origin}${maskUrlTarget(request.path)}`;
      }
      propagator.inject(trace.setSpan(ctx, span), request, headerSetter);
      const requestId = ctx.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string' && !hasHeader(request.headers, REQUEST_ID_HEADER)) request.addHeader(REQUEST_ID_HEADER, requestId);
      request[SPAN] = span;
    }),
  );

  subscribe(
    'undici:request:headers',
    guarded('fetch tracing', (message) => {
      const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
      const span = request[SPAN];
      if (!(span instanceof RecordedSpan)) return;
      span.attributes['http.response.status_code'] = response.statusCode;
      if (response.statusCode >= 400) {
        span.attributes['error.type'] = String(response.statusCode);
        span.setStatus({ code: 2 });
      }
    }),
  );

  subscribe(
    'undici:request:trailers',
    guarded('fetch tracing', (message) => {
      const { request } = message as { request: UndiciRequest };
      const span = request[SPAN];
      request[SPAN] = undefined;
      span?.end();
    }),
  );

  subscribe(
    'undici:request:error',
    guarded('fetch tracing', (message) => {
      const { request, error } = message as { request: UndiciRequest; error: Error };
      const span = request[SPAN];
      if (!(span instanceof RecordedSpan)) return;
      request[SPAN] = undefined;
      span.recordException(error);
      span.attributes['error.type'] = errorType(error);
      span.setStatus({ code: 2, message: error.message });
      span.end();
    }),
  );
}

/** undici keeps headers as a flat [name, value, ...] array (or a raw "name: value\r\n" string in old versions). */
function hasHeader(headers: string | string[], name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]?.toLowerCase() === name) return true;
    return false;
  }
  return headers.toLowerCase().includes(`${name}:`);
}
