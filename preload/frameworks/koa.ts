// Koa. The matched template lives on the koa context (@koa/router sets ctx._matchedRoute), and
// the raw request has no way back to its context, so createContext is observed to note the
// context on the request. Errors are observed with EventEmitter's errorMonitor on the app,
// which, unlike an 'error' listener, leaves koa's own error printing exactly as it was.
import { errorMonitor } from 'node:events';
import { KOA_CONTEXT, REQUEST_ERROR, type FrameworkRequest } from './route';
import { onModuleCompiled } from './module-hooks';

interface KoaApp {
  on(event: typeof errorMonitor, listener: (error: unknown, ctx?: { req?: FrameworkRequest }) => void): unknown;
}

export function observeKoa(): void {
  onModuleCompiled('koa', '/koa/lib/application.js', (module) => {
    const Application = module.exports as { prototype?: { createContext?: (this: KoaApp, req: FrameworkRequest, res: unknown) => unknown } };
    const proto = Application?.prototype;
    const createContext = proto?.createContext;
    if (!proto || typeof createContext !== 'function') return;
    const observed = new WeakSet<KoaApp>();
    proto.createContext = function (this: KoaApp, req: FrameworkRequest, res: unknown) {
      const ctx = createContext.call(this, req, res);
      req[KOA_CONTEXT] = ctx as FrameworkRequest[typeof KOA_CONTEXT];
      if (!observed.has(this)) {
        observed.add(this);
        this.on(errorMonitor, (error, errorCtx) => {
          if (errorCtx?.req) errorCtx.req[REQUEST_ERROR] = error;
        });
      }
      return ctx;
    };
  });
}
