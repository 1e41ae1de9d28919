// The OTLP/gRPC transport under the SDK's network export delegate (which keeps its timeouts,
// concurrency limit and self-metrics): one unary Export call per request, over our gRPC channel
// (grpc-channel.ts says why neither grpc-js nor node:http2), which sends the request's bytes as
// they are. They stay untouched until the delegate is done with them (otlp-exporter.ts gives their
// writer back only then), so no copy is needed. The channel and its HTTP/2 client are loaded with
// the first call, not with the preload: a process that never exports never loads them.
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { ExportResponse, IExporterTransport, IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpConfig } from '../config';
import { VERSION } from '../version';
import type { GrpcChannel } from './grpc-channel';

const channelModule = (): typeof import('./grpc-channel') => require('./grpc-channel') as typeof import('./grpc-channel');

/**
 * The SDK's network export delegate over this transport, measuring itself as the SDK's gRPC
 * exporters do (`componentType` and `metricsHelper` as theirs, e.g. otlp_grpc_span_exporter).
 * No retries, as theirs: what fails is dropped and counted by the caller.
 */
export function grpcExportDelegate<Request, Response>(
  otlp: OtlpConfig,
  grpcPath: string,
  serializer: ISerializer<Request, Response>,
  componentType: string,
  metricsHelper: IExporterMetricsHelper<Request>,
  concurrencyLimit?: number,
): IOtlpExportDelegate<Request> {
  const base = require('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
  const metrics = new base.ExporterMetrics<Request>({
    componentType,
    metricsHelper,
    url: otlp.url,
    meterProvider: undefined,
    responseAttributesFromError: (error) => ({ 'rpc.response.status_code': error ? (channelModule().GRPC_STATUS_NAMES[(error as { code?: number }).code ?? 2] ?? 'UNKNOWN') : 'OK' }),
  });
  const options = { timeoutMillis: otlp.timeoutMillis, concurrencyLimit: concurrencyLimit ?? base.getSharedConfigurationDefaults().concurrencyLimit, compression: otlp.compression };
  return base.createOtlpNetworkExportDelegate(options, serializer, metrics, new GrpcTransport(otlp, grpcPath));
}

/** After this many deadlines missed in a row the connection is made again (as the SDK's transport does): it may be stuck. */
const MAX_DEADLINES_EXCEEDED = 5;

class GrpcTransport implements IExporterTransport {
  private channel: GrpcChannel | undefined;
  private deadlinesExceeded = 0;
  private shutDown = false;

  /** `grpcPath`: the service method, e.g. /opentelemetry.proto.collector.logs.v1.LogsService/Export. */
  constructor(
    private readonly otlp: OtlpConfig,
    private readonly grpcPath: string,
  ) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this.shutDown) return { status: 'failure', error: new Error('the OTLP exporter has been shut down') };
    const channel = (this.channel ??= otlpChannel(this.otlp));
    try {
      const response = await channel.call(this.grpcPath, data, timeoutMillis);
      this.deadlinesExceeded = 0;
      return { status: 'success', data: response };
    } catch (error) {
      if ((error as { code?: number }).code === channelModule().DEADLINE_EXCEEDED && ++this.deadlinesExceeded > MAX_DEADLINES_EXCEEDED) {
        this.deadlinesExceeded = 0;
        channel.close();
      }
      return { status: 'failure', error: error as Error };
    }
  }

  shutdown(): void {
    this.shutDown = true;
    this.channel?.close();
  }
}

/** The channel to the Collector of one signal's OTLP settings (the exit sender's too). */
export function otlpChannel(otlp: OtlpConfig): GrpcChannel {
  return new (channelModule().GrpcChannel)({
    url: otlp.url,
    insecure: otlp.insecure,
    tls: () => tlsFiles(otlp),
    headers: otlp.headers,
    userAgent: `nodetel/${VERSION}`,
    gzip: otlp.compression === 'gzip',
  });
}

/** OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE, _CLIENT_KEY and _CLIENT_CERTIFICATE, read when a connection is made. */
function tlsFiles(otlp: OtlpConfig): SecureContextOptions {
  return {
    ...(otlp.certificate ? { ca: readFileSync(otlp.certificate) } : {}),
    ...(otlp.clientKey ? { key: readFileSync(otlp.clientKey) } : {}),
    ...(otlp.clientCertificate ? { cert: readFileSync(otlp.clientCertificate) } : {}),
  };
}
