// OTLP/HTTP with a protobuf body: one POST per export to the full metrics URL (…/v1/metrics), over
// one kept-alive connection. node:http is already loaded for the probes; node:https (and with it
// node:tls) only for an https:// Collector.
import type * as Http from 'node:http';
import type * as Zlib from 'node:zlib';
import type { OtlpMetricsConfig } from '../config';
import { VERSION } from '../version';
import type { Transport } from './otlp-transport';

/** How much of an error answer is kept for the message: a status line's worth. */
const MAX_ERROR_BODY = 512;

export function httpTransport(config: OtlpMetricsConfig): Transport {
  const url = new URL(config.url);
  const client = (url.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof Http;
  // Node unrefs a kept-alive socket while it waits in the pool, so it never keeps the agent up.
  const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });
  const gzip = config.compression === 'gzip';
  const headers: Http.OutgoingHttpHeaders = {
    'content-type': 'application/x-protobuf',
    'user-agent': `nodetel-agent/${VERSION}`,
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  for (const [key, value] of Object.entries(config.headers)) headers[key.toLowerCase()] = value;

  return {
    send(message, timeoutMs) {
      const body = gzip ? (require('node:zlib') as typeof Zlib).gzipSync(message) : message;
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const done = (err?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        const request = client.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
          res.on('error', (err) => done(err));
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res.resume().on('end', () => done());
            return;
          }
          // The answer's text, if it is text (a Collector sends a google.rpc.Status in protobuf: its status code says enough).
          const text = /^(text\/|application\/json)/.test(res.headers['content-type'] ?? '');
          let detail = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (text && detail.length < MAX_ERROR_BODY) detail += chunk;
          });
          res.on('end', () => done(new Error(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${detail ? `: ${detail.trim().slice(0, MAX_ERROR_BODY)}` : ''}`)));
        });
        const timer = setTimeout(() => {
          request.destroy();
          done(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs).unref();
        request.on('error', (err) => done(err));
        request.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
