// A time as ISO 8601 in UTC, exactly as Date.prototype.toISOString writes it (for the years
// 0000-9999 that Date.now() gives), from the UTC getters. Not toISOString itself: V8 computes the
// local time-zone offset on the way even though an ISO string does not show it, and the first
// time that happens ICU loads its time-zone data and code, about 1 MB of RSS that the sidecar
// would keep from its first check result on (bench/agent-footprint.mjs measures it).
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
