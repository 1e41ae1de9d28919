// db.client.operation.duration, recorded on our lean path (metrics/series.ts) like the HTTP
// metrics and handed to the SDK's reader the same way, with the attributes of the database
// semantic conventions: db.system.name, db.operation.name, db.namespace and, on a failure,
// error.type. Never the query text: it would make a series per statement.
import { ValueType, type Attributes } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { Temporality } from '../config';
import { HistogramSeries, type KeyBuffer } from './series';

const HISTOGRAM = 0; // DataPointType.HISTOGRAM
const DELTA = 0; // AggregationTemporality.DELTA
const CUMULATIVE = 1;

/** The database semantic conventions' advice for db.client.operation.duration, in seconds. */
export const DB_DURATION_BOUNDARIES = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** An operation's series: system, operation, namespace, error.type. */
type OperationKey = readonly [system: string, operation: string, namespace: string | undefined, errorType: string | undefined];

export class DbMetrics {
  private readonly duration: HistogramSeries<OperationKey>;
  private readonly key: KeyBuffer<OperationKey> = ['', '', undefined, undefined];

  constructor(cardinalityLimit: number) {
    this.duration = new HistogramSeries(cardinalityLimit, DB_DURATION_BOUNDARIES);
  }

  operationFinished(system: string, operation: string, namespace: string | undefined, errorType: string | undefined, seconds: number): void {
    const key = this.key;
    key[0] = system;
    key[1] = operation;
    key[2] = namespace;
    key[3] = errorType;
    this.duration.record(key, operationAttributes, seconds);
  }

  collect(temporality: Temporality): MetricData[] {
    const delta = temporality !== 'cumulative';
    const dataPoints = this.duration.collect(delta);
    if (dataPoints.length === 0) return [];
    return [
      {
        descriptor: { name: 'db.client.operation.duration', description: 'Duration of database client operations.', unit: 's', valueType: ValueType.DOUBLE },
        aggregationTemporality: delta ? DELTA : CUMULATIVE,
        dataPointType: HISTOGRAM,
        dataPoints,
      },
    ];
  }
}

function operationAttributes([system, operation, namespace, errorType]: OperationKey): Attributes {
  const a: Attributes = { 'db.system.name': system, 'db.operation.name': operation };
  if (namespace !== undefined) a['db.namespace'] = namespace;
  if (errorType !== undefined) a['error.type'] = errorType;
  return a;
}
