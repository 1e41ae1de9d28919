// http / https: one request with undici, passing when the status is one of the expected ones
// (default 2xx). Redirects are not followed: a health endpoint that redirects is misconfigured.
// Each check has its own dispatcher, closed with the agent.
import type * as Undici from 'undici';
import type { HttpCheckConfig, StatusRanges } from '../config';
import { CheckFailedError } from '../errors';
import { VERSION } from '../version';
import type { Check } from './check';

export function createHttpCheck(config: HttpCheckConfig): Check {
  const undici = require('undici') as typeof Undici;
  const dispatcher = new undici.Agent({
    connect: { timeout: config.timeoutMs, rejectUnauthorized: !config.insecure },
    keepAliveTimeout: Math.min(config.intervalMs * 2, 60_000),
    connections: 1,
  });
  const headers = { 'user-agent': `nodetel-agent/${VERSION}`, ...config.headers };
  return {
    async run(signal) {
      const response = await undici.request(config.url, {
        method: config.method,
        headers,
        signal,
        dispatcher,
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
