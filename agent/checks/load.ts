// Loading a check's client library without a Node module it needs only in some configurations:
// each such module (node:tls, node:http2) costs the sidecar megabytes of RSS from the moment it
// is required, whether or not it is ever used. A synchronous module hook (node:module
// registerHooks), registered only while the library loads, changes what the library's own
// require of that module returns; the library is otherwise untouched.
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface Replacement {
  /** The module as the library names it: 'tls', 'node:http2'. */
  specifier: string;
  /** Only for requires from files whose URL contains this, e.g. '/node_modules/mysql2/'. */
  from: string;
  /** A file to load instead, or an error for the require to throw (the library's fallback then applies). */
  with: { file: string } | { error: string };
}

export function loadReplacing<T>(replacements: readonly Replacement[], load: () => T): T {
  if (typeof registerHooks !== 'function') return load(); // before Node 22.15: loaded as it is
  const hooks = registerHooks({
    resolve(specifier, context, next) {
      const r = replacements.find((x) => x.specifier === specifier && context.parentURL?.includes(x.from));
      if (!r) return next(specifier, context);
      if ('error' in r.with) throw Object.assign(new Error(r.with.error), { code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
      return { url: pathToFileURL(r.with.file).href, format: 'commonjs', shortCircuit: true };
    },
  });
  try {
    return load();
  } finally {
    // Node 22.15 to 23 have no deregister: the hook then stays, matching only these requires.
    (hooks as { deregister?: () => void }).deregister?.();
  }
}
