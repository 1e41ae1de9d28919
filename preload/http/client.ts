// CLIENT spans and the client duration metric for http.request / http.get / https, from
// node:http's diagnostics channels. `http.client.request.created` fires in the ClientRequest
// constructor, before any header is sent, so that is where traceparent and x-request-id are
// added; `request.start` would be too late. The call ends when the response body ends (or the
// request fails).
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { SpanKind, trace, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import type { HttpMetrics } from '../metrics/http-metrics';
import type { Redactor } from '../redact';
import { guarded } from '../report';
import { REQUEST_ID_KEY, activeContext, isSuppressed } from '../trace/context';
import type { LeanTracer } from '../trace/tracer';
import { normalizeMethod, parseHost } from './attributes';
import { OutgoingCall } from './outgoing-call';
import { maskUrlTarget } from './query';
import { REQUEST_ID_HEADER } from './request-id';

const CALL = Symbol('nodetel.clientCall');

interface TracedClientRequest extends ClientRequest {
  [CALL]?: OutgoingCall;
}

const CLIENT = { kind: SpanKind.CLIENT };

const headerSetter: TextMapSetter<ClientRequest> = {
  set: (request, key, value) => request.setHeader(key, value),
};

export function traceHttpClients(tracer: LeanTracer, propagator: TextMapPropagator, metrics: HttpMetrics | undefined, redactor: Redactor): void {
  subscribe(
    'http.client.request.created',
    guarded('http client tracing', (message) => {
      const request = (message as { request: TracedClientRequest }).request;
      const ctx = activeContext();
      if (isSuppressed(ctx) || request.headersSent) return;
      const method = normalizeMethod(request.method);
      const hostHeader = request.getHeader('host');
      const authority = typeof hostHeader === 'string' ? hostHeader : request.host;
      const host = parseHost(authority, request.protocol === 'https:' ? 443 : 80);
      const span = tracer.startSpan(method, CLIENT, ctx);
      const call = new OutgoingCall(span, metrics, method, host.address ?? request.host, host.port, `${request.protocol}//${authority}${maskUrlTarget(request.path, redactor)}`);
      propagator.inject(trace.setSpan(ctx, span), request, headerSetter);
      const requestId = ctx.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string' && !request.hasHeader(REQUEST_ID_HEADER)) request.setHeader(REQUEST_ID_HEADER, requestId);
      request[CALL] = call;
    }),
  );

  subscribe(
    'http.client.response.finish',
    guarded('http client tracing', (message) => {
      const { request, response } = message as { request: TracedClientRequest; response: IncomingMessage };
      const call = request[CALL];
      if (!call) return;
      call.responded(response.statusCode ?? 0);
      // The body may still be streaming: the call is over when it ends, or when it is torn down.
      const end = () => {
        request[CALL] = undefined;
        call.end();
      };
      response.once('end', end);
      response.once('close', end);
    }),
  );

  subscribe(
    'http.client.request.error',
    guarded('http client tracing', (message) => {
      const { request, error } = message as { request: TracedClientRequest; error: Error };
      const call = request[CALL];
      if (!call) return;
      request[CALL] = undefined;
      call.failed(error);
    }),
  );
}
