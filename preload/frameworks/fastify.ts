// Fastify. Version 5 publishes the matched route and handler errors on its own tracing
// channel (`tracing:fastify.request.handler:*`). Version 4 publishes only
// `fastify.initialization`, with the instance, so there the route and errors are noted from
// fastify's public onRequest / onError hooks, the mechanism fastify offers for exactly this.
import { subscribe } from 'node:diagnostics_channel';
import { guarded } from '../report';
import { REQUEST_ERROR, ROUTE, type FrameworkRequest } from './route';

interface FastifyRequest {
  raw: FrameworkRequest;
  routeOptions?: { url?: string };
  routerPath?: string;
}

interface FastifyInstance {
  version?: string;
  addHook(name: 'onRequest', hook: (request: FastifyRequest, reply: unknown, done: () => void) => void): unknown;
  addHook(name: 'onError', hook: (request: FastifyRequest, reply: unknown, error: unknown, done: () => void) => void): unknown;
}

export function observeFastify(): void {
  subscribe(
    'tracing:fastify.request.handler:start',
    guarded('fastify route tracing', (message) => {
      const { request, route } = message as { request: FastifyRequest; route?: { url?: string } };
      if (route?.url) request.raw[ROUTE] = route.url;
    }),
  );
  subscribe(
    'tracing:fastify.request.handler:error',
    guarded('fastify error tracing', (message) => {
      const { request, error } = message as { request: FastifyRequest; error: unknown };
      request.raw[REQUEST_ERROR] = error;
    }),
  );
  subscribe(
    'fastify.initialization',
    guarded('fastify 4 tracing', (message) => {
      const { fastify } = message as { fastify: FastifyInstance };
      if (Number(fastify.version?.split('.')[0]) >= 5) return; // v5 is covered by its tracing channel
      fastify.addHook('onRequest', (request, _reply, done) => {
        const url = request.routeOptions?.url ?? request.routerPath;
        if (url) request.raw[ROUTE] = url;
        done();
      });
      fastify.addHook('onError', (request, _reply, error, done) => {
        request.raw[REQUEST_ERROR] = error;
        done();
      });
    }),
  );
}
