// RED metrics for HTTP, recorded on our own lean path (metrics/series.ts) and handed to the
// SDK's metric reader as a MetricProducer at each collection: http.server.request.duration,
// http.server.active_requests and http.client.request.duration, with the attributes of the
// stable HTTP semantic conventions. Attributes hold the route template, never the raw path.
import { ValueType, type Attributes } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { Temporality } from '../config';
import { HistogramSeries, UpDownSeries } from './series';

const HISTOGRAM = 0; // DataPointType.HISTOGRAM
const SUM = 3; // DataPointType.SUM
const DELTA = 0; // AggregationTemporality.DELTA
const CUMULATIVE = 1;

export interface ServerRequest {
  method: string;
  route: string | undefined;
  status: number;
  scheme: string;
  errorType: string | undefined;
}

export interface ClientRequest {
  method: string;
  address: string | undefined;
  port: number;
  status: number | undefined;
  errorType: string | undefined;
}

export class HttpMetrics {
  private readonly serverDuration: HistogramSeries;
  private readonly serverActive: UpDownSeries;
  private readonly clientDuration: HistogramSeries;

  constructor(cardinalityLimit: number) {
    this.serverDuration = new HistogramSeries(cardinalityLimit);
    this.serverActive = new UpDownSeries(cardinalityLimit);
    this.clientDuration = new HistogramSeries(cardinalityLimit);
  }

  serverStarted(method: string, scheme: string, delta: 1 | -1): void {
    this.serverActive.add(method + scheme, () => ({ 'http.request.method': method, 'url.scheme': scheme }), delta);
  }

  serverFinished(r: ServerRequest, seconds: number): void {
    const key = `${r.method} ${r.route ?? ''} ${r.status} ${r.scheme} ${r.errorType ?? ''}`;
    this.serverDuration.record(key, () => serverAttributes(r), seconds);
  }

  clientFinished(r: ClientRequest, seconds: number): void {
    const key = `${r.method} ${r.address ?? ''} ${r.port} ${r.status ?? ''} ${r.errorType ?? ''}`;
    this.clientDuration.record(key, () => clientAttributes(r), seconds);
  }

  /** The metrics as the SDK reports them (histograms and counters follow the temporality preference). */
  collect(temporality: Temporality): MetricData[] {
    const delta = temporality !== 'cumulative';
    const histogram = (name: string, description: string, series: HistogramSeries): MetricData => ({
      descriptor: { name, description, unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: delta ? DELTA : CUMULATIVE,
      dataPointType: HISTOGRAM,
      dataPoints: series.collect(delta),
    });
    const metrics: MetricData[] = [
      histogram('http.server.request.duration', 'Duration of HTTP server requests.', this.serverDuration),
      {
        descriptor: { name: 'http.server.active_requests', description: 'Number of active HTTP server requests.', unit: '{request}', valueType: ValueType.INT },
        aggregationTemporality: CUMULATIVE,
        dataPointType: SUM,
        isMonotonic: false,
        dataPoints: this.serverActive.collect(),
      },
      histogram('http.client.request.duration', 'Duration of HTTP client requests.', this.clientDuration),
    ];
    return metrics.filter((m) => m.dataPoints.length > 0);
  }
}

function serverAttributes(r: ServerRequest): Attributes {
  const a: Attributes = { 'http.request.method': r.method, 'http.response.status_code': r.status, 'url.scheme': r.scheme };
  if (r.route !== undefined) a['http.route'] = r.route;
  if (r.errorType !== undefined) a['error.type'] = r.errorType;
  return a;
}

function clientAttributes(r: ClientRequest): Attributes {
  const a: Attributes = { 'http.request.method': r.method, 'server.port': r.port };
  if (r.address !== undefined) a['server.address'] = r.address;
  if (r.status !== undefined) a['http.response.status_code'] = r.status;
  if (r.errorType !== undefined) a['error.type'] = r.errorType;
  return a;
}
