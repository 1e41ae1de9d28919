// Small helpers shared by the server and client subscribers (stable HTTP semantic conventions).

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** http.request.method is one of the known methods or _OTHER (the conventions' cardinality guard). */
export function normalizeMethod(method: string | undefined): string {
  if (method !== undefined && KNOWN_METHODS.has(method)) return method; // what node:http parses: no copy made
  const upper = method?.toUpperCase() ?? 'GET';
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Splits a Host header ("example.com:8080", "[::1]:80") into address and port. */
export function parseHost(host: string | undefined, defaultPort: number): { address?: string; port: number } {
  if (!host) return { port: defaultPort };
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon > close) {
    const port = Number(host.slice(colon + 1));
    return { address: host.slice(close === -1 ? 0 : 1, close === -1 ? colon : close), port: Number.isInteger(port) ? port : defaultPort };
  }
  return { address: close === -1 ? host : host.slice(1, close), port: defaultPort };
}

/** A request target's path, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** error.type of a server response: only for a 5xx, the exception's type when one was noted, else the status. */
export function serverErrorType(status: number, error: unknown): string | undefined {
  if (status < 500) return undefined;
  return error !== undefined ? errorType(error) : String(status);
}

/** The type of an error, for error.type: its code when it has one (ECONNREFUSED), else its name. */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && code) return code;
    if (typeof name === 'string' && name) return name;
  }
  return '_OTHER';
}
