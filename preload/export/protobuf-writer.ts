// A minimal protobuf writer over one growing buffer, for the OTLP messages we encode ourselves
// (export/otlp-encoding.ts). Nested messages reserve one length byte (spans and log records two,
// as they are mostly 128 to 16,383 bytes long) and move their contents only in the rare case the
// length needs another size, so encoding allocates nothing per field.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export class ProtobufWriter {
  buffer: Buffer;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  /** What was written, in the writer's own buffer: valid until the writer is reset. */
  written(): Buffer {
    return this.buffer.subarray(0, this.pos);
  }

  /** A copy of what was written: the writer's buffer is reused. */
  copy(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    this.buffer.copy(out, 0, 0, this.pos);
    return out;
  }

  varint(value: number): void {
    this.ensure(10);
    const b = this.buffer;
    while (value > 127) {
      b[this.pos++] = (value & 127) | 128;
      value = value > 0xffffffff ? Math.floor(value / 128) : value >>> 7;
    }
    b[this.pos++] = value;
  }

  /** int64 as protobuf varint: negatives take ten bytes, two's complement. */
  int64(value: number): void {
    if (value >= 0) return this.varint(value);
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v > 127n) {
      this.buffer[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buffer[this.pos++] = Number(v);
  }

  tag(field: number, wireType: number): void {
    const tag = (field << 3) | wireType;
    if (tag > 127) return this.varint(tag);
    // Every field we write has a one-byte tag: no loop for them.
    this.ensure(1);
    this.buffer[this.pos++] = tag;
  }

  varintField(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  fixed32Field(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    this.uint32le(value >>> 0);
  }

  doubleField(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** fixed64 nanoseconds since the epoch from [seconds, nanoseconds] (whole numbers), exact without BigInt. */
  timeField(field: number, seconds: number, nanos: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    // A request's records fall within the same second or two: seconds * 1e9, split into 32-bit
    // halves, is worked out once per second and the nanoseconds added to its low half.
    if (seconds !== epochSecond.seconds) splitSecond(seconds);
    const low = epochSecond.low + nanos; // below 2^32 + 1e9: exact
    const carry = low >= 4294967296 ? 1 : 0;
    this.uint32le(low - carry * 4294967296);
    this.uint32le(epochSecond.high + carry);
  }

  /** Four little-endian bytes at pos (room ensured by the caller): Buffer#writeUInt32LE checks its arguments on every call. */
  private uint32le(value: number): void {
    const b = this.buffer;
    const at = this.pos;
    b[at] = value;
    b[at + 1] = value >>> 8;
    b[at + 2] = value >>> 16;
    b[at + 3] = value >>> 24;
    this.pos = at + 4;
  }

  stringField(field: number, value: string): void {
    this.tag(field, WIRE_LENGTH);
    this.string(value);
  }

  string(value: string): void {
    const length = value.length;
    // Most of what we write is short ASCII: copy it in JS, in one pass, rather than measure it and
    // cross into C++ per string; the first non-ASCII character sends it to the UTF-8 path.
    if (length < 128) {
      this.ensure(length + 1);
      const b = this.buffer;
      const start = this.pos;
      let at = start + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c > 127) break;
        b[at++] = c;
      }
      if (i === length) {
        b[start] = length;
        this.pos = at;
        return;
      }
    }
    const bytes = Buffer.byteLength(value);
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buffer.write(value, this.pos, bytes, 'utf8');
  }

  bytesField(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LENGTH);
    this.varint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Bytes that are already protobuf (fields encoded elsewhere), appended as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * An id given as lowercase hex, written as its bytes. A request's span and each of its log
   * records carry the same trace and span ids, so the last id of each length is kept decoded.
   */
  hexField(field: number, hex: string): void {
    const length = hex.length >>> 1;
    this.tag(field, WIRE_LENGTH);
    this.ensure(length + 1);
    const b = this.buffer;
    b[this.pos++] = length;
    const last = length === 16 ? lastTraceId : length === 8 ? lastSpanId : undefined;
    if (last === undefined) {
      decodeHex(hex, b, this.pos);
    } else {
      if (last.hex !== hex) {
        decodeHex(hex, last.bytes, 0);
        last.hex = hex;
      }
      for (let i = 0; i < length; i++) b[this.pos + i] = last.bytes[i]!;
    }
    this.pos += length;
  }

  /**
   * Starts a length-delimited field that will most likely take 128 to 16,383 bytes (a span, a log
   * record) with two bytes kept for its length, so that endLarge() rarely has to move it; returns
   * the mark to pass to endLarge().
   */
  beginLarge(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.ensure(2);
    const mark = this.pos;
    this.pos += 2;
    return mark;
  }

  /** Ends the field begun at `mark` by beginLarge(), writing its length (moving the contents if it is not two bytes). */
  endLarge(mark: number): void {
    const length = this.pos - mark - 2;
    const b = this.buffer;
    if (length >= 128 && length < 16384) {
      b[mark] = (length & 127) | 128;
      b[mark + 1] = length >>> 7;
      return;
    }
    const size = varintSize(length);
    if (size > 2) this.ensure(size - 2);
    this.buffer.copyWithin(mark + size, mark + 2, this.pos);
    this.pos += size - 2;
    this.writeVarintAt(mark, length);
  }

  /**
   * A KeyValue's key (field 1), from bytes kept per key: attribute keys are the same few strings
   * record after record, and copying their bytes is cheaper than writing them out char by char.
   */
  keyField(key: string): void {
    const n = key.length;
    if (n === 0 || n > MAX_KEPT_KEY) return this.stringField(1, key);
    // Two ways per set: two keys of a record that hash alike both stay kept.
    const set = (n * 31 + key.charCodeAt(0) * 7 + key.charCodeAt(n >> 2) * 17 + key.charCodeAt(n >> 1) * 131 + key.charCodeAt((3 * n) >> 2) * 37 + key.charCodeAt(n - 1)) & (KEY_SLOTS - 2);
    let bytes: Uint8Array;
    if (keptKeys[set] === key) bytes = keptKeyBytes[set]!;
    else if (keptKeys[set + 1] === key) bytes = keptKeyBytes[set + 1]!;
    else {
      const w = new ProtobufWriter(n * 3 + 8);
      w.stringField(1, key);
      bytes = w.copy();
      keptKeys[set + 1] = keptKeys[set];
      keptKeyBytes[set + 1] = keptKeyBytes[set];
      keptKeys[set] = key;
      keptKeyBytes[set] = bytes;
    }
    this.raw(bytes);
  }

  /** Starts a length-delimited field; returns the mark to pass to end(). */
  begin(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the field begun at `mark`, writing its length (moving the contents if it needs >1 byte). */
  end(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 128) {
      this.buffer[mark] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buffer.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    this.pos += extra;
    this.writeVarintAt(mark, length);
  }

  private writeVarintAt(at: number, value: number): void {
    const b = this.buffer;
    while (value > 127) {
      b[at++] = (value & 127) | 128;
      value >>>= 7;
    }
    b[at] = value;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

/** The last trace id and span id written (by any writer: they are only ever read right after). */
const lastTraceId = { hex: '', bytes: new Uint8Array(16) };
const lastSpanId = { hex: '', bytes: new Uint8Array(8) };

/** The value of each hex digit, by character code ('0'-'9', 'a'-'f', 'A'-'F'). */
const NIBBLE = new Uint8Array(128);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = NIBBLE[65 + c] = 10 + c;

/** The bytes of `hex`, written into `into` from `at`. */
function decodeHex(hex: string, into: Uint8Array, at: number): void {
  for (let i = 0; i < hex.length; i += 2) into[at++] = (NIBBLE[hex.charCodeAt(i) & 127]! << 4) | NIBBLE[hex.charCodeAt(i + 1) & 127]!;
}

/** seconds * 1e9 as two 32-bit halves, for the last whole second a time was written in (timeField). */
const epochSecond = { seconds: NaN, low: 0, high: 0 };

function splitSecond(seconds: number): void {
  // seconds * 1e9 exceeds 2^53, so with s = sHi * 2^16 + sLo it is (sHi * 1e9) * 2^16 + sLo * 1e9,
  // every product below 2^53.
  const a = Math.floor(seconds / 65536) * 1e9;
  const c = (a % 65536) * 65536 + (seconds % 65536) * 1e9;
  epochSecond.seconds = seconds;
  epochSecond.low = c % 4294967296;
  epochSecond.high = (Math.floor(a / 65536) + Math.floor(c / 4294967296)) >>> 0;
}

/** Attribute keys kept encoded (keyField), in sets of two by hash: a key that does not repeat takes the older way of its set. */
const KEY_SLOTS = 256; // a power of two: 128 sets of two
const MAX_KEPT_KEY = 64;
const keptKeys: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS).fill(undefined);
const keptKeyBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_SLOTS).fill(undefined);

function varintSize(value: number): number {
  let size = 1;
  while (value > 127) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
