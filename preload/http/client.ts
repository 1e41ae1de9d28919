// CLIENT spans for http.request / http.get / https, from node:http's diagnostics channels.
// `http.client.request.created` fires in the ClientRequest constructor, before any header is
// sent, so that is where traceparent and x-request-id are added; `request.start` would be too
// late. The span ends when the response body ends (or the request fails).
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { SpanKind, trace, type Span, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { guarded } from '../report';
import { REQUEST_ID_KEY, activeContext, isSuppressed } from '../trace/context';
import { RecordedSpan } from '../trace/span';
import type { LeanTracer } from '../trace/tracer';
import { errorType, normalizeMethod, parseHost } from './attributes';
import { maskUrlTarget } from './query';
import { REQUEST_ID_HEADER } from './request-id';

const SPAN = Symbol('nodetel.clientSpan');

interface TracedClientRequest extends ClientRequest {
  [SPAN]?: Span;
}

const CLIENT = { kind: SpanKind.CLIENT };

const headerSetter: TextMapSetter<ClientRequest> = {
  set: (request, key, value) => request.setHeader(key, value),
};

export function traceHttpClients(tracer: LeanTracer, propagator: TextMapPropagator): void {
  subscribe(
    'http.client.request.created',
    guarded('http client tracing', (message) => {
      const request = (message as { request: TracedClientRequest }).request;
      const ctx = activeContext();
      if (isSuppressed(ctx) || request.headersSent) return;
      const method = normalizeMethod(request.method);
      const span = tracer.startSpan(method, CLIENT, ctx);
      if (span instanceof RecordedSpan) {
        const https = request.protocol === 'https:';
        const hostHeader = request.getHeader('host');
        const host = parseHost(typeof hostHeader === 'string' ? hostHeader : request.host, https ? 443 : 80);
        const a = span.attributes;
        a['http.request.method'] = method;
        a['server.address'] = host.address ?? request.host;
        a['server.port'] = host.port;
        a['url.full'] = `${request.protocol}//${typeof hostHeader === 'string' ? hostHeader : request.host}${maskUrlTarget(request.path)}`;
      }
      propagator.inject(trace.setSpan(ctx, span), request, headerSetter);
      const requestId = ctx.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string' && !request.hasHeader(REQUEST_ID_HEADER)) request.setHeader(REQUEST_ID_HEADER, requestId);
      request[SPAN] = span;
    }),
  );

  subscribe(
    'http.client.response.finish',
    guarded('http client tracing', (message) => {
      const { request, response } = message as { request: TracedClientRequest; response: IncomingMessage };
      const span = request[SPAN];
      if (!(span instanceof RecordedSpan)) return;
      const status = response.statusCode ?? 0;
      span.attributes['http.response.status_code'] = status;
      if (status >= 400) {
        span.attributes['error.type'] = String(status);
        span.setStatus({ code: 2 });
      }
      // The body may still be streaming: the call is over when it ends, or when it is torn down.
      const end = () => {
        request[SPAN] = undefined;
        span.end();
      };
      response.once('end', end);
      response.once('close', end);
    }),
  );

  subscribe(
    'http.client.request.error',
    guarded('http client tracing', (message) => {
      const { request, error } = message as { request: TracedClientRequest; error: Error };
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
