// Runtime metrics: a real app under the preload reports the health of its Node runtime under the
// semantic-convention names (event-loop delay and utilization, GC pauses, V8 heap by space,
// process memory and CPU time), with values that make sense for a process that is running and
// has just allocated. Values that belong together are read from one and the same export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric, type ReceivedMetricPoint } from '../helpers/otlp-receiver.ts';
import { recordExports } from './series.ts';

const DELAY = ['min', 'max', 'mean', 'p50', 'p90', 'p99'].map((stat) => `nodejs.eventloop.delay.${stat}`);
const UTILIZATION = 'nodejs.eventloop.utilization';
const GC = 'v8js.gc.duration';
const HEAP_USED = 'v8js.memory.heap.used';
const HEAP_LIMIT = 'v8js.memory.heap.limit';
const RSS = 'process.memory.usage';
const CPU = 'process.cpu.time';
const RUNTIME = [...DELAY, UTILIZATION, GC, HEAP_USED, HEAP_LIMIT, RSS, CPU];
const GC_TYPES = ['major', 'minor', 'incremental', 'weakcb'];
const MB = 1024 * 1024;

/** A gauge, or an UpDownCounter (a non-monotonic sum): either is fine for a level. */
const isLevel = (m: ReceivedMetric): boolean => m.type === 'gauge' || (m.type === 'sum' && m.isMonotonic === false);

describe.each(NODES)('runtime metrics of metrics-app.cjs on $name', ({ bin }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let exportsReceived: ReceivedMetric[][];
  /** The export the assertions read: the first one with every runtime metric and a GC pause in it. */
  let snapshot: Map<string, ReceivedMetric>;
  const service = 'svc-runtime';

  const metric = (name: string): ReceivedMetric => {
    const found = snapshot.get(name);
    if (!found) throw new Error(`no ${name} in the export; got ${[...snapshot.keys()].join(', ')}`);
    return found;
  };
  const point = (name: string): ReceivedMetricPoint => {
    const points = metric(name).points;
    expect(points, name).toHaveLength(1);
    return points[0]!;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    exportsReceived = recordExports(receiver);
    app = await startApp('metrics-app.cjs', {
      node: bin,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: service, OTEL_METRIC_EXPORT_INTERVAL: '300' },
    });
    // Garbage for the collector, made after the app started: the pauses it causes must be reported.
    for (let i = 0; i < 2; i++) expect((await fetch(`${app.url}/allocate`)).status).toBe(200);
    const found = await receiver.waitFor(
      () =>
        exportsReceived.find((batch) => {
          const names = new Set(batch.map((m) => m.name));
          const gc = batch.find((m) => m.name === GC);
          return RUNTIME.every((name) => names.has(name)) && gc!.points.some((p) => (p.count ?? 0) > 0);
        }),
      { what: `one export with ${RUNTIME.join(', ')} and at least one GC pause` },
    );
    snapshot = new Map(found.map((m) => [m.name, m]));
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('uses the semantic-convention instruments and units, on the app’s resource', () => {
    for (const name of DELAY) expect(metric(name), name).toMatchObject({ type: 'gauge', unit: 's' });
    expect(metric(UTILIZATION)).toMatchObject({ type: 'gauge' });
    expect(metric(GC)).toMatchObject({ type: 'histogram', unit: 's' });
    for (const name of [HEAP_USED, HEAP_LIMIT, RSS]) {
      expect(metric(name).unit, name).toBe('By');
      expect(isLevel(metric(name)), `${name} is a ${metric(name).type}, monotonic: ${metric(name).isMonotonic}`).toBe(true);
    }
    expect(metric(CPU)).toMatchObject({ type: 'sum', isMonotonic: true, unit: 's' });
    for (const name of RUNTIME) expect(metric(name).resource['service.name'], name).toBe(service);
  });

  it('reports event-loop delay percentiles in order, in seconds', () => {
    const [min, max, mean, p50, p90, p99] = DELAY.map((name) => point(name).value!);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(p50).toBeGreaterThanOrEqual(min!);
    expect(p90).toBeGreaterThanOrEqual(p50!);
    expect(p99).toBeGreaterThanOrEqual(p90!);
    expect(max).toBeGreaterThanOrEqual(p99!);
    expect(mean).toBeGreaterThanOrEqual(min!);
    expect(mean).toBeLessThanOrEqual(max!);
    // Seconds, not nanoseconds or milliseconds: a loop that answered its requests was never blocked for a minute.
    expect(max).toBeLessThan(60);
  });

  it('reports event-loop utilization as a ratio', () => {
    const { value } = point(UTILIZATION);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(1);
  });

  it('reports the V8 heap per space, each space using no more than it has', () => {
    const bySpace = (name: string): Map<string, number> => {
      const spaces = new Map<string, number>();
      for (const p of metric(name).points) {
        expect(Object.keys(p.attributes), name).toEqual(['v8js.heap.space.name']);
        spaces.set(String(p.attributes['v8js.heap.space.name']), p.value!);
      }
      return spaces;
    };
    const used = bySpace(HEAP_USED);
    const limit = bySpace(HEAP_LIMIT);
    expect([...used.keys()]).toContain('old_space');
    expect([...used.keys()].sort()).toEqual([...limit.keys()].sort());
    expect(used.get('old_space')).toBeGreaterThan(0);
    for (const [space, bytes] of used) {
      expect(bytes, space).toBeGreaterThanOrEqual(0);
      expect(bytes, space).toBeLessThanOrEqual(limit.get(space)!);
    }
    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    expect(total(used)).toBeGreaterThan(0);
    expect(total(used)).toBeLessThan(total(limit));
  });

  it('reports the resident memory of the process in bytes', () => {
    const rss = metric(RSS).points;
    expect(rss.length).toBeGreaterThanOrEqual(1);
    for (const p of rss) {
      expect(p.value).toBeGreaterThan(10 * MB);
      // Bytes, and this process: far below a terabyte.
      expect(p.value).toBeLessThan(1024 * 1024 * MB);
    }
  });

  it('reports CPU time by mode, user and system, in seconds', () => {
    const cpu = metric(CPU).points;
    expect(cpu.map((p) => p.attributes['cpu.mode']).sort()).toEqual(['system', 'user']);
    const user = cpu.find((p) => p.attributes['cpu.mode'] === 'user')!.value!;
    const system = cpu.find((p) => p.attributes['cpu.mode'] === 'system')!.value!;
    expect(user).toBeGreaterThan(0);
    expect(system).toBeGreaterThanOrEqual(0);
    // Seconds, not microseconds: a test app has not burnt an hour of CPU.
    expect(user + system).toBeLessThan(3600);
  });

  it('reports the GC pauses caused by what the app allocated, by GC type', () => {
    const gc = metric(GC).points;
    let pauses = 0;
    for (const p of gc) {
      expect(Object.keys(p.attributes)).toEqual(['v8js.gc.type']);
      expect(GC_TYPES).toContain(p.attributes['v8js.gc.type']);
      expect(p.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(p.count);
      if (p.count! > 0) {
        expect(p.sum).toBeGreaterThan(0);
        // Seconds: no pause of a small heap takes a minute.
        expect(p.sum! / p.count!).toBeLessThan(60);
      }
      pauses += p.count!;
    }
    expect(pauses).toBeGreaterThanOrEqual(1);
  });
});
