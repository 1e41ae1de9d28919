// Feeds the server RED metrics from node:http's diagnostics channels, on subscriptions of its
// own: metrics do not depend on tracing being on, exported or sampled. A request is timed from
// request.start to response.finish; the route template is read then, as for spans.
import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { REQUEST_ERROR, routeOf, type FrameworkRequest } from '../frameworks/route';
import { normalizeMethod, pathOf, serverErrorType } from '../http/attributes';
import { guarded } from '../report';
import type { HttpMetrics } from './http-metrics';

const STARTED = Symbol('nodetel.metricsStart');

interface TimedRequest extends FrameworkRequest {
  [STARTED]?: { at: number; method: string; scheme: string };
}

export function measureHttpServers(metrics: HttpMetrics, ignoredPaths: Set<string> | undefined): void {
  subscribe(
    'http.server.request.start',
    guarded('http server metrics', (message) => {
      const { request, socket } = message as { request: TimedRequest; socket: TLSSocket };
      if (ignoredPaths?.has(pathOf(request.url))) return;
      const method = normalizeMethod(request.method);
      const scheme = socket?.encrypted === true ? 'https' : 'http';
      request[STARTED] = { at: performance.now(), method, scheme };
      metrics.serverStarted(method, scheme, 1);
    }),
  );

  subscribe(
    'http.server.response.finish',
    guarded('http server metrics', (message) => {
      const { request, response } = message as { request: TimedRequest; response: ServerResponse };
      const started = request[STARTED];
      if (started === undefined) return;
      request[STARTED] = undefined;
      const seconds = (performance.now() - started.at) / 1000;
      metrics.serverStarted(started.method, started.scheme, -1);
      const status = response.statusCode;
      metrics.serverFinished(
        {
          method: started.method,
          route: routeOf(request),
          status,
          scheme: started.scheme,
          errorType: serverErrorType(status, request[REQUEST_ERROR]),
        },
        seconds,
      );
    }),
  );
}
