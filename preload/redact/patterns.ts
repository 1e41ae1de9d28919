// Secrets inside strings: the sensitive part of a log message, an attribute value or an error
// message is replaced by a marker naming what it was, and the rest stays readable:
// `user bob@example.com logged in` -> `user [REDACTED:email] logged in`.
//
// Most strings hold nothing of the kind, so one pass over the characters (scan) first notes which
// kinds of secret could be there at all: an '@' for e-mail addresses and URL passwords, 13 digits
// in a row for card numbers, a run of 15 token characters with a letter of a token prefix for
// JWTs and cloud keys (hex ids and UUIDs have none), `PRIVATE KEY` for a PEM block, the word
// bearer/basic for an Authorization value, a `:` or `=` for a `name=value`. Only those patterns
// run; a string with none returns as it came, with no allocation. Strings found clean are also
// remembered (see StringMasker.clean), since log lines and attribute values repeat.
import { KEY_AWS, KEY_PLAIN, type KeyMatcher } from './keys';
import { isCardNumber } from './luhn';

/** What the value of a secret-named key becomes. */
export const REDACTED = '[REDACTED]';

function marker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

const AT = 1;
const DIGITS = 2;
const LONG_RUN = 4;
const DASHES = 8;
const SCHEME = 16;
const ASSIGN = 32;
const ALL = 63;

// What each ASCII character can take part in, as bits (anything else: 0).
const TOKEN_CHAR = 1; // [A-Za-z0-9_-]: tokens, keys, JWT segments
const DIGIT = 2;
const DIGIT_SEPARATOR = 4; // space or dash, between groups of a card number
const AT_SIGN = 8;
const NAME_SEPARATOR = 16; // : or =
const TOKEN_LETTER = 32; // a letter of a token prefix (eyJ AKIA ASIA AIza gh xox sk_ rk_), which hex never has
const LETTER_B = 64;
const SPACE = 128; // space or tab
const DASH = 256;
const LETTER = 512;
const BITS = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/[A-Za-z0-9_-]/.test(ch)) bits |= TOKEN_CHAR;
  if (/[0-9]/.test(ch)) bits |= DIGIT;
  if (ch === ' ' || ch === '-') bits |= DIGIT_SEPARATOR;
  if (ch === '@') bits |= AT_SIGN;
  if (ch === ':' || ch === '=') bits |= NAME_SEPARATOR;
  if (/[yJKSIzghxo_]/.test(ch)) bits |= TOKEN_LETTER;
  if (ch === 'b' || ch === 'B') bits |= LETTER_B;
  if (ch === ' ' || ch === '\t') bits |= SPACE;
  if (ch === '-') bits |= DASH;
  if (/[A-Za-z]/.test(ch)) bits |= LETTER;
  BITS[c] = bits;
}

/** `Bearer ` / `Basic `, before the full pattern runs. */
const SCHEME_WORD = /b(?:earer|asic)[ \t]/i;

/**
 * The kinds of secret that could be in s: a superset of what the patterns below match. One pass
 * over the characters ORs their bits and keeps two counters without a branch on the data (the
 * longest run of token characters, the most digits in a row with single separators): mixed text
 * defeats branch prediction, which made a state machine 1.6 times as slow.
 */
export function scan(s: string): number {
  let bits = 0;
  let run = 0;
  let longestRun = 0;
  let digits = 0;
  let mostDigits = 0;
  let afterDigit = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const b = c < 128 ? BITS[c]! : 0;
    bits |= b;
    run = (run + 1) & -(b & TOKEN_CHAR);
    if (run > longestRun) longestRun = run;
    const d = (b >> 1) & 1;
    // a digit counts; a separator right after a digit keeps the count; anything else resets it
    digits = (digits + d) & -(d | ((b >> 2) & afterDigit));
    afterDigit = d;
    if (digits > mostDigits) mostDigits = digits;
  }
  let found = 0;
  if (bits & AT_SIGN) found |= AT;
  if (bits & NAME_SEPARATOR && bits & LETTER) found |= ASSIGN;
  if (mostDigits >= 13) found |= DIGITS;
  if (longestRun >= 15 && bits & TOKEN_LETTER) found |= LONG_RUN;
  if (bits & DASH && longestRun >= 10 && s.includes('PRIVATE KEY')) found |= DASHES;
  if (bits & LETTER_B && bits & SPACE && SCHEME_WORD.test(s)) found |= SCHEME;
  return found;
}

type Replacer = (m: RegExpExecArray) => string | undefined;

/** s with each match of the global re replaced (undefined: kept); s itself when nothing changed. */
function replaceEach(s: string, re: RegExp, replace: Replacer): string {
  re.lastIndex = 0;
  let out: string | undefined;
  let last = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const r = replace(m);
    if (r === undefined || r === m[0]) continue;
    out = (out ?? '') + s.slice(last, m.index) + r;
    last = m.index + m[0].length;
  }
  return out === undefined ? s : out + s.slice(last);
}

const PEM = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** A value that runs to the end of the line (a Cookie header holds `a=1; b=2`). */
const WHOLE_LINE = /(?:cookies?|authorization)$/i;
/** An Authorization value's scheme, kept with the credentials that follow it. */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|negotiate|apikey)[ \t]+/i;
const AWS_SECRET = /^[A-Za-z0-9/+]{40}$/;

/** Authorization credentials in prose: `Bearer <token>`, `Basic <base64>`. */
const SCHEME_CREDENTIALS = /\b(bearer|basic)([ \t]+)([A-Za-z0-9._~+/-]+=*)/gi;
/** A word, not credentials: `basic authentication`, `Bearer Token`, `BASIC`. */
const PLAIN_WORD = /^(?:[A-Za-z][a-z]*(?:-[a-z]+)*|[A-Z]+)$/;

/** `scheme://user:password@host`: the password goes, the user and host stay. */
const URL_PASSWORD = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s@/?#]+)@/g;

/** One alternative per kind of token; the group that matched names it. */
const TOKENS = new RegExp(
  '(?<![\\w-])(?:' +
    [
      'eyJ[\\w-]{12,}\\.[\\w-]*\\.[\\w-]*(?:\\.[\\w-]*\\.[\\w-]*)?', // JWT (JWS, or JWE's five parts)
      '(?:AKIA|ASIA)[A-Z0-9]{16}', // AWS access key id
      'AIza[\\w-]{35}', // Google API key
      'gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_\\w{22,244}', // GitHub tokens
      'xox[A-Za-z]-[A-Za-z0-9-]{10,}', // Slack tokens
      '[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}', // Stripe secret and restricted keys
    ]
      .map((p) => `(${p})`)
      .join('|') +
    ')(?![\\w-])',
  'g',
);
const TOKEN_KINDS = ['', 'jwt', 'aws_access_key_id', 'gcp_api_key', 'github_token', 'slack_token', 'stripe_key'];

/**
 * Not a URL's user (`https://git@github.com`), not an scp-style remote (`git@github.com:org/repo`),
 * not `icon@2x.png`, not `lodash@4.17.21` (the top-level domain is letters).
 */
const EMAIL =
  /(?<![\w.%+-])(?<!:\/\/)[\w.%+-]+@(?!\d+x\.)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-]|:[\w~/])/g;

/**
 * 13 to 19 digits, in one piece or in groups of 3 to 6 after a first group of 4 with one kind of
 * separator (4-4-4-4, 4 6 5, 4-4-4-4-3); not part of a longer number, a word, a decimal or a
 * phone number (+...).
 */
const CARD = /(?<![\w+.-])(?:\d{4}([ -])\d{3,6}(?:\1\d{3,6}){1,3}|\d{13,19})(?![\w-]|[.,]\d)/g;

const CLEAN_SLOTS = 4096; // a power of two
const CLEAN_MIN = 12; // shorter strings scan about as fast as a lookup
const CLEAN_MAX = 512;

export class StringMasker {
  /** `scanFirst` false: every pattern runs on every string (for tests: scan must change nothing). */
  constructor(
    private readonly keys: KeyMatcher,
    private readonly extra: readonly RegExp[] = [],
    private readonly scanFirst = true,
  ) {}

  /**
   * Strings found clean, by a cheap index (length and four characters): log messages, user agents,
   * host names repeat, and a hit costs one comparison instead of a scan. Direct-mapped, so what
   * does not repeat (ids) just overwrites a slot; bounded (slots times the longest string kept).
   * Holds nothing that had a secret in it.
   */
  private readonly clean: (string | undefined)[] = new Array<string | undefined>(CLEAN_SLOTS).fill(undefined);

  mask(s: string): string {
    const n = s.length;
    let slot = -1;
    if (n >= CLEAN_MIN && n <= CLEAN_MAX) {
      slot = (n * 31 + s.charCodeAt(0) * 1021 + s.charCodeAt(n >> 2) * 7 + s.charCodeAt(n >> 1) * 131 + s.charCodeAt(n - 1)) & (CLEAN_SLOTS - 1);
      if (this.clean[slot] === s) return s;
    }
    const out = this.maskUncached(s);
    if (slot !== -1 && out === s) this.clean[slot] = s;
    return out;
  }

  private maskUncached(s: string): string {
    const found = this.scanFirst ? scan(s) : ALL;
    let out = s;
    if (found !== 0) {
      if (found & DASHES) out = replaceEach(out, PEM, () => marker('private_key'));
      if (found & ASSIGN) out = this.maskAssignments(out);
      if (found & SCHEME) out = replaceEach(out, SCHEME_CREDENTIALS, credentials);
      if (found & AT) {
        if (out.includes('://')) out = replaceEach(out, URL_PASSWORD, urlPassword);
        out = replaceEach(out, EMAIL, () => marker('email'));
      }
      if (found & LONG_RUN) out = replaceEach(out, TOKENS, token);
      if (found & DIGITS) out = replaceEach(out, CARD, card);
    }
    for (const re of this.extra) out = replaceEach(out, re, custom);
    return out;
  }

  /** Values of secret-named assignments in s: `name=value`, `name: value`, `"name": "value"`. */
  private maskAssignments(s: string): string {
    let out: string | undefined;
    let last = 0;
    let colon = s.indexOf(':');
    let equals = s.indexOf('=');
    while (colon !== -1 || equals !== -1) {
      let p: number;
      if (equals === -1 || (colon !== -1 && colon < equals)) {
        p = colon;
        colon = s.indexOf(':', p + 1);
      } else {
        p = equals;
        equals = s.indexOf('=', p + 1);
      }
      const end = nameEnd(s, p, last);
      let start = end;
      while (start > last && isNameChar(s.charCodeAt(start - 1))) start--;
      if (start === end || !isLetter(s.charCodeAt(start))) continue;
      const name = s.slice(start, end);
      const cls = this.keys.classify(name);
      if (cls === KEY_PLAIN) continue;
      let vs = p + 1;
      while (vs < s.length && (s.charCodeAt(vs) === 32 || s.charCodeAt(vs) === 9)) vs++;
      const v = valueAt(s, vs, WHOLE_LINE.test(name));
      if (v === undefined) continue;
      const value = s.slice(v.start, v.end);
      let replacement: string;
      if (cls === KEY_AWS) {
        if (!AWS_SECRET.test(value)) continue;
        replacement = marker('aws_secret_key');
      } else {
        if (keepValue(value)) continue;
        replacement = REDACTED;
      }
      out = (out ?? '') + s.slice(last, v.start) + replacement;
      last = v.end;
      if (colon !== -1 && colon < last) colon = s.indexOf(':', last);
      if (equals !== -1 && equals < last) equals = s.indexOf('=', last);
    }
    return out === undefined ? s : out + s.slice(last);
  }
}

/** Where the name before the separator at p ends: spaces, then a quote (maybe escaped), skipped. */
function nameEnd(s: string, p: number, floor: number): number {
  let i = p;
  while (i > floor && (s.charCodeAt(i - 1) === 32 || s.charCodeAt(i - 1) === 9)) i--;
  if (i > floor && (s.charCodeAt(i - 1) === 34 || s.charCodeAt(i - 1) === 39)) {
    i--;
    if (i > floor && s.charCodeAt(i - 1) === 92) i--;
  }
  return i;
}

/** [A-Za-z0-9_.-] */
function isNameChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

function isLetter(c: number): boolean {
  const l = c | 32;
  return l >= 97 && l <= 122;
}

/** Where the value starting at p ends: quoted, to the end of the line, or to a delimiter. */
function valueAt(s: string, p: number, wholeLine: boolean): { start: number; end: number } | undefined {
  if (p >= s.length) return undefined;
  const c = s.charCodeAt(p);
  if (c === 92 && p + 1 < s.length && (s[p + 1] === '"' || s[p + 1] === "'")) {
    // \"value\" inside JSON held in a string
    const close = s.indexOf(`\\${s[p + 1]}`, p + 2);
    return { start: p + 2, end: close === -1 ? lineEnd(s, p) : close };
  }
  if (c === 34 || c === 39) {
    let i = p + 1;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === c) return { start: p + 1, end: i };
      i += d === 92 ? 2 : 1;
    }
    return { start: p + 1, end: lineEnd(s, p) };
  }
  if (wholeLine) return { start: p, end: lineEnd(s, p) };
  let i = p;
  const scheme = AUTH_SCHEME.exec(s.slice(p, p + 16));
  if (scheme) i += scheme[0].length;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i);
    // whitespace , ; & " ' ) ] } < >
    if (d <= 32 || d === 44 || d === 59 || d === 38 || d === 34 || d === 39 || d === 41 || d === 93 || d === 125 || d === 60 || d === 62) break;
  }
  return i === p ? undefined : { start: p, end: i };
}

function lineEnd(s: string, p: number): number {
  for (let i = p; i < s.length; i++) {
    const d = s.charCodeAt(i);
    if (d === 10 || d === 13) return i;
  }
  return s.length;
}

/** Values that say there is no secret: empty, null, a flag, or already masked. */
function keepValue(v: string): boolean {
  if (v === '' || v === 'null' || v === 'undefined' || v === 'true' || v === 'false' || v === 'REDACTED') return true;
  if (v.startsWith('[REDACTED')) return true;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) !== 42) return false; // all '*'
  return true;
}

function credentials(m: RegExpExecArray): string | undefined {
  const value = m[3]!;
  if (value.length < 8 || PLAIN_WORD.test(value)) return undefined;
  return `${m[1]}${m[2]}${marker(m[1]!.toLowerCase())}`;
}

function urlPassword(m: RegExpExecArray): string | undefined {
  // `https://[REDACTED:github_token]@host`: a token already masked where the user goes.
  if (m[2]!.startsWith('[REDACTED')) return undefined;
  return `${m[1]}${m[2]}:${marker('password')}@`;
}

function token(m: RegExpExecArray): string {
  for (let g = 1; g < TOKEN_KINDS.length; g++) if (m[g] !== undefined) return marker(TOKEN_KINDS[g]!);
  return marker('token');
}

function card(m: RegExpExecArray): string | undefined {
  const s = m[0];
  if (isCardNumber(s)) return marker('card');
  const sep = m[1];
  if (sep === undefined) return undefined;
  // The last groups may be something else (a CVV, an expiry year): try fewer of them.
  for (let end = s.lastIndexOf(sep); end > 0; end = s.lastIndexOf(sep, end - 1)) {
    if (isCardNumber(s, 0, end)) return marker('card') + s.slice(end);
  }
  return undefined;
}

function custom(m: RegExpExecArray): string {
  const at = m.indices?.groups?.['secret'];
  if (!at) return marker('custom');
  const s = m[0];
  return s.slice(0, at[0] - m.index) + marker('custom') + s.slice(at[1] - m.index);
}
