// Which keys name a secret. A key is cut into lowercase words (at `_ - . / space`, at camelCase
// humps, between letters and digits: `x-api-key` -> x api key, `accessToken` -> access token,
// `APIKey` -> api key, `http.request.header.set-cookie` -> ... set cookie, `cvv2` -> cvv 2), and
// names a secret when a secret term appears in it as whole words (`client_secret`, `db_password`)
// or a one-word compound ends with one (`accesstoken`, `XAPIKEY`). Whole words, not substrings, is
// what keeps `tokenizer`, `keyboard`, `passage`, `secretary` and `max_tokens` readable.
// A key whose last word says it is about the secret rather than the secret itself
// (`token_type`, `password_updated_at`, `tokenCount`, `private_key_path`) is left alone too.

/** Terms, as words; each must appear in a key's words as a contiguous sequence. */
const BUILTIN_TERMS = [
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode',
  'secret', 'secrets', 'token', 'authorization', 'cookie', 'cookies', 'credential', 'credentials',
  'api key', 'api keys', 'apikey', 'apikeys', 'private key', 'private keys', 'privatekey',
  'access key', 'accesskey', 'secret key', 'encryption key', 'signing key', 'master key',
  'credit card', 'creditcard', 'card number', 'cardnumber', 'cc number',
  'cvv', 'cvc', 'ssn',
];

/** Keys that are secret only as the whole key (`auth` the axios option, not `auth_method`). */
const EXACT = new Set(['auth']);

/** Keys that contain a term yet are something else: the shell's working directory. */
const EXEMPT = new Set(['pwd', 'oldpwd']);

/** A last word that makes the key about the secret, not the secret. */
const QUALIFIERS = new Set([
  'count', 'type', 'types', 'kind', 'length', 'len', 'size', 'limit', 'ttl', 'expiry', 'expires',
  'expiration', 'exp', 'at', 'in', 'age', 'policy', 'name', 'enabled', 'required', 'present',
  'valid', 'consent', 'format', 'version', 'field', 'hint', 'strength', 'url', 'uri', 'endpoint',
  'path', 'file', 'domain',
]);

/** A compound ends with a term only if the term is this long (an extra `pin` is not the end of `spin`). */
const MIN_SUFFIX = 5;

/** The class of a key: not secret; secret; naming AWS (a value like a secret key is masked); a trace id. */
export const KEY_PLAIN = 0;
export const KEY_SECRET = 1;
export const KEY_AWS = 2;
/** A trace or span id (`trace_id`, `spanId`): hex that may, once in a while, look like a card number. */
export const KEY_TRACE_ID = 3;
export type KeyClass = typeof KEY_PLAIN | typeof KEY_SECRET | typeof KEY_AWS | typeof KEY_TRACE_ID;

/** Keys seen are remembered, up to this many and this long (then forgotten all at once: bounded memory). */
const CACHE_MAX = 4096;
const CACHED_KEY_MAX = 128;

const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;
const SEP = 0;

function kind(c: number): number {
  if (c >= 97 && c <= 122) return LOWER;
  if (c >= 65 && c <= 90) return UPPER;
  if (c >= 48 && c <= 57) return DIGIT;
  return c >= 128 ? LOWER : SEP; // any non-ASCII character counts as a letter
}

/** `xAPIKey_v2` -> ['x', 'api', 'key', 'v', '2']. */
export function keyWords(key: string): string[] {
  const words: string[] = [];
  let start = -1;
  let prev = SEP;
  for (let i = 0; i < key.length; i++) {
    const k = kind(key.charCodeAt(i));
    if (k === SEP) {
      if (start !== -1) words.push(key.slice(start, i).toLowerCase());
      start = -1;
    } else if (start === -1) {
      start = i;
    } else if (
      (prev === LOWER && k === UPPER) ||
      ((prev === DIGIT) !== (k === DIGIT)) ||
      (prev === UPPER && k === UPPER && i + 1 < key.length && kind(key.charCodeAt(i + 1)) === LOWER)
    ) {
      words.push(key.slice(start, i).toLowerCase());
      start = i;
    }
    prev = k;
  }
  if (start !== -1) words.push(key.slice(start).toLowerCase());
  return words;
}

export class KeyMatcher {
  /** Terms by their first word. */
  private readonly byFirst = new Map<string, string[][]>();
  /** Terms joined (`apikey`), long enough to be matched as the end of a compound word. */
  private readonly suffixes: string[] = [];
  private readonly cache = new Map<string, KeyClass>();

  /** `extra`: more terms, each already checked to have at least one word. */
  constructor(extra: readonly string[] = []) {
    for (const term of [...BUILTIN_TERMS, ...extra]) this.add(keyWords(term));
  }

  private add(words: string[]): void {
    const first = words[0]!;
    let list = this.byFirst.get(first);
    if (!list) this.byFirst.set(first, (list = []));
    list.push(words);
    const joined = words.join('');
    if (joined.length >= MIN_SUFFIX && !this.suffixes.includes(joined)) this.suffixes.push(joined);
  }

  classify(key: string): KeyClass {
    let c = this.cache.get(key);
    if (c === undefined) {
      c = this.compute(keyWords(key));
      if (key.length > CACHED_KEY_MAX) return c;
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(key, c);
    }
    return c;
  }

  isSecret(key: string): boolean {
    return this.classify(key) === KEY_SECRET;
  }

  private compute(words: string[]): KeyClass {
    const n = words.length;
    if (n === 0) return KEY_PLAIN;
    const joined = n === 1 ? words[0]! : words.join('');
    if (EXEMPT.has(joined)) return KEY_PLAIN;
    if (EXACT.has(joined)) return KEY_SECRET;
    // A match counts if it reaches the last word, or if the last word does not qualify it
    // (`token_count` is a number; an extra term `token_count` itself still matches).
    const qualified = n > 1 && QUALIFIERS.has(words[n - 1]!);
    for (let i = 0; i < n; i++) {
      const terms = this.byFirst.get(words[i]!);
      if (terms && terms.some((t) => contains(words, i, t) && (!qualified || i + t.length === n))) return KEY_SECRET;
    }
    for (let i = qualified ? n - 1 : 0; i < n; i++) {
      const w = words[i]!;
      if (w.length <= MIN_SUFFIX) continue;
      for (const s of this.suffixes) if (w.length > s.length && w.endsWith(s)) return KEY_SECRET;
    }
    if (words.includes('aws')) return KEY_AWS;
    if (n >= 2 && words[n - 1] === 'id' && (words[n - 2] === 'trace' || words[n - 2] === 'span')) return KEY_TRACE_ID;
    return KEY_PLAIN;
  }
}

function contains(words: string[], at: number, term: string[]): boolean {
  if (at + term.length > words.length) return false;
  for (let j = 1; j < term.length; j++) if (words[at + j] !== term[j]) return false;
  return true;
}
