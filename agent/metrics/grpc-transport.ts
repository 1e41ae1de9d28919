// OTLP/gRPC: one unary Export call per request over node:http2, without @grpc/grpc-js.
import type * as Http2 from 'node:http2';
import type * as Zlib from 'node:zlib';
import type { OtlpMetricsConfig } from '../config';
import { VERSION } from '../version';
import type { Transport } from './otlp-transport';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const GRPC_STATUS: Record<string, string> = { 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

/**
 * gRPC over one HTTP/2 connection, opened on first use and again after the Collector closes it.
 * TLS for https:// unless `insecure`, like the SDK's exporter; headers are sent as gRPC metadata.
 * The connection is unref'd between calls, so it never keeps the agent up.
 */
export function grpcTransport(config: OtlpMetricsConfig): Transport {
  const http2 = require('node:http2') as typeof Http2;
  const url = new URL(config.url);
  const tls = url.protocol === 'https:' && !config.insecure;
  const origin = `${tls ? 'https' : 'http'}://${url.host}`;
  const gzip = config.compression === 'gzip';
  const headers: Http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': EXPORT_PATH,
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': `nodetel-agent/${VERSION}`,
    ...(gzip ? { 'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'gzip' } : {}),
  };
  for (const [key, value] of Object.entries(config.headers)) headers[key.toLowerCase()] = value;

  let session: Http2.ClientHttp2Session | undefined;
  let sessionError: Error | undefined;
  let calls = 0;
  const connection = (): Http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    sessionError = undefined;
    const s = http2.connect(origin);
    s.on('error', (err) => (sessionError = err));
    s.on('close', () => session === s && (session = undefined));
    s.on('goaway', () => session === s && (session = undefined));
    return (session = s);
  };

  return {
    send(message, timeoutMs) {
      const body = gzip ? (require('node:zlib') as typeof Zlib).gzipSync(message) : message;
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = gzip ? 1 : 0;
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      return new Promise<void>((resolve, reject) => {
        const s = connection();
        s.ref();
        calls++;
        let status: string | undefined;
        let detail: string | undefined;
        let httpStatus: number | undefined;
        let settled = false;
        const done = (err?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (--calls === 0 && !s.destroyed) s.unref();
          if (err) reject(err);
          else resolve();
        };
        const stream = s.request({ ...headers, 'grpc-timeout': `${Math.max(1, Math.round(timeoutMs))}m` });
        const timer = setTimeout(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          done(new Error(`gRPC status 4 DEADLINE_EXCEEDED: no answer within ${timeoutMs} ms`));
        }, timeoutMs).unref();
        const read = (h: Http2.IncomingHttpHeaders): void => {
          if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
          if (h['grpc-message'] !== undefined) detail = decodeMessage(String(h['grpc-message']));
        };
        stream.on('response', (h) => {
          httpStatus = Number(h[':status']);
          read(h);
        });
        stream.on('trailers', read);
        // A connection that fails cancels its pending stream; the connection's error is the reason.
        stream.on('error', (err: Error) => done(sessionError ?? (err.cause instanceof Error ? err.cause : err)));
        stream.on('close', () => {
          if (status === '0') return done();
          if (status !== undefined) return done(new Error(`gRPC status ${status} ${GRPC_STATUS[status] ?? ''}${detail ? `: ${detail}` : ''}`));
          if (httpStatus !== undefined && httpStatus !== 200) return done(new Error(`HTTP ${httpStatus} (not a gRPC endpoint?)`));
          done(sessionError ?? new Error('the connection closed without a gRPC status'));
        });
        stream.resume();
        stream.end(frame);
      });
    },
    close() {
      session?.close();
      session = undefined;
    },
  };
}

function decodeMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
