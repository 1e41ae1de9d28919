// The Huffman code of HPACK (RFC 7541 section 5.2, Appendix B), for header strings a server
// sends compressed. The code is canonical: codes are handed out in order of length, then of
// symbol, so the length of each symbol's code is all that needs writing down; the codes follow.
// A wrong length would break the code's completeness (the lengths' 2^-n summing to exactly 1),
// which is checked as the table is built, and the tests decode what nghttp2 encodes.

/** Code lengths of symbols 0-255 and EOS (256), in bits: 'a' is 5, 'b' 6 ... 'z' 30. */
const LENGTHS =
  'isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz';

const EOS = 256;
const MAX_LENGTH = 30;

/** Per code length: the first code of that length, how many there are, and where their symbols start in SYMBOLS. */
const FIRST_CODE = new Array<number>(MAX_LENGTH + 1).fill(0);
const COUNT = new Array<number>(MAX_LENGTH + 1).fill(0);
const OFFSET = new Array<number>(MAX_LENGTH + 1).fill(0);
/** The symbols in code order. */
const SYMBOLS: number[] = [];

(function buildCanonicalCode(): void {
  const lengths = Array.from(LENGTHS, (c) => c.charCodeAt(0) - 97 + 5);
  if (lengths.length !== 257) throw new Error('HPACK Huffman table: 257 code lengths expected');
  for (let length = 1; length <= MAX_LENGTH; length++) {
    OFFSET[length] = SYMBOLS.length;
    for (let symbol = 0; symbol < lengths.length; symbol++) if (lengths[symbol] === length) SYMBOLS.push(symbol);
    COUNT[length] = SYMBOLS.length - OFFSET[length]!;
  }
  let code = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    FIRST_CODE[length] = code;
    code = (code + COUNT[length]!) * 2;
  }
  // In a complete code the 30-bit codes run up to exactly 2^30 - 1.
  if (code !== 2 ** (MAX_LENGTH + 1)) throw new Error('HPACK Huffman table: the code lengths do not make a complete code');
})();

/** The octets `bytes` encode, as a latin1 string (header values are octets); throws on an invalid encoding. */
export function huffmanDecode(bytes: Uint8Array): string {
  let out = '';
  let code = 0;
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const index = code - FIRST_CODE[length]!;
      if (index >= 0 && index < COUNT[length]!) {
        const symbol = SYMBOLS[OFFSET[length]! + index]!;
        if (symbol === EOS) throw new Error('HPACK: EOS inside a Huffman-coded string');
        out += String.fromCharCode(symbol);
        code = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new Error('HPACK: invalid Huffman code');
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all ones (the start of EOS).
  if (length > 7 || code !== 2 ** length - 1) throw new Error('HPACK: invalid Huffman padding');
  return out;
}
