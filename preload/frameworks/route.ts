// What the frameworks tell us about a request, read when its response finishes. Express keeps
// the matched route on the request itself (req.route, req.baseUrl); fastify and koa do not, so
// their hooks (fastify.ts, koa.ts) note it on the raw request under these symbols, registered
// (Symbol.for) so that nodetel/logger reads them even from another copy of the package.
import type { IncomingMessage } from 'node:http';

/** The route template, noted by a framework hook (fastify). */
export const ROUTE = Symbol.for('nodetel.route');
/** A koa context, noted when koa creates it; @koa/router writes the template into it. */
export const KOA_CONTEXT = Symbol.for('nodetel.koaContext');
/** The error a framework turned into a response, noted by its hook. */
export const REQUEST_ERROR = Symbol('nodetel.requestError');

export interface FrameworkRequest extends IncomingMessage {
  [ROUTE]?: string;
  [KOA_CONTEXT]?: { _matchedRoute?: unknown };
  [REQUEST_ERROR]?: unknown;
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/** The route template (/users/:id) when a framework matched one; undefined otherwise, never the raw path. */
export function routeOf(request: FrameworkRequest): string | undefined {
  const noted = request[ROUTE];
  if (noted !== undefined) return noted;
  const koaRoute = request[KOA_CONTEXT]?._matchedRoute;
  if (typeof koaRoute === 'string') return koaRoute;
  const expressPath = request.route?.path;
  if (typeof expressPath === 'string') {
    const base = typeof request.baseUrl === 'string' ? request.baseUrl : '';
    return base && expressPath === '/' ? base : base + expressPath;
  }
  return undefined;
}
