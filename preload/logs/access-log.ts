// One access-log record per request: method, route template, status, duration_ms, request_id
// and user agent, at the response's finish, in the request's context (so it carries its trace).
// Health checks are never logged. INFO records (status below 400) can be sampled by ratio to
// cut the volume; WARN (4xx) and ERROR (5xx) ones are always kept.
import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Context, LogRecord } from '@opentelemetry/api';
import { routeOf, type FrameworkRequest } from '../frameworks/route';
import { normalizeMethod, pathOf } from '../http/attributes';
import { guarded } from '../report';
import { REQUEST_ID_KEY, activeContext } from '../trace/context';

const STARTED = Symbol('nodetel.accessLog');

interface LoggedRequest extends FrameworkRequest {
  [STARTED]?: { at: number; context: Context };
}

export function logRequests(emit: (record: LogRecord) => void, ignoredPaths: Set<string>, sampleRatio: number): void {
  subscribe(
    'http.server.request.start',
    guarded('access log', (message) => {
      const { request } = message as { request: LoggedRequest };
      if (ignoredPaths.has(pathOf(request.url))) return;
      // The tracing subscriber, which runs first, has entered the request's context.
      request[STARTED] = { at: performance.now(), context: activeContext() };
    }),
  );
  subscribe(
    'http.server.response.finish',
    guarded('access log', (message) => {
      const { request, response } = message as { request: LoggedRequest; response: ServerResponse };
      const started = request[STARTED];
      if (!started) return;
      request[STARTED] = undefined;
      const status = response.statusCode;
      if (status < 400 && !(Math.random() < sampleRatio)) return;
      const durationMs = Math.round((performance.now() - started.at) * 1000) / 1000;
      const method = normalizeMethod(request.method);
      const route = routeOf(request);
      const path = pathOf(request.url);
      const attributes: LogRecord['attributes'] = {
        'http.request.method': method,
        'http.response.status_code': status,
        'url.path': path,
        duration_ms: durationMs,
      };
      if (route) attributes['http.route'] = route;
      const requestId = started.context.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string') attributes.request_id = requestId;
      const userAgent = request.headers['user-agent'];
      if (userAgent) attributes['user_agent.original'] = userAgent;
      const [severityNumber, severityText] = status >= 500 ? [17, 'ERROR'] : status >= 400 ? [13, 'WARN'] : [9, 'INFO'];
      emit({
        eventName: 'http.server.access',
        severityNumber,
        severityText,
        body: `${method} ${route ?? path} ${status} ${durationMs}ms`,
        attributes,
        context: started.context,
      });
    }),
  );
}
