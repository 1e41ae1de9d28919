// Secrets inside strings: the sensitive part of a log message, an attribute value or an error
// message is replaced by a marker naming what it was, and the rest stays readable:
// `user bob@example.com logged in` -> `user [REDACTED:email] logged in`.
//
// Most strings hold nothing of the kind, so one pass over the characters (scan) first notes which
// kinds of secret could be there at all: an '@' for e-mail addresses and URL passwords, 13 digits
// in a row for card numbers, a run of 15 token characters for JWTs and cloud keys, five dashes for
// a PEM block, the word bearer/basic for an Authorization value, a `name=` / `name:` for an
// assignment. Only those patterns run; a string with none returns as it came, with no allocation.
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

// Character classes, by char code (ASCII; anything else is OTHER).
const OTHER = 0;
const LETTER = 1;
const LETTER_B = 2; // b or B: may start `bearer` / `basic`
const DIGIT = 3;
const DASH = 4;
const UNDERSCORE = 5;
const SPACE = 6; // space or tab
const AT_SIGN = 7;
const SEPARATOR = 8; // : or =
const QUOTE_DOT = 9; // . " ' \ : may stand between a name and its separator
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  CLASS[c] =
    c === 66 || c === 98 ? LETTER_B
    : (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? LETTER
    : c >= 48 && c <= 57 ? DIGIT
    : c === 45 ? DASH
    : c === 95 ? UNDERSCORE
    : c === 32 || c === 9 ? SPACE
    : c === 64 ? AT_SIGN
    : c === 58 || c === 61 ? SEPARATOR
    : c === 46 || c === 34 || c === 39 || c === 92 ? QUOTE_DOT
    : OTHER;
}

/**
 * The kinds of secret that could be in s: a superset of what the patterns below match, found in
 * one pass with a few counters (a JS loop over char codes beats several native searches here).
 */
export function scan(s: string): number {
  let flags = 0;
  let run = 0; // [A-Za-z0-9_-] in a row
  let digits = 0; // digits in a row, a single space or dash between groups allowed
  let afterDigit = false;
  let dashes = 0;
  let word = 0; // letters in a row
  let wordB = false; // ... the first of which is b or B
  let name = false; // a letter seen, and nothing since that cannot be in `name = ` or `"name": `
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const k = c < 128 ? CLASS[c]! : OTHER;
    if (k === LETTER || k === LETTER_B) {
      run++;
      if (word++ === 0) wordB = k === LETTER_B;
      name = true;
      if (digits !== 0) {
        if (digits >= 13) flags |= DIGITS;
        digits = 0;
      }
      afterDigit = false;
      dashes = 0;
      continue;
    }
    if (k === DIGIT) {
      run++;
      digits++;
      afterDigit = true;
      dashes = 0;
      word = 0;
      continue;
    }
    if (k === DASH) {
      run++;
      if (++dashes >= 5) flags |= DASHES;
      word = 0;
      if (afterDigit) {
        afterDigit = false; // one dash between digit groups
        continue;
      }
    } else if (k === UNDERSCORE) {
      run++;
      dashes = 0;
    } else {
      if (run >= 15) flags |= LONG_RUN;
      run = 0;
      dashes = 0;
      if (k === SPACE) {
        if (wordB && (word === 5 || word === 6)) flags |= SCHEME;
        if (afterDigit) {
          afterDigit = false; // one space between digit groups
          word = 0;
          continue;
        }
      } else if (k === AT_SIGN) flags |= AT;
      else if (k === SEPARATOR) {
        if (name) flags |= ASSIGN;
      } else if (k !== QUOTE_DOT) name = false;
    }
    word = 0;
    if (digits >= 13) flags |= DIGITS;
    digits = 0;
    afterDigit = false;
  }
  if (run >= 15) flags |= LONG_RUN;
  if (digits >= 13) flags |= DIGITS;
  return flags;
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

export class StringMasker {
  constructor(
    private readonly keys: KeyMatcher,
    private readonly extra: readonly RegExp[] = [],
  ) {}

  mask(s: string): string {
    const found = scan(s);
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
