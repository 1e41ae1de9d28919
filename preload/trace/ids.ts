// Trace and span ids as the API wants them (lowercase hex), cut from a pool of random bytes
// refilled 4 KiB at a time: one crypto call per ~170 spans instead of one per id.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  // An all-zero id is invalid in W3C trace context; astronomically rare, but never send one.
  return hex === ZEROS[bytes] ? randomHex(bytes) : hex;
}

const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);
