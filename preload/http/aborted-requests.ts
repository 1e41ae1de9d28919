// node:http publishes nothing for a request whose connection closes before its response has
// finished (a client that gave up, a proxy that timed out, a server that destroyed the socket):
// 'http.server.response.finish' never comes. Without this, such a request would have no span,
// no access-log record, and would stay counted in http.server.active_requests for ever.
// This watches each server connection once (one 'close' listener per socket, not per request),
// remembers the response in progress on it, and publishes the ones left unfinished on a
// channel of ours, which the span, metrics and access-log subscribers end their work on.
import { channel, subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { guarded } from '../report';

/** Published with an {@link AbortedRequest} when a request's connection closed before its response finished. */
export const ABORTED_REQUEST_CHANNEL = 'nodetel:http.server.request.aborted';

export interface AbortedRequest {
  request: IncomingMessage;
  response: ServerResponse;
}

/** error.type of a request whose connection closed before its response was complete. */
export const ABORTED = 'aborted';

const IN_PROGRESS = Symbol('nodetel.responseInProgress');

interface WatchedSocket extends Socket {
  /** undefined: not watched yet; null: watched, no response in progress. */
  [IN_PROGRESS]?: ServerResponse | null;
}

interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: WatchedSocket;
}

let started = false;

/** Starts publishing on ABORTED_REQUEST_CHANNEL; idempotent, so each subscriber can ask for it. */
export function publishAbortedRequests(): void {
  if (started) return;
  started = true;
  const aborted = channel(ABORTED_REQUEST_CHANNEL);

  subscribe(
    'http.server.request.start',
    guarded('aborted-request watch', (message) => {
      const { response, socket } = message as ServerMessage;
      if (!socket) return;
      if (socket[IN_PROGRESS] === undefined) {
        socket.once('close', () => {
          const unfinished = socket[IN_PROGRESS];
          socket[IN_PROGRESS] = null;
          if (unfinished) aborted.publish({ request: unfinished.req, response: unfinished } satisfies AbortedRequest);
        });
      }
      socket[IN_PROGRESS] = response;
    }),
  );

  subscribe(
    'http.server.response.finish',
    guarded('aborted-request watch', (message) => {
      const { response, socket } = message as ServerMessage;
      if (socket && socket[IN_PROGRESS] === response) socket[IN_PROGRESS] = null;
    }),
  );
}
