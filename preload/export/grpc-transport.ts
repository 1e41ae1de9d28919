// The OTLP/gRPC transport under the SDK's network export delegate (which keeps its timeouts,
// concurrency limit and self-metrics): one unary Export call per request over @grpc/grpc-js, as
// the SDK's own GrpcExporterTransport makes it, with one difference. The SDK's transport copies
// every request (`Buffer.from(data)`) and that copy lives until the Collector answers, so it is
// promoted, and its external memory set off most of the app's full collections: at 15,000 req/s
// with all signals on and a console line, 25 in one run with the copy and 5 without, and CPU per
// request 1.80x / 2.02x the bare app's (ESM / CJS) instead of 2.13x / 2.07x (bench/README.md).
// Our requests' bytes stay untouched until the delegate is done with them (otlp-exporter.ts gives
// their writer back only then), so grpc-js gets a view of them instead.
import type { ChannelCredentials, Client, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { VERSION } from '../version';

export interface GrpcTransportOptions {
  /** host:port, as the SDK's gRPC configuration normalizes OTEL_EXPORTER_OTLP_*_ENDPOINT. */
  address: string;
  credentials: () => ChannelCredentials;
  metadata: () => Metadata;
  compression: 'gzip' | 'none';
  /** The service method, e.g. /opentelemetry.proto.collector.logs.v1.LogsService/Export. */
  grpcPath: string;
}

const GRPC_COMPRESSION = { none: 0, gzip: 2 } as const;
const DEADLINE_EXCEEDED = 4;
/** After this many deadlines missed in a row the channel is rebuilt (as the SDK's transport does): it may be stuck. */
const MAX_DEADLINES_EXCEEDED = 5;
const identity = (bytes: Buffer): Buffer => bytes;

export class GrpcTransport implements IExporterTransport {
  private client: Client | undefined;
  private metadata: Metadata | undefined;
  private deadlinesExceeded = 0;
  private shutDown = false;

  constructor(private readonly options: GrpcTransportOptions) {}

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    let client: Client;
    let metadata: Metadata;
    try {
      ({ client, metadata } = this.connect());
    } catch (error) {
      return Promise.resolve({ status: 'failure', error: error as Error });
    }
    const request = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return new Promise((resolve) => {
      client.makeUnaryRequest(this.options.grpcPath, identity, identity, request, metadata, { deadline: Date.now() + timeoutMillis }, (error, response) => {
        if (!error) {
          this.deadlinesExceeded = 0;
          resolve({ status: 'success', data: response });
          return;
        }
        resolve({ status: 'failure', error });
        if ((error as ServiceError).code === DEADLINE_EXCEEDED && ++this.deadlinesExceeded > MAX_DEADLINES_EXCEEDED) this.closeChannel();
      });
    });
  }

  shutdown(): void {
    this.shutDown = true;
    this.closeChannel();
  }

  private closeChannel(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** The channel, made on the first export (grpc-js is loaded only then), and again after closeChannel(). */
  private connect(): { client: Client; metadata: Metadata } {
    if (this.shutDown) throw new Error('the OTLP exporter has been shut down');
    this.metadata ??= this.options.metadata();
    if (!this.client) {
      const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
      this.client = new grpc.Client(this.options.address, this.options.credentials(), {
        'grpc.default_compression_algorithm': GRPC_COMPRESSION[this.options.compression],
        'grpc.primary_user_agent': `nodetel/${VERSION}`,
      });
      this.deadlinesExceeded = 0;
    }
    return { client: this.client, metadata: this.metadata };
  }
}
