// Runtime health with the semantic-convention names: event-loop delay and utilization, GC
// durations, V8 heap by space, process memory and CPU time. Everything but GC is read when the
// metrics are collected (observable instruments), so between exports it costs nothing; GC
// pauses arrive one PerformanceEntry per collection.
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Meter } from '@opentelemetry/api';

const NANOS = 1e-9;

const GC_TYPES: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function observeRuntime(meter: Meter): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gauges = {
    min: meter.createObservableGauge('nodejs.eventloop.delay.min', { unit: 's', description: 'Event loop minimum delay.' }),
    max: meter.createObservableGauge('nodejs.eventloop.delay.max', { unit: 's', description: 'Event loop maximum delay.' }),
    mean: meter.createObservableGauge('nodejs.eventloop.delay.mean', { unit: 's', description: 'Event loop mean delay.' }),
    p50: meter.createObservableGauge('nodejs.eventloop.delay.p50', { unit: 's', description: 'Event loop 50 percentile delay.' }),
    p90: meter.createObservableGauge('nodejs.eventloop.delay.p90', { unit: 's', description: 'Event loop 90 percentile delay.' }),
    p99: meter.createObservableGauge('nodejs.eventloop.delay.p99', { unit: 's', description: 'Event loop 99 percentile delay.' }),
  };
  const utilization = meter.createObservableGauge('nodejs.eventloop.utilization', { unit: '1', description: 'Event loop utilization.' });
  const heapUsed = meter.createObservableUpDownCounter('v8js.memory.heap.used', { unit: 'By', description: 'Heap Memory size allocated.' });
  const heapLimit = meter.createObservableUpDownCounter('v8js.memory.heap.limit', { unit: 'By', description: 'Total heap memory size pre-allocated.' });
  const memory = meter.createObservableUpDownCounter('process.memory.usage', { unit: 'By', description: 'The amount of physical memory in use.' });
  const cpu = meter.createObservableCounter('process.cpu.time', { unit: 's', description: 'Total CPU seconds broken down by different CPU modes.' });

  let lastUtilization = performance.eventLoopUtilization();
  meter.addBatchObservableCallback(
    (result) => {
      // The delay histogram has no samples until the loop has turned a few times.
      if (delay.count > 0) {
        result.observe(gauges.min, delay.min * NANOS);
        result.observe(gauges.max, delay.max * NANOS);
        result.observe(gauges.mean, delay.mean * NANOS);
        result.observe(gauges.p50, delay.percentile(50) * NANOS);
        result.observe(gauges.p90, delay.percentile(90) * NANOS);
        result.observe(gauges.p99, delay.percentile(99) * NANOS);
      }
      delay.reset();
      const current = performance.eventLoopUtilization();
      result.observe(utilization, performance.eventLoopUtilization(current, lastUtilization).utilization);
      lastUtilization = current;
      for (const space of getHeapSpaceStatistics()) {
        const attributes = { 'v8js.heap.space.name': space.space_name };
        result.observe(heapUsed, space.space_used_size, attributes);
        result.observe(heapLimit, space.space_size, attributes);
      }
      result.observe(memory, process.memoryUsage.rss());
      const usage = process.cpuUsage();
      result.observe(cpu, usage.user / 1e6, { 'cpu.mode': 'user' });
      result.observe(cpu, usage.system / 1e6, { 'cpu.mode': 'system' });
    },
    [...Object.values(gauges), utilization, heapUsed, heapLimit, memory, cpu],
  );

  const gcDuration = meter.createHistogram('v8js.gc.duration', {
    unit: 's',
    description: 'Garbage collection duration.',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcDuration.record(entry.duration / 1000, { 'v8js.gc.type': (kind !== undefined && GC_TYPES[kind]) || 'minor' });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
