// RED metrics for HTTP, recorded on our own lean path (metrics/series.ts) and handed to the
// SDK's metric reader as a MetricProducer at each collection: http.server.request.duration,
// http.server.active_requests and http.client.request.duration, with the attributes of the
// stable HTTP semantic conventions. Attributes hold the route template, never the raw path.
import { ValueType, type Attributes } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { Temporality } from '../config';
import { HistogramSeries, UpDownSeries, type KeyBuffer, type KeyPart } from './series';

const HISTOGRAM = 0; // DataPointType.HISTOGRAM
const SUM = 3; // DataPointType.SUM
const DELTA = 0; // AggregationTemporality.DELTA
const CUMULATIVE = 1;

/** A server request's series: method, route template, status, scheme, error.type. */
type ServerKey = readonly [method: string, route: string | undefined, status: number | undefined, scheme: string, errorType: string | undefined];
/** A client request's series: method, server address, port, status, error.type. */
type ClientKey = readonly [method: string, address: string | undefined, port: number, status: number | undefined, errorType: string | undefined];
type ActiveKey = readonly [method: string, scheme: string];
/** One series of http.server.active_requests (method and scheme). */
export type ActiveRequests = { value: number };

export class HttpMetrics {
  private readonly serverDuration: HistogramSeries<ServerKey>;
  private readonly serverActive: UpDownSeries<ActiveKey>;
  private readonly clientDuration: HistogramSeries<ClientKey>;
  // One key array per series, refilled for each measurement: the series read a key and never
  // keep it (series.ts), so no array is allocated per request.
  private readonly serverKey: KeyBuffer<ServerKey> = ['', undefined, undefined, '', undefined];
  private readonly activeKey: KeyBuffer<ActiveKey> = ['', ''];
  private readonly clientKey: KeyBuffer<ClientKey> = ['', undefined, 0, undefined, undefined];

  constructor(cardinalityLimit: number) {
    this.serverDuration = new HistogramSeries(cardinalityLimit);
    this.serverActive = new UpDownSeries(cardinalityLimit);
    this.clientDuration = new HistogramSeries(cardinalityLimit);
  }

  /** Counts a request in http.server.active_requests; it ends with `.value--` on the point returned. */
  serverStarted(method: string, scheme: string): ActiveRequests {
    const key = this.activeKey;
    key[0] = method;
    key[1] = scheme;
    const point = this.serverActive.pointOf(key, activeAttributes);
    point.value++;
    return point;
  }

  serverFinished(method: string, route: string | undefined, status: number | undefined, scheme: string, errorType: string | undefined, seconds: number): void {
    const key = this.serverKey;
    key[0] = method;
    key[1] = route;
    key[2] = status;
    key[3] = scheme;
    key[4] = errorType;
    this.serverDuration.record(key, serverAttributes, seconds);
  }

  clientFinished(method: string, address: string | undefined, port: number, status: number | undefined, errorType: string | undefined, seconds: number): void {
    const key = this.clientKey;
    key[0] = method;
    key[1] = address;
    key[2] = port;
    key[3] = status;
    key[4] = errorType;
    this.clientDuration.record(key, clientAttributes, seconds);
  }

  /** The metrics as the SDK reports them (histograms and counters follow the temporality preference). */
  collect(temporality: Temporality): MetricData[] {
    const delta = temporality !== 'cumulative';
    const histogram = <K extends readonly KeyPart[]>(name: string, description: string, series: HistogramSeries<K>): MetricData => ({
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

function activeAttributes([method, scheme]: ActiveKey): Attributes {
  return { 'http.request.method': method, 'url.scheme': scheme };
}

function serverAttributes([method, route, status, scheme, errorType]: ServerKey): Attributes {
  const a: Attributes = { 'http.request.method': method, 'url.scheme': scheme };
  if (status !== undefined) a['http.response.status_code'] = status;
  if (route !== undefined) a['http.route'] = route;
  if (errorType !== undefined) a['error.type'] = errorType;
  return a;
}

function clientAttributes([method, address, port, status, errorType]: ClientKey): Attributes {
  const a: Attributes = { 'http.request.method': method, 'server.port': port };
  if (address !== undefined) a['server.address'] = address;
  if (status !== undefined) a['http.response.status_code'] = status;
  if (errorType !== undefined) a['error.type'] = errorType;
  return a;
}
