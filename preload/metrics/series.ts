// The aggregation behind our own HTTP metrics: explicit-bucket histograms and sums keyed by a
// short string built from the attribute values, so recording a request is one Map lookup and a
// few additions (the SDK's generic path hashes attributes and costs several µs per record).
// Beyond the cardinality limit new attribute sets fold into one overflow series, as the SDK
// does, marked otel.metric.overflow=true.
import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { now } from '../trace/time';

/** The HTTP semantic conventions' advice for duration histograms, in seconds. */
export const DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

class HistogramPoint {
  readonly counts = new Array<number>(DURATION_BOUNDARIES.length + 1).fill(0);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly attributes: Attributes,
    public startTime: HrTime,
  ) {}

  record(value: number): void {
    let i = 0;
    while (i < DURATION_BOUNDARIES.length && value > DURATION_BOUNDARIES[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  reset(startTime: HrTime): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.startTime = startTime;
  }
}

abstract class SeriesSet<P extends { attributes: Attributes; startTime: HrTime }> {
  protected readonly points = new Map<string, P>();
  private overflow: P | undefined;

  constructor(private readonly limit: number) {}

  /** The point for `key`, made with `attributes()` the first time (only then are they built). */
  protected point(key: string, attributes: () => Attributes): P {
    let point = this.points.get(key);
    if (point) return point;
    // The spec's guarantee: up to `limit` attribute sets never overflow; the overflow series comes on top.
    if (this.points.size >= this.limit) return (this.overflow ??= this.create(OVERFLOW));
    point = this.create(attributes());
    this.points.set(key, point);
    return point;
  }

  protected all(): P[] {
    return this.overflow ? [...this.points.values(), this.overflow] : [...this.points.values()];
  }

  protected abstract create(attributes: Attributes): P;
}

export class HistogramSeries extends SeriesSet<HistogramPoint> {
  record(key: string, attributes: () => Attributes, value: number): void {
    this.point(key, attributes).record(value);
  }

  /** Data points as the SDK reports them; with `delta`, the series restart from zero afterwards. */
  collect(delta: boolean): DataPoint<Histogram>[] {
    const end = now();
    const points: DataPoint<Histogram>[] = [];
    for (const p of this.all()) {
      if (p.count === 0 && delta) continue;
      points.push({
        attributes: p.attributes,
        startTime: p.startTime,
        endTime: end,
        value: { buckets: { boundaries: DURATION_BOUNDARIES, counts: [...p.counts] }, count: p.count, sum: p.sum, min: p.min, max: p.max },
      });
      if (delta) p.reset(end);
    }
    return points;
  }

  protected create(attributes: Attributes): HistogramPoint {
    return new HistogramPoint(attributes, now());
  }
}

class SumPoint {
  value = 0;
  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
  ) {}
}

/** A non-monotonic sum (an UpDownCounter), always reported cumulatively, as the spec asks. */
export class UpDownSeries extends SeriesSet<SumPoint> {
  add(key: string, attributes: () => Attributes, value: number): void {
    this.point(key, attributes).value += value;
  }

  collect(): DataPoint<number>[] {
    const end = now();
    return this.all().map((p) => ({ attributes: p.attributes, startTime: p.startTime, endTime: end, value: p.value }));
  }

  protected create(attributes: Attributes): SumPoint {
    return new SumPoint(attributes, now());
  }
}
