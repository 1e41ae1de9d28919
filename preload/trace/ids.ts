// Trace and span ids as the API wants them (lowercase hex), and request ids (UUID v4), cut from a
// pool of random bytes refilled 4 KiB at a time: one crypto call per ~170 spans instead of one
// per id, and each id one flat string.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/** Where `bytes` fresh random bytes start in the pool. */
function take(bytes: number): number {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

function randomHex(bytes: number): string {
  const at = take(bytes);
  const hex = pool.toString('hex', at, at + bytes);
  // An all-zero id is invalid in W3C trace context; astronomically rare, but never send one.
  return hex === ZEROS[bytes] ? randomHex(bytes) : hex;
}

const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const uuidText = Buffer.allocUnsafe(36);

/**
 * A random UUID (version 4), as crypto.randomUUID() makes one, but written into one buffer and
 * read out as a single string: randomUUID concatenates it from 20 pieces, about 500 bytes of
 * garbage per request where this makes one 36-character string.
 */
export function newUuid(): string {
  const at = take(16);
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40; // version 4
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80; // variant 10
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) uuidText[o++] = 0x2d; // '-'
    const byte = pool[at + i]!;
    uuidText[o++] = HEX_DIGITS[byte >> 4]!;
    uuidText[o++] = HEX_DIGITS[byte & 15]!;
  }
  return uuidText.toString('latin1', 0, 36);
}
