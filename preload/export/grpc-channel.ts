// gRPC unary calls over HTTP/2: all an OTLP/gRPC exporter needs (one Export call per request),
// for the preload's spans and log records, the exit sender and the agent's metrics. It exists for
// what a request costs the app: @grpc/grpc-js frames every message into a new buffer (5 bytes of
// gRPC prefix, then a copy of the message), and on a Linux guest whose page faults are dear that
// fresh ~200 KB buffer per export, with grpc-js's layers of call objects, was two thirds of an
// export's CPU (bench/export-cost.mjs: 900-1,140 µs per 512-record export with grpc-js). node:http2
// then cost as much again per call (http2-connection.ts says why it is not used either). Here the
// prefix and the caller's bytes go out as they are, in the frames of one write.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { encodeHeaderBlock, headerValue } from './hpack';
import { Http2Connection, Http2Stream, StreamResetError } from './http2-connection';

/** gRPC status codes by number, as their names appear in errors and self-metrics. */
export const GRPC_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
export const DEADLINE_EXCEEDED = 4;
const CANCELLED = 1;
const RESOURCE_EXHAUSTED = 8;
const PERMISSION_DENIED = 7;
const INTERNAL = 13;
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

/** What HTTP/2 allows in a header name (lowercase tokens) and value (no CR, LF or NUL; latin1). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * One HTTP/2 connection, made on the first call and again after the server closed it or it
 * failed. It holds the process open only while calls are in flight, as grpc-js's does.
 */
export class GrpcChannel {
  private connection: Http2Connection | undefined;
  private readonly target: { host: string; port: number; tls: boolean };
  /** The request's header fields before and after :path (pseudo-headers come first), encoded once. */
  private readonly blockStart: Buffer;
  private readonly blockEnd: Buffer;
  private readonly pathFields = new Map<string, Buffer>();
  private lastTimeout: { millis: number; field: Buffer } | undefined;
  /** Why no call can be made with these options (a header HTTP/2 cannot carry). */
  private readonly invalid: string | undefined;

  constructor(private readonly options: GrpcChannelOptions) {
    const url = new URL(options.url);
    const tls = url.protocol === 'https:' && !options.insecure;
    // URL keeps an IPv6 address in brackets; a socket wants it without.
    this.target = { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80), tls };
    const metadata = Object.entries(options.headers).map(([key, value]) => [key.toLowerCase(), String(value)] as const);
    const bad = metadata.find(([key, value]) => !HEADER_NAME.test(key) || !HEADER_VALUE.test(value));
    this.invalid = bad ? `the header ${JSON.stringify(bad[0])} cannot be sent over HTTP/2 (a name must be a token, a value without line breaks)` : undefined;
    this.blockStart = encodeHeaderBlock([
      [':method', 'POST'],
      [':scheme', tls ? 'https' : 'http'],
    ]);
    this.blockEnd = encodeHeaderBlock([
      [':authority', url.host],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['user-agent', options.userAgent],
      ...(options.gzip ? ([['grpc-encoding', 'gzip'], ['grpc-accept-encoding', 'gzip']] as const) : []),
      ...(bad ? [] : metadata),
    ]);
  }

  /** Calls `path` with `message`; resolves with the response message, rejects with a GrpcStatusError. */
  async call(path: string, message: Uint8Array, timeoutMillis: number): Promise<Buffer> {
    if (this.invalid) throw new GrpcStatusError(INTERNAL, this.invalid);
    const body = this.options.gzip ? await gzip(message) : message;
    return new Promise<Buffer>((resolve, reject) => {
      let connection: Http2Connection;
      try {
        connection = this.connectionFor();
      } catch (error) {
        return reject(new GrpcStatusError(UNAVAILABLE, (error as Error).message));
      }
      const prefix = Buffer.allocUnsafe(5);
      prefix[0] = this.options.gzip ? 1 : 0;
      prefix.writeUInt32BE(body.byteLength, 1);
      const headerBlock = Buffer.concat([this.blockStart, this.pathField(path), this.blockEnd, this.timeoutField(timeoutMillis)]);
      const stream = new Http2Stream(headerBlock, [prefix, body], (answered, error) => {
        clearTimeout(timer);
        if (error) reject(streamError(error));
        else settle(answered, resolve, reject);
      });
      const timer = setTimeout(() => {
        connection.cancel(stream);
        reject(new GrpcStatusError(DEADLINE_EXCEEDED, `no answer within ${timeoutMillis} ms`));
      }, timeoutMillis);
      timer.unref();
      connection.request(stream);
    });
  }

  close(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  private connectionFor(): Http2Connection {
    const current = this.connection;
    if (current?.usable) return current;
    const { host, port, tls } = this.target;
    let socket: Socket;
    if (tls) {
      // node:tls (and OpenSSL's TLS code, some MB of RSS) only for a Collector that wants it.
      const { connect: tlsConnect } = require('node:tls') as typeof import('node:tls');
      const secure: TLSSocket = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['h2'], ...this.options.tls?.() });
      // gRPC needs HTTP/2: a server that did not agree to it (ALPN) is not one to talk to.
      secure.once('secureConnect', () => {
        if (secure.alpnProtocol !== 'h2') secure.destroy(new Error(`${host}:${port} did not agree to HTTP/2 (ALPN: ${secure.alpnProtocol || 'none'})`));
      });
      socket = secure;
    } else {
      socket = netConnect({ host, port });
    }
    const connection = new Http2Connection(socket, () => {
      if (this.connection === connection) this.connection = undefined;
    });
    return (this.connection = connection);
  }

  /** :path, encoded once per method (a channel calls one or two). */
  private pathField(path: string): Buffer {
    let field = this.pathFields.get(path);
    if (!field) this.pathFields.set(path, (field = encodeHeaderBlock([[':path', path]])));
    return field;
  }

  private timeoutField(millis: number): Buffer {
    if (this.lastTimeout?.millis !== millis) this.lastTimeout = { millis, field: encodeHeaderBlock([['grpc-timeout', grpcTimeout(millis)]]) };
    return this.lastTimeout.field;
  }
}

/** The call's outcome from its answer: the message when gRPC status is OK, the status as an error otherwise. */
function settle(stream: Http2Stream, resolve: (message: Buffer) => void, reject: (error: Error) => void): void {
  // A trailers-only answer (most errors) carries the status in its one header block.
  const trailers = stream.trailers ?? stream.headers;
  const grpcStatus = headerValue(trailers, 'grpc-status');
  if (grpcStatus === '0') {
    try {
      resolve(responseMessage(stream.data, headerValue(stream.headers, 'grpc-encoding') === 'gzip'));
    } catch (error) {
      reject(new GrpcStatusError(INTERNAL, `the answer could not be read (${(error as Error).message})`));
    }
    return;
  }
  const details = decodeMessage(headerValue(trailers, 'grpc-message') ?? '');
  if (grpcStatus !== undefined) return reject(new GrpcStatusError(Number(grpcStatus), details));
  const httpStatus = Number(headerValue(stream.headers, ':status'));
  if (httpStatus !== 200) return reject(new GrpcStatusError(statusOfHttp(httpStatus), `HTTP ${httpStatus} (not a gRPC endpoint?)`));
  reject(new GrpcStatusError(UNAVAILABLE, 'the answer ended without a gRPC status'));
}

/** A call that failed below gRPC: the connection (UNAVAILABLE, with its reason) or the stream reset by the server. */
function streamError(error: Error): GrpcStatusError {
  if (!(error instanceof StreamResetError)) return new GrpcStatusError(UNAVAILABLE, error.message);
  // gRPC's mapping of HTTP/2 error codes (doc/PROTOCOL-HTTP2.md, "Errors").
  const code = { 7: UNAVAILABLE, 8: CANCELLED, 11: RESOURCE_EXHAUSTED, 12: PERMISSION_DENIED }[error.http2Code] ?? INTERNAL;
  return new GrpcStatusError(code, error.message);
}

/** A gRPC TimeoutValue has at most 8 digits. */
function grpcTimeout(millis: number): string {
  const ms = Math.max(1, Math.ceil(millis));
  return ms < 1e8 ? `${ms}m` : `${Math.ceil(ms / 1000)}S`;
}

function gzip(message: Uint8Array): Promise<Buffer> {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  return new Promise((resolve, reject) => zlib.gzip(message, (error, result) => (error ? reject(error) : resolve(result))));
}

/** The response's one message, without its gRPC prefix (none at all is an empty message). */
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
