// A SERVER span for every request to a node:http or node:https server, from node:http's own
// diagnostics channels, so CommonJS and ESM apps alike are seen with a plain --require and
// nothing of the server, the request or the response is wrapped. The request's context is
// entered when its request.start message is published, which node:http does synchronously
// right before it emits 'request': the app's handler and all the async work it starts run in it.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ROOT_CONTEXT, SpanKind, type TextMapGetter, type TextMapPropagator } from '@opentelemetry/api';
import { REQUEST_ERROR, routeOf, type FrameworkRequest } from '../frameworks/route';
import type { Redactor } from '../redact';
import { guarded } from '../report';
import { SUPPRESSED_CONTEXT, enterContext } from '../trace/context';
import { RequestContext } from '../trace/request-context';
import { RecordedSpan, exceptionAttributes } from '../trace/span';
import type { LeanTracer } from '../trace/tracer';
import { ABORTED, ABORTED_REQUEST_CHANNEL, type AbortedRequest } from './aborted-requests';
import { normalizeMethod, parseHost, pathOf, serverErrorType } from './attributes';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { ENDED_AT, STARTED_AT, timeServerRequests, type TimedRequest } from './request-times';

const CONTEXT = Symbol('nodetel.requestContext');

interface TracedRequest extends FrameworkRequest, TimedRequest {
  /** The request's context (its span, its id), kept from its start for whatever reads it at its end. */
  [CONTEXT]?: RequestContext;
}

/**
 * The context a traced request was handled in, from its start to its end (the access log's
 * record at the end is made in it); undefined for requests never traced (health checks).
 */
export function requestContextOf(request: IncomingMessage): RequestContext | undefined {
  return (request as TracedRequest)[CONTEXT];
}

interface ServerMessage {
  request: TracedRequest;
  response: ServerResponse;
  socket: TLSSocket;
}

const headerGetter: TextMapGetter<IncomingMessage['headers']> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

export interface ServerTracingOptions {
  tracer: LeanTracer;
  propagator: TextMapPropagator;
  ignoredPaths: Set<string>;
  redactor: Redactor;
}

export function traceHttpServers({ tracer, propagator, ignoredPaths, redactor }: ServerTracingOptions): void {
  timeServerRequests();
  /**
   * server.address and server.port from the Host header, the address masked (the client wrote it):
   * a server sees the same few Host headers again and again, so the last one is kept worked out.
   */
  let lastHost: { header: string | undefined; defaultPort: number; address: string | undefined; port: number } | undefined;
  const serverAddress = (header: string | undefined, defaultPort: number): { address: string | undefined; port: number } => {
    if (lastHost === undefined || lastHost.header !== header || lastHost.defaultPort !== defaultPort) {
      const { address, port } = parseHost(header, defaultPort);
      lastHost = { header, defaultPort, address: address && redactor.string(address), port };
    }
    return lastHost;
  };
  subscribe(
    'http.server.request.start',
    guarded('http server tracing', (message) => {
      const { request, response, socket } = message as ServerMessage;
      const url = request.url ?? '/';
      const q = url.indexOf('?');
      const path = pathOf(url);
      if (ignoredPaths.has(path)) {
        enterContext(SUPPRESSED_CONTEXT);
        return;
      }
      const headers = request.headers;
      const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
      const method = normalizeMethod(request.method);
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, startTime: request[STARTED_AT] }, parent);
      const sentId = headers[REQUEST_ID_HEADER];
      const requestId = requestIdFrom(sentId);
      const loggedRequestId = requestId === sentId ? redactor.string(requestId) : redactor.generated(requestId);
      response.setHeader(REQUEST_ID_HEADER, requestId);
      if (span instanceof RecordedSpan) {
        const encrypted = socket?.encrypted === true;
        const host = serverAddress(headers.host, encrypted ? 443 : 80);
        const a = span.attributes;
        a['http.request.method'] = method;
        if (method === '_OTHER' && request.method) a['http.request.method_original'] = request.method;
        a['url.scheme'] = encrypted ? 'https' : 'http';
        // What the client sent can carry personal data or secrets (an e-mail in a path, a token
        // as a request id, anything in a Host header): masked here, once, as our own attributes
        // are not redacted again at end.
        a['url.path'] = redactor.string(path);
        if (q !== -1) a['url.query'] = redactor.queryString(url.slice(q + 1));
        if (host.address) a['server.address'] = host.address;
        a['server.port'] = host.port;
        const client = socket?.remoteAddress;
        if (client) a['client.address'] = client;
        const userAgent = headers['user-agent'];
        if (userAgent) a['user_agent.original'] = redactor.string(userAgent);
        a['network.protocol.version'] = request.httpVersion;
        a['http.request.header.x-request-id'] = [loggedRequestId];
      }
      const context = new RequestContext(parent, span, requestId, loggedRequestId);
      request[CONTEXT] = context;
      enterContext(context);
    }),
  );

  subscribe(
    'http.server.response.finish',
    guarded('http server tracing', (message) => {
      const { request, response } = message as ServerMessage;
      endSpan(request, response, undefined);
    }),
  );

  subscribe(
    ABORTED_REQUEST_CHANNEL,
    guarded('http server tracing', (message) => {
      const { request, response } = message as AbortedRequest;
      endSpan(request, response, ABORTED);
    }),
  );
}

/** Ends the request's span: at its response's finish, or when its connection closed first (`aborted`). */
function endSpan(request: TracedRequest, response: ServerResponse, aborted: typeof ABORTED | undefined): void {
  const span = request[CONTEXT]?.span;
  if (!(span instanceof RecordedSpan) || span.ended) return;
  const a = span.attributes;
  // An aborted response has a status code only if its head was sent.
  const status = aborted === undefined || response.headersSent ? response.statusCode : undefined;
  if (status !== undefined) a['http.response.status_code'] = status;
  const route = routeOf(request);
  if (route) {
    a['http.route'] = route;
    span.name = `${a['http.request.method']} ${route}`;
  }
  const error = request[REQUEST_ERROR];
  if (error !== undefined) span.addEvent('exception', exceptionAttributes(error as Error));
  const type = aborted ?? serverErrorType(status!, error);
  if (type !== undefined) {
    a['error.type'] = type;
    const description = aborted ? 'the connection closed before the response was complete' : error instanceof Error ? error.message : undefined;
    span.setStatus({ code: 2, message: description });
  }
  // The end as read before any subscriber's work (request-times.ts): the span covers the response and nothing of ours.
  span.end(request[ENDED_AT]);
}
