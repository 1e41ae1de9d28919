// One access-log record per request: method, route template, status, duration_ms, request_id
// and user agent, at the response's finish, in the request's context as the server span's
// subscriber kept it (http/server.ts), so it carries its trace. Health checks are never traced,
// so never logged. INFO records (status below 400) can be sampled by ratio to cut the volume;
// WARN (4xx, and requests whose connection closed before the response was complete) and ERROR
// (5xx) ones are always kept.
import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type { LogRecord } from '@opentelemetry/api';
import { routeOf, type FrameworkRequest } from '../frameworks/route';
import { ABORTED, ABORTED_REQUEST_CHANNEL, type AbortedRequest } from '../http/aborted-requests';
import { normalizeMethod, pathOf } from '../http/attributes';
import { ENDED_AT, STARTED_AT, timeServerRequests, type TimedRequest } from '../http/request-times';
import { requestContextOf } from '../http/server';
import type { Redactor } from '../redact';
import { guarded } from '../report';
import { LOGGED_REQUEST_ID_KEY } from '../trace/context';

type LoggedRequest = FrameworkRequest & TimedRequest;

/** `emit` takes the record as it may leave the process: what came from the client is masked here. */
export function logRequests(emit: (record: LogRecord) => void, redactor: Redactor, sampleRatio: number): void {
  timeServerRequests();
  subscribe(
    'http.server.response.finish',
    guarded('access log', (message) => {
      const { request, response } = message as { request: LoggedRequest; response: ServerResponse };
      logRequest(emit, redactor, sampleRatio, request, response, undefined);
    }),
  );

  subscribe(
    ABORTED_REQUEST_CHANNEL,
    guarded('access log', (message) => {
      const { request, response } = message as AbortedRequest;
      logRequest(emit, redactor, sampleRatio, request as LoggedRequest, response, ABORTED);
    }),
  );
}

/** The record of a request whose response finished, or whose connection closed first (`aborted`: a WARN). */
function logRequest(emit: (record: LogRecord) => void, redactor: Redactor, sampleRatio: number, request: LoggedRequest, response: ServerResponse, aborted: typeof ABORTED | undefined): void {
  const context = requestContextOf(request);
  if (!context) return;
  // An aborted response has a status code only if its head was sent.
  const status = aborted === undefined || response.headersSent ? response.statusCode : undefined;
  const severity = severityOf(status, aborted);
  if (severity === INFO && !(Math.random() < sampleRatio)) return;
  const durationMs = Math.round((request[ENDED_AT]! - request[STARTED_AT]!) * 1000) / 1000;
  const method = normalizeMethod(request.method);
  const route = routeOf(request);
  const path = redactor.string(pathOf(request.url));
  const attributes: LogRecord['attributes'] = { 'http.request.method': method, 'url.path': path, duration_ms: durationMs };
  if (status !== undefined) attributes['http.response.status_code'] = status;
  if (aborted) attributes['error.type'] = aborted;
  if (route) attributes['http.route'] = route;
  const requestId = context.getValue(LOGGED_REQUEST_ID_KEY);
  if (typeof requestId === 'string') attributes.request_id = requestId;
  const userAgent = request.headers['user-agent'];
  if (userAgent) attributes['user_agent.original'] = redactor.string(userAgent);
  emit({
    eventName: 'http.server.access',
    severityNumber: severity.number,
    severityText: severity.text,
    body: `${method} ${route ?? path} ${aborted ?? status} ${durationMs}ms`,
    attributes,
    context,
  });
}

const INFO = { number: 9, text: 'INFO' } as const;
const WARN = { number: 13, text: 'WARN' } as const;
const ERROR = { number: 17, text: 'ERROR' } as const;

/** ERROR for a 5xx, WARN for a 4xx or an aborted request, INFO (the only ones sampled) otherwise. */
function severityOf(status: number | undefined, aborted: typeof ABORTED | undefined): typeof INFO | typeof WARN | typeof ERROR {
  if (status !== undefined && status >= 500) return ERROR;
  if (aborted !== undefined || (status !== undefined && status >= 400)) return WARN;
  return INFO;
}
