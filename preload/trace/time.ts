// Wall-clock timestamps as OpenTelemetry HrTime ([seconds, nanoseconds]), from the monotonic
// performance clock anchored once at start, so a span's duration never goes negative when the
// system clock is adjusted. The origin is split into whole seconds first to keep sub-µs precision.
import { performance } from 'node:perf_hooks';
import type { HrTime, TimeInput } from '@opentelemetry/api';

const timeOrigin = performance.timeOrigin; // a getter that calls into Node each time: read once
const originSeconds = Math.floor(timeOrigin / 1000);
const originRestMillis = timeOrigin - originSeconds * 1000;

export function now(): HrTime {
  return fromPerformanceMillis(performance.now());
}

function fromPerformanceMillis(perfMillis: number): HrTime {
  const millis = originRestMillis + perfMillis;
  const seconds = Math.floor(millis / 1000);
  const nanos = Math.min(999_999_999, Math.round((millis - seconds * 1000) * 1e6));
  return [originSeconds + seconds, nanos];
}

function fromEpochMillis(millis: number): HrTime {
  const seconds = Math.floor(millis / 1000);
  return [seconds, Math.min(999_999_999, Math.round((millis - seconds * 1000) * 1e6))];
}

/** Accepts what the API allows for span times: HrTime, epoch ms, performance.now() ms, or a Date. */
export function toHrTime(input: TimeInput | undefined): HrTime {
  if (input === undefined) return now();
  if (Array.isArray(input)) return [input[0], input[1]];
  if (input instanceof Date) return fromEpochMillis(input.getTime());
  // The API's convention: a number smaller than the time origin is a performance.now() reading.
  return input < timeOrigin ? fromPerformanceMillis(input) : fromEpochMillis(input);
}

export function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
