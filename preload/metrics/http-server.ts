// Feeds the server RED metrics from node:http's diagnostics channels, on subscriptions of its
// own: metrics do not depend on tracing being on, exported or sampled. A request is timed from
// request.start to response.finish (or to the close of a connection that ended first: see
// http/aborted-requests.ts); the route template is read then, as for spans.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { REQUEST_ERROR, routeOf, type FrameworkRequest } from '../frameworks/route';
import { ABORTED, ABORTED_REQUEST_CHANNEL, publishAbortedRequests, type AbortedRequest } from '../http/aborted-requests';
import { normalizeMethod, pathOf, serverErrorType } from '../http/attributes';
import { guarded } from '../report';
import type { HttpMetrics } from './http-metrics';

const STARTED = Symbol('nodetel.metricsStart');

interface TimedRequest extends FrameworkRequest {
  /** performance.now() at request start; only the time is kept: the rest is read again at finish. */
  [STARTED]?: number;
}

export function measureHttpServers(metrics: HttpMetrics, ignoredPaths: Set<string> | undefined): void {
  subscribe(
    'http.server.request.start',
    guarded('http server metrics', (message) => {
      const { request } = message as { request: TimedRequest };
      if (ignoredPaths?.has(pathOf(request.url))) return;
      request[STARTED] = performance.now();
      metrics.serverStarted(normalizeMethod(request.method), schemeOf(request), 1);
    }),
  );

  subscribe(
    'http.server.response.finish',
    guarded('http server metrics', (message) => {
      const { request, response } = message as { request: TimedRequest; response: ServerResponse };
      finished(metrics, request, response, undefined);
    }),
  );

  publishAbortedRequests();
  subscribe(
    ABORTED_REQUEST_CHANNEL,
    guarded('http server metrics', (message) => {
      const { request, response } = message as AbortedRequest;
      finished(metrics, request, response, ABORTED);
    }),
  );
}

/** Records a request once its response finished, or its connection closed first (`aborted`). */
function finished(metrics: HttpMetrics, request: TimedRequest, response: ServerResponse, aborted: typeof ABORTED | undefined): void {
  const started = request[STARTED];
  if (started === undefined) return;
  request[STARTED] = undefined;
  const seconds = (performance.now() - started) / 1000;
  const method = normalizeMethod(request.method);
  const scheme = schemeOf(request);
  metrics.serverStarted(method, scheme, -1);
  // An aborted response has a status code only if its head was sent.
  const status = aborted === undefined || response.headersSent ? response.statusCode : undefined;
  const errorType = aborted ?? serverErrorType(status!, request[REQUEST_ERROR]);
  metrics.serverFinished(method, routeOf(request), status, scheme, errorType, seconds);
}

function schemeOf(request: IncomingMessage): 'http' | 'https' {
  return (request.socket as TLSSocket | null)?.encrypted === true ? 'https' : 'http';
}
