// HPACK (RFC 7541), as much as a gRPC client needs. Requests are encoded without touching the
// dynamic table (each field from the static table, or as a literal "without indexing"), so the
// server's decoder state never depends on ours; answers are decoded in full (static and dynamic
// table, Huffman-coded strings), as a server may use all of it.
import { huffmanDecode } from './hpack-huffman';

/** A header list as decoded: name, value, name, value ... (a flat array: no pair per field). */
export type HeaderList = string[];

/** The static table (Appendix A): index 1 is STATIC_TABLE[0]. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'],
  [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'],
  ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
  ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** The dynamic table size we decode with: HTTP/2's default SETTINGS_HEADER_TABLE_SIZE, which we leave as it is. */
const MAX_TABLE_SIZE = 4096;

/** Each field of `fields` (name, value pairs), encoded as a header block fragment. */
export function encodeHeaderBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const full = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value && v !== '');
    if (full !== -1) {
      integer(out, 0x80, 7, full + 1); // indexed field
      continue;
    }
    const byName = STATIC_TABLE.findIndex(([n]) => n === name);
    if (byName !== -1) {
      integer(out, 0x00, 4, byName + 1); // literal without indexing, indexed name
    } else {
      out.push(0x00); // literal without indexing, new name
      string(out, name);
    }
    string(out, value);
  }
  return Buffer.from(out);
}

/** An HPACK integer with an N-bit prefix, the byte's other bits being `pattern`. */
function integer(out: number[], pattern: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(pattern | value);
    return;
  }
  out.push(pattern | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** A string literal, not Huffman-coded (our fields are few and mostly sent once per connection's life). */
function string(out: number[], value: string): void {
  integer(out, 0x00, 7, value.length);
  for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
}

/** The decoding side of one connection: its dynamic table lives as long as the connection. */
export class HpackDecoder {
  /** Newest first. */
  private readonly table: [string, string][] = [];
  private size = 0;
  private maxSize = MAX_TABLE_SIZE;
  private block: Buffer = Buffer.alloc(0);
  private at = 0;

  /** The fields of a complete header block; throws on a malformed one (a connection error: the table may be out of step). */
  decode(block: Buffer): HeaderList {
    this.block = block;
    this.at = 0;
    const fields: HeaderList = [];
    while (this.at < block.length) {
      const byte = block[this.at]!;
      if (byte & 0x80) {
        const [name, value] = this.entry(this.integer(7));
        fields.push(name, value);
      } else if (byte & 0x40) {
        const nameIndex = this.integer(6);
        const name = nameIndex === 0 ? this.string() : this.entry(nameIndex)[0];
        const value = this.string();
        this.add(name, value);
        fields.push(name, value);
      } else if (byte & 0x20) {
        const size = this.integer(5);
        if (size > MAX_TABLE_SIZE) throw new Error(`HPACK: table size ${size} above the ${MAX_TABLE_SIZE} allowed`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): the same to a decoder.
        const nameIndex = this.integer(4);
        const name = nameIndex === 0 ? this.string() : this.entry(nameIndex)[0];
        fields.push(name, this.string());
      }
    }
    return fields;
  }

  private entry(index: number): readonly [string, string] {
    const entry = index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : this.table[index - STATIC_TABLE.length - 1];
    if (index === 0 || entry === undefined) throw new Error(`HPACK: no table entry ${index}`);
    return entry;
  }

  private add(name: string, value: string): void {
    const size = name.length + value.length + 32;
    this.evict(size);
    // An entry larger than the whole table empties it and is not kept.
    if (size > this.maxSize) return;
    this.table.unshift([name, value]);
    this.size += size;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.table.length > 0 && this.size + room > this.maxSize) {
      const [name, value] = this.table.pop()!;
      this.size -= name.length + value.length + 32;
    }
  }

  private integer(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = this.byte() & max;
    if (value < max) return value;
    let shift = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 127) * shift;
      if (!(byte & 128)) return value;
      shift *= 128;
      if (shift > 2 ** 28) throw new Error('HPACK: integer too large');
    }
  }

  private string(): string {
    const huffman = (this.block[this.at]! & 0x80) !== 0;
    const length = this.integer(7);
    const end = this.at + length;
    if (end > this.block.length) throw new Error('HPACK: string runs past the block');
    const start = this.at;
    this.at = end;
    return huffman ? huffmanDecode(this.block.subarray(start, end)) : this.block.toString('latin1', start, end);
  }

  private byte(): number {
    if (this.at >= this.block.length) throw new Error('HPACK: block ends inside a field');
    return this.block[this.at++]!;
  }
}

/** The value of `name` in a decoded header list (names arrive lowercase in HTTP/2). */
export function headerValue(fields: HeaderList | undefined, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
