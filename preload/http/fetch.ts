// CLIENT spans and the client duration metric for global fetch and the undici package, from
// undici's diagnostics channels (Node's bundled undici and the npm package publish the same
// ones). Headers are added through the request's own addHeader() before it is dispatched; the
// call ends when the body is done.
import { subscribe } from 'node:diagnostics_channel';
import { SpanKind, trace, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import type { HttpMetrics } from '../metrics/http-metrics';
import type { Redactor } from '../redact';
import { guarded } from '../report';
import { REQUEST_ID_KEY, activeContext, isSuppressed } from '../trace/context';
import type { LeanTracer } from '../trace/tracer';
import { normalizeMethod } from './attributes';
import { OutgoingCall } from './outgoing-call';
import { maskUrlTarget } from './query';
import { REQUEST_ID_HEADER } from './request-id';

const CALL = Symbol('nodetel.fetchCall');

interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  headers: string | string[];
  addHeader(name: string, value: string): unknown;
  [CALL]?: OutgoingCall;
}

const CLIENT = { kind: SpanKind.CLIENT };

const headerSetter: TextMapSetter<UndiciRequest> = {
  set: (request, key, value) => request.addHeader(key, value),
};

export function traceFetch(tracer: LeanTracer, propagator: TextMapPropagator, metrics: HttpMetrics | undefined, redactor: Redactor): void {
  subscribe(
    'undici:request:create',
    guarded('fetch tracing', (message) => {
      const request = (message as { request: UndiciRequest }).request;
      const ctx = activeContext();
      if (isSuppressed(ctx)) return;
      const method = normalizeMethod(request.method);
      const origin = new URL(String(request.origin));
      const port = origin.port ? Number(origin.port) : origin.protocol === 'https:' ? 443 : 80;
      const span = tracer.startSpan(method, CLIENT, ctx);
      request[CALL] = new OutgoingCall(span, metrics, method, origin.hostname.replace(/^\[|\]$/g, ''), port, `${origin.origin}${maskUrlTarget(request.path, redactor)}`);
      propagator.inject(trace.setSpan(ctx, span), request, headerSetter);
      const requestId = ctx.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string' && !hasHeader(request.headers, REQUEST_ID_HEADER)) request.addHeader(REQUEST_ID_HEADER, requestId);
    }),
  );

  subscribe(
    'undici:request:headers',
    guarded('fetch tracing', (message) => {
      const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
      request[CALL]?.responded(response.statusCode);
    }),
  );

  subscribe(
    'undici:request:trailers',
    guarded('fetch tracing', (message) => {
      const { request } = message as { request: UndiciRequest };
      const call = request[CALL];
      request[CALL] = undefined;
      call?.end();
    }),
  );

  subscribe(
    'undici:request:error',
    guarded('fetch tracing', (message) => {
      const { request, error } = message as { request: UndiciRequest; error: Error };
      const call = request[CALL];
      request[CALL] = undefined;
      call?.failed(error);
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
