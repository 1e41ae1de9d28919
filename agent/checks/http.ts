// http / https: one request with undici, passing when the status is one of the expected ones
// (default 2xx). Redirects are not followed: a health endpoint that redirects is misconfigured.
// Each check has its own dispatcher, closed with the agent.
//
// What it costs the sidecar is kept down two ways (bench/agent-footprint.mjs measures it):
// - Only undici's Agent and its request() are loaded (24 modules), not its index (110: fetch,
//   WebSocket, caches, mocks), about 3.5 MB of RSS less. These are undici's own files (the
//   package has no "exports" map), at the version package.json pins; request.call(dispatcher,
//   ...) is what undici.request(url, { dispatcher }) does.
// - The checks speak HTTP/1.1 only (allowH2: false; ALPN offers http/1.1 alone), so undici is
//   loaded without its HTTP/2 client: its client-h2 module requires node:http2 (and with it
//   node:tls) at load. checks/load.ts gives undici checks/no-http2-client.ts in its place while
//   undici loads. That saves about 2.5 MB, and for http:// dependencies, where node:tls is never
//   needed, about 7 MB. Every HTTPS server answers HTTP/1.1 too; what the check looks at, the
//   status, is the same in both.
// - undici calls node:assert only as assert(value), for its own invariants: it gets
//   checks/lazy-assert.ts, which loads node:assert (about 0.5 MB) only if one fails.
import { join } from 'node:path';
import type * as Undici from 'undici';
import type { HttpCheckConfig, StatusRanges } from '../config';
import { CheckFailedError } from '../errors';
import { VERSION } from '../version';
import type { Check } from './check';
import { loadReplacing } from './load';

type Request = (this: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;
let undici: { Agent: typeof Undici.Agent; request: Request } | undefined;

function loadUndici(): NonNullable<typeof undici> {
  const replacements = [
    { specifier: './client-h2.js', from: '/undici/lib/dispatcher/client.js', with: { file: join(__dirname, 'no-http2-client.js') } },
    { specifier: 'node:assert', from: '/undici/lib/', with: { file: join(__dirname, 'lazy-assert.js') } },
  ];
  return (undici ??= loadReplacing(replacements, () => ({
    Agent: require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent,
    request: require('undici/lib/api/api-request.js') as Request,
  })));
}

export function createHttpCheck(config: HttpCheckConfig): Check {
  const { Agent, request } = loadUndici();
  const url = new URL(config.url);
  const origin = url.origin;
  const path = `${url.pathname}${url.search}`;
  const dispatcher = new Agent({
    connect: { timeout: config.timeoutMs, rejectUnauthorized: !config.insecure },
    allowH2: false,
    keepAliveTimeout: Math.min(config.intervalMs * 2, 60_000),
    connections: 1,
  });
  const headers = { 'user-agent': `nodetel-agent/${VERSION}`, ...config.headers };
  return {
    async run(signal) {
      const response = await request.call(dispatcher, {
        origin,
        path,
        method: config.method,
        headers,
        signal,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      });
      // The body is not needed, but must be consumed for the connection to be reused.
      await response.body.dump({ limit: 64 * 1024 }).catch(() => response.body.destroy());
      if (!inRanges(response.statusCode, config.expectStatus)) {
        throw new CheckFailedError(`HTTP ${response.statusCode}, expected ${describeRanges(config.expectStatus)}`);
      }
    },
    close: () => dispatcher.close(),
  };
}

function inRanges(status: number, ranges: StatusRanges): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

export function describeRanges(ranges: StatusRanges): string {
  return ranges.map(([lo, hi]) => (lo === hi ? String(lo) : lo % 100 === 0 && hi === lo + 99 ? `${lo / 100}xx` : `${lo}-${hi}`)).join(', ');
}
