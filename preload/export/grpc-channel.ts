// gRPC unary calls over node:http2: all an OTLP/gRPC exporter needs (one Export call per
// request), for the preload's spans and log records, the exit sender and the agent's metrics.
// It exists for what a request costs the app: @grpc/grpc-js frames every message into a new
// buffer (5 bytes of gRPC prefix, then a copy of the message), and on a Linux guest whose page
// faults are dear that fresh ~200 KB buffer per export, with grpc-js's layers of call objects,
// was two thirds of an export's CPU (bench/export-cost.mjs: 900-1,140 µs per 512-record export
// with grpc-js, 290-450 here). Here the prefix and the caller's bytes go out as two writes of
// one stream, and the caller's buffer is left as it was.
import type * as Http2 from 'node:http2';
import type { SecureContextOptions } from 'node:tls';

/** gRPC status codes by number, as their names appear in errors and self-metrics. */
export const GRPC_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
export const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** A call that did not end with status OK: `code` is the gRPC status (grpc-js's ServiceError has the same field). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    details: string,
  ) {
    super(`gRPC status ${code} ${GRPC_STATUS_NAMES[code] ?? ''}${details ? `: ${details}` : ''}`);
  }
}

export interface GrpcChannelOptions {
  /** http://host:port, or https://host:port for TLS. */
  url: string;
  /** Plaintext even for an https:// URL (OTEL_EXPORTER_OTLP_INSECURE). */
  insecure?: boolean;
  /** Extra TLS settings (a CA, a client key and certificate), read when the connection is made. */
  tls?: () => SecureContextOptions;
  /** Sent with every call as gRPC metadata. */
  headers: Record<string, string>;
  userAgent: string;
  gzip: boolean;
}

/**
 * One HTTP/2 connection, made on the first call and again after the server closed it or it
 * failed. It holds the process open only while calls are in flight, as grpc-js's does.
 */
export class GrpcChannel {
  private session: Http2.ClientHttp2Session | undefined;
  /** Why the current connection failed, the reason its pending calls report. */
  private sessionError: Error | undefined;
  private calls = 0;
  private readonly headers: Http2.OutgoingHttpHeaders;

  constructor(private readonly options: GrpcChannelOptions) {
    this.headers = {
      ':method': 'POST',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': options.userAgent,
      ...(options.gzip ? { 'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'gzip' } : {}),
    };
    for (const [key, value] of Object.entries(options.headers)) this.headers[key.toLowerCase()] = value;
  }

  /** Calls `path` with `message`; resolves with the response message, rejects with a GrpcStatusError. */
  async call(path: string, message: Uint8Array, timeoutMillis: number): Promise<Buffer> {
    const body = this.options.gzip ? await gzip(message) : message;
    return new Promise<Buffer>((resolve, reject) => {
      let session: Http2.ClientHttp2Session;
      try {
        session = this.connection();
      } catch (error) {
        return reject(new GrpcStatusError(UNAVAILABLE, (error as Error).message));
      }
      this.calls++;
      session.ref();
      let status: number | undefined;
      let details = '';
      let httpStatus: number | undefined;
      let compressed = false;
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (--this.calls === 0) this.session?.unref();
        if (error) reject(error);
        else resolve(responseMessage(chunks, compressed));
      };
      const stream = session.request({ ...this.headers, ':path': path, 'grpc-timeout': grpcTimeout(timeoutMillis) });
      const timer = setTimeout(() => {
        stream.close(http2().constants.NGHTTP2_CANCEL);
        done(new GrpcStatusError(DEADLINE_EXCEEDED, `no answer within ${timeoutMillis} ms`));
      }, timeoutMillis);
      timer.unref();
      const read = (headers: Http2.IncomingHttpHeaders): void => {
        if (headers['grpc-status'] !== undefined) status = Number(headers['grpc-status']);
        if (headers['grpc-message'] !== undefined) details = decodeMessage(String(headers['grpc-message']));
      };
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status']);
        compressed = headers['grpc-encoding'] === 'gzip';
        read(headers);
      });
      stream.on('trailers', read);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A connection that fails cancels its streams: the connection's error is the reason.
      stream.on('error', (error: Error) => done(new GrpcStatusError(UNAVAILABLE, (this.sessionError ?? error).message)));
      stream.on('close', () => {
        if (status === 0) return done(undefined);
        if (status !== undefined) return done(new GrpcStatusError(status, details));
        if (httpStatus !== undefined && httpStatus !== 200) return done(new GrpcStatusError(statusOfHttp(httpStatus), `HTTP ${httpStatus} (not a gRPC endpoint?)`));
        done(new GrpcStatusError(UNAVAILABLE, this.sessionError?.message ?? 'the connection closed without a gRPC status'));
      });
      const prefix = Buffer.allocUnsafe(5);
      prefix[0] = this.options.gzip ? 1 : 0;
      prefix.writeUInt32BE(body.byteLength, 1);
      stream.write(prefix);
      stream.end(body);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private connection(): Http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const url = new URL(this.options.url);
    const tls = url.protocol === 'https:' && !this.options.insecure;
    const session = http2().connect(`${tls ? 'https' : 'http'}://${url.host}`, tls ? this.options.tls?.() : undefined);
    this.sessionError = undefined;
    session.on('error', (error) => (this.sessionError = error));
    const forget = (): void => {
      if (this.session === session) this.session = undefined;
    };
    session.on('close', forget);
    session.on('goaway', forget);
    session.unref();
    return (this.session = session);
  }
}

/** A gRPC TimeoutValue has at most 8 digits. */
function grpcTimeout(millis: number): string {
  const ms = Math.max(1, Math.ceil(millis));
  return ms < 1e8 ? `${ms}m` : `${Math.ceil(ms / 1000)}S`;
}

/** node:http2, loaded with the first connection: it brings node:tls and OpenSSL's TLS code with it. */
function http2(): typeof Http2 {
  return require('node:http2') as typeof Http2;
}

function gzip(message: Uint8Array): Promise<Buffer> {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  return new Promise((resolve, reject) => zlib.gzip(message, (error, result) => (error ? reject(error) : resolve(result))));
}

/** The response's one message, without its gRPC prefix. */
function responseMessage(chunks: Buffer[], compressed: boolean): Buffer {
  const frame = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const message = frame.subarray(5);
  return frame[0] === 1 && compressed ? (require('node:zlib') as typeof import('node:zlib')).gunzipSync(message) : message;
}

/** The gRPC status for an HTTP status without one (gRPC's "HTTP to gRPC status code mapping"). */
function statusOfHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return UNAVAILABLE;
    default:
      return 2; // UNKNOWN
  }
}

function decodeMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
