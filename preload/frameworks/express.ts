// Express (4 and 5). The route template needs no hook: express leaves req.route and
// req.baseUrl on the request, and route.ts reads them when the response finishes. Errors do
// need one, because express catches what a handler throws and turns it into a response. Two
// pass-through observers note the error on the request, changing nothing else: the Layer's
// error handler (reached when the app has error middleware) and finalhandler (reached when it
// has none). express's `next` is never wrapped.
import { REQUEST_ERROR, type FrameworkRequest } from './route';
import { onModuleCompiled } from './module-hooks';

type ErrorHandler = (this: unknown, error: unknown, req: FrameworkRequest, ...rest: unknown[]) => unknown;

export function observeExpressErrors(): void {
  // express 4: express/lib/router/layer.js; express 5: the `router` package.
  onModuleCompiled('express', '/lib/router/layer.js', (module) => noteErrorsIn(module.exports, 'handle_error'));
  onModuleCompiled('express', '/router/lib/layer.js', (module) => noteErrorsIn(module.exports, 'handleError'));
  onModuleCompiled('express', '/finalhandler/index.js', (module) => {
    const finalhandler = module.exports as (req: FrameworkRequest, ...rest: unknown[]) => (error?: unknown) => unknown;
    if (typeof finalhandler !== 'function') return;
    module.exports = function observedFinalhandler(this: unknown, req: FrameworkRequest, ...rest: unknown[]) {
      const done = finalhandler.call(this, req, ...rest);
      return function (this: unknown, error?: unknown) {
        if (error) req[REQUEST_ERROR] = error;
        return done.apply(this, arguments as unknown as [unknown]);
      };
    };
  });
}

function noteErrorsIn(Layer: unknown, method: string): void {
  const proto = (Layer as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const original = proto?.[method] as ErrorHandler | undefined;
  if (!proto || typeof original !== 'function') return;
  proto[method] = function (this: unknown, error: unknown, req: FrameworkRequest) {
    if (error && req) req[REQUEST_ERROR] = error;
    return original.apply(this, arguments as unknown as Parameters<ErrorHandler>);
  };
}
