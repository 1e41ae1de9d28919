// Wall-clock timestamps as OpenTelemetry HrTime ([seconds, nanoseconds]), from the monotonic
// performance clock anchored once at start, so a span's duration never goes negative when the
// system clock is adjusted. The origin is split into whole seconds first to keep sub-µs precision.
import { performance } from 'node:perf_hooks';
import type { HrTime, TimeInput } from '@opentelemetry/api';

const timeOrigin = performance.timeOrigin; // a getter that calls into Node each time: read once
const originSeconds = Math.floor(timeOrigin / 1000);
const originRestMillis = timeOrigin - originSeconds * 1000;

// `out`, where a function takes one: the pair to write the time into, for a caller that encodes
// the time at once and reuses one pair (logs/pipeline.ts); by default a new one.

export function now(out: HrTime = [0, 0]): HrTime {
  return fromPerformanceMillis(performance.now(), out);
}

function fromPerformanceMillis(perfMillis: number, out: HrTime = [0, 0]): HrTime {
  const millis = originRestMillis + perfMillis;
  const seconds = Math.floor(millis / 1000);
  out[0] = originSeconds + seconds;
  out[1] = Math.min(999_999_999, Math.round((millis - seconds * 1000) * 1e6));
  return out;
}

function fromEpochMillis(millis: number, out: HrTime = [0, 0]): HrTime {
  const seconds = Math.floor(millis / 1000);
  out[0] = seconds;
  out[1] = Math.min(999_999_999, Math.round((millis - seconds * 1000) * 1e6));
  return out;
}

/** Accepts what the API allows for span times: HrTime, epoch ms, performance.now() ms, or a Date. */
export function toHrTime(input: TimeInput | undefined, out: HrTime = [0, 0]): HrTime {
  if (input === undefined) return now(out);
  if (Array.isArray(input)) {
    out[0] = input[0];
    out[1] = input[1];
    return out;
  }
  if (input instanceof Date) return fromEpochMillis(input.getTime(), out);
  // The API's convention: a number smaller than the time origin is a performance.now() reading.
  return input < timeOrigin ? fromPerformanceMillis(input, out) : fromEpochMillis(input, out);
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
