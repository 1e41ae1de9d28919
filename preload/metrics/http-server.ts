// Feeds the server RED metrics from node:http's diagnostics channels, on subscriptions of its
// own: metrics do not depend on tracing being on, exported or sampled. A request is timed from
// request.start to response.finish (or to the close of a connection that ended first: see
// http/aborted-requests.ts), with the times http/request-times.ts reads once for every
// subscriber; the route template is read at the end, as for spans. A request in progress holds
// its http.server.active_requests point, so ending it needs no second look-up.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { REQUEST_ERROR, routeOf, type FrameworkRequest } from '../frameworks/route';
import { ABORTED, ABORTED_REQUEST_CHANNEL, type AbortedRequest } from '../http/aborted-requests';
import { normalizeMethod, pathOf, serverErrorType } from '../http/attributes';
import { ENDED_AT, STARTED_AT, timeServerRequests, type TimedRequest } from '../http/request-times';
import { guarded } from '../report';
import type { ActiveRequests, HttpMetrics } from './http-metrics';

const ACTIVE = Symbol('nodetel.activeRequests');

interface MeasuredRequest extends FrameworkRequest, TimedRequest {
  /** The request's http.server.active_requests point while it is in progress. */
  [ACTIVE]?: ActiveRequests;
}

export function measureHttpServers(metrics: HttpMetrics, ignoredPaths: Set<string> | undefined): void {
  timeServerRequests();
  subscribe(
    'http.server.request.start',
    guarded('http server metrics', (message) => {
      const { request } = message as { request: MeasuredRequest };
      if (ignoredPaths?.has(pathOf(request.url))) return;
      request[ACTIVE] = metrics.serverStarted(normalizeMethod(request.method), schemeOf(request));
    }),
  );

  subscribe(
    'http.server.response.finish',
    guarded('http server metrics', (message) => {
      const { request, response } = message as { request: MeasuredRequest; response: ServerResponse };
      finished(metrics, request, response, undefined);
    }),
  );

  subscribe(
    ABORTED_REQUEST_CHANNEL,
    guarded('http server metrics', (message) => {
      const { request, response } = message as AbortedRequest;
      finished(metrics, request as MeasuredRequest, response, ABORTED);
    }),
  );
}

/** Records a request once its response finished, or its connection closed first (`aborted`). */
function finished(metrics: HttpMetrics, request: MeasuredRequest, response: ServerResponse, aborted: typeof ABORTED | undefined): void {
  const active = request[ACTIVE];
  if (active === undefined) return;
  request[ACTIVE] = undefined;
  active.value--;
  const seconds = (request[ENDED_AT]! - request[STARTED_AT]!) / 1000;
  // An aborted response has a status code only if its head was sent.
  const status = aborted === undefined || response.headersSent ? response.statusCode : undefined;
  const errorType = aborted ?? serverErrorType(status!, request[REQUEST_ERROR]);
  metrics.serverFinished(normalizeMethod(request.method), routeOf(request), status, schemeOf(request), errorType, seconds);
}

function schemeOf(request: IncomingMessage): 'http' | 'https' {
  return (request.socket as TLSSocket | null)?.encrypted === true ? 'https' : 'http';
}
