// When a server request started and when it ended, read from the clock once for all the
// subscribers that need it (the span's end, the duration metric, the access log), which would
// otherwise each read it at start and at end: the clock is a native call, a sizeable part of
// what a request's metrics cost. Each of those subscribers calls timeServerRequests() before it
// subscribes, so these subscriptions come first and the times are on the request when they run;
// it also starts the aborted-request watch, whose channel they all end requests on too.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { guarded } from '../report';
import { ABORTED_REQUEST_CHANNEL, publishAbortedRequests } from './aborted-requests';

/** performance.now() when node:http published request.start. */
export const STARTED_AT = Symbol('nodetel.startedAt');
/** performance.now() when the response finished, or the connection closed before it did. */
export const ENDED_AT = Symbol('nodetel.endedAt');

export interface TimedRequest extends IncomingMessage {
  [STARTED_AT]?: number;
  [ENDED_AT]?: number;
}

let started = false;

/** Idempotent: every subscriber that reads the times asks for them. */
export function timeServerRequests(): void {
  if (started) return;
  started = true;
  const end = guarded('request timing', (message) => {
    (message as { request: TimedRequest }).request[ENDED_AT] = performance.now();
  });
  subscribe(
    'http.server.request.start',
    guarded('request timing', (message) => {
      (message as { request: TimedRequest }).request[STARTED_AT] = performance.now();
    }),
  );
  subscribe('http.server.response.finish', end);
  publishAbortedRequests();
  subscribe(ABORTED_REQUEST_CHANNEL, end);
}
