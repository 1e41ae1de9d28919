// Redaction of what leaves the process: log bodies, log and span attributes, url.query. A value
// under a secret-named key becomes [REDACTED]; secrets inside strings are masked where they are
// (see patterns.ts). Inputs are never changed: what contains a secret is copied, what does not is
// shared, so a record without secrets comes back as the very same object and nothing is allocated.
import { RedactOptionError, type RedactProblem } from './errors';
import { KEY_AWS, KEY_SECRET, KEY_TRACE_ID, KeyMatcher, keyWords } from './keys';
import { isCardNumber, isCardNumberValue } from './luhn';
import { REDACTED, StringMasker } from './patterns';

export interface RedactOptions {
  /** More key names whose values are secret, matched like the built-in ones (`pin`, `account_number`). */
  extraKeys?: readonly string[];
  /**
   * More patterns (JavaScript RegExp sources, no slashes or flags) masked inside strings as
   * [REDACTED:custom]. A named group `secret` masks only that part: `order-(?<secret>\d{8})`.
   */
  extraPatterns?: readonly string[];
}

export interface Redactor {
  /** Any value: strings, plain objects, arrays, Maps, Sets, Errors, nested, cyclic. */
  value<T>(v: T): T;
  string(s: string): string;
  /** Span or log attributes; `url.query` and URL-valued attributes are masked as queries. */
  attributes(a: Record<string, unknown>): Record<string, unknown>;
  /** A URL's query (without `?`): secret-named parameters' values, and values holding a secret, become REDACTED. */
  queryString(q: string): string;
  /**
   * A value the preload made itself (a generated request id): the built-in patterns never match
   * one, so only custom patterns, where set, are looked for.
   */
  generated(s: string): string;
}

/** Deeper than this, a subtree is not inspected but replaced (and the stack is safe). */
export const MAX_DEPTH = 1000;
const TOO_DEEP = '[REDACTED:too_deep]';
/** A card number held as a number (or bigint) becomes this string. */
const CARD = '[REDACTED:card]';
const UNREADABLE = '[REDACTED:unreadable]';
const UNREADABLE_KEY = 'nodetel.redaction.error';
/** What a secret query parameter's value becomes (the HTTP semantic conventions' word). */
const QUERY_REDACTED = 'REDACTED';
const AWS_SECRET = /^[A-Za-z0-9/+]{40}$/;

// Query parameters are named more tersely than JSON keys; these are masked on top of the keys
// (what preload/http/query.ts masked: X-Amz-Signature, X-Amz-Credential, sig, code, session ...).
const QUERY_SECRET_PART = /pass(word|wd)|secret|token|api[-_]?key|auth|credential|signature|session|cookie|private[-_]?key|access[-_]?key/i;
const QUERY_SECRET_EXACT = /^(pwd|sig|key|code)$/i;

/** Attributes whose value is a URL (or a path with a query). */
const URL_ATTRIBUTES = new Set(['url.full', 'url.original', 'http.url', 'http.target']);

const hasOwn = Object.prototype.hasOwnProperty;

/** What the current walk knows of cycles: none seen, one seen, or the walk that copies them. */
const NO_CYCLE = 0;
const SAW_CYCLE = 1;
const COPY_CYCLES = 2;

/** The problems with the options, if any (createRedactor throws them as one RedactOptionError). */
export function redactOptionProblems(options: RedactOptions = {}): RedactProblem[] {
  const problems: RedactProblem[] = [];
  (options.extraKeys ?? []).forEach((key, index) => {
    if (typeof key !== 'string' || keyWords(key).length === 0) {
      problems.push({
        option: 'extraKeys',
        index,
        value: String(key),
        message: `redaction key ${JSON.stringify(key)} has no letters or digits; give a key name such as "pin" or "account_number"`,
      });
    }
  });
  (options.extraPatterns ?? []).forEach((source, index) => {
    const message = patternProblem(source);
    if (message) problems.push({ option: 'extraPatterns', index, value: String(source), message });
  });
  return problems;
}

function patternProblem(source: unknown): string | undefined {
  if (typeof source !== 'string' || source === '') return 'a redaction pattern is empty; give a regular expression such as "ORD-[0-9]{8}"';
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    return `redaction pattern ${JSON.stringify(source)} is not a valid JavaScript regular expression (${why}); write it as for new RegExp(), without slashes or flags`;
  }
  if (re.test('')) return `redaction pattern ${JSON.stringify(source)} matches the empty string; it must match only the secret, e.g. "ORD-[0-9]{8}" rather than "[0-9]*"`;
  return undefined;
}

/** Throws RedactOptionError (code ERR_NODETEL_REDACT_OPTION) listing every bad key and pattern. */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const problems = redactOptionProblems(options);
  if (problems.length > 0) throw new RedactOptionError(problems);
  const keys = new KeyMatcher(options.extraKeys ?? []);
  const patterns = (options.extraPatterns ?? []).map((src) => new RegExp(src, src.includes('(?<secret>') ? 'dg' : 'g'));
  return new Redaction(keys, new StringMasker(keys, patterns), patterns.length > 0);
}

class Redaction implements Redactor {
  /** The objects being walked, outermost first, and the copy of each if one was made. */
  private readonly path: (object | undefined)[] = [];
  private readonly copies: (object | undefined)[] = [];
  private top = 0;
  /** Where the current top-level call's path starts (a getter may call us again). */
  private base = 0;
  private cycles = NO_CYCLE;
  private readonly queryNames = new Map<string, boolean>();

  constructor(
    private readonly keys: KeyMatcher,
    private readonly strings: StringMasker,
    private readonly customPatterns: boolean,
  ) {}

  value<T>(v: T): T {
    if (typeof v !== 'object' || v === null) return this.walk(v, 0) as T;
    const saved = this.enter();
    try {
      let out = this.object(v, 0);
      if (this.cycles === SAW_CYCLE && out !== v) {
        this.cycles = COPY_CYCLES;
        out = this.object(v, 0);
      }
      return out as T;
    } catch {
      return UNREADABLE as T;
    } finally {
      this.leave(saved);
    }
  }

  string(s: string): string {
    return this.strings.mask(s);
  }

  generated(s: string): string {
    return this.customPatterns ? this.strings.mask(s) : s;
  }

  attributes(a: Record<string, unknown>): Record<string, unknown> {
    const saved = this.enter();
    try {
      let out = this.attributesOnce(a);
      if (this.cycles === SAW_CYCLE && out !== a) {
        this.cycles = COPY_CYCLES;
        out = this.attributesOnce(a);
      }
      return out;
    } catch {
      return { [UNREADABLE_KEY]: UNREADABLE };
    } finally {
      this.leave(saved);
    }
  }

  private attributesOnce(a: Record<string, unknown>): Record<string, unknown> {
    let copy: Record<string, unknown> | undefined;
    for (const k in a) {
      if (!hasOwn.call(a, k)) continue;
      const v = a[k];
      let r: unknown;
      if (typeof v === 'string' && k === 'url.query') r = this.queryString(v);
      else if (typeof v === 'string' && URL_ATTRIBUTES.has(k)) r = this.url(v);
      else r = this.keyed(k, v, 0);
      if (!Object.is(r, v)) {
        copy ??= { ...a };
        copy[k] = r;
      }
    }
    return copy ?? a;
  }

  queryString(q: string): string {
    let out: string | undefined;
    let last = 0;
    for (let start = 0; start < q.length; ) {
      let end = q.indexOf('&', start);
      if (end === -1) end = q.length;
      const eq = q.indexOf('=', start);
      if (eq !== -1 && eq < end) {
        const value = q.slice(eq + 1, end);
        if (value !== '' && value !== QUERY_REDACTED && (this.secretParam(decode(q.slice(start, eq))) || this.holdsSecret(value))) {
          out = (out ?? '') + q.slice(last, eq + 1) + QUERY_REDACTED;
          last = end;
        }
      } else if (end > start && this.holdsSecret(q.slice(start, end))) {
        out = (out ?? '') + q.slice(last, start) + QUERY_REDACTED;
        last = end;
      }
      start = end + 1;
    }
    return out === undefined ? q : out + q.slice(last);
  }

  /** A URL: the password in it, and its query and fragment as a query. */
  private url(u: string): string {
    const hash = u.indexOf('#');
    const q = u.indexOf('?');
    const qEnd = hash === -1 ? u.length : hash;
    const headEnd = q !== -1 && q < qEnd ? q : qEnd;
    const head = this.strings.mask(u.slice(0, headEnd));
    const query = headEnd < qEnd ? this.queryString(u.slice(headEnd + 1, qEnd)) : undefined;
    const fragment = hash === -1 ? undefined : this.queryString(u.slice(hash + 1));
    const out = head + (query === undefined ? '' : `?${query}`) + (fragment === undefined ? '' : `#${fragment}`);
    return out === u ? u : out;
  }

  private secretParam(name: string): boolean {
    let secret = this.queryNames.get(name);
    if (secret === undefined) {
      secret = this.keys.isSecret(name) || QUERY_SECRET_PART.test(name) || QUERY_SECRET_EXACT.test(name);
      if (this.queryNames.size >= 1024) this.queryNames.clear();
      this.queryNames.set(name, secret);
    }
    return secret;
  }

  private holdsSecret(raw: string): boolean {
    const v = decode(raw);
    return this.strings.mask(v) !== v;
  }

  // A top-level walk starts its path above any walk in progress (a getter may call us again).
  // What throws while being read (a getter, a revoked Proxy, a stack overflow) is replaced as a
  // whole rather than let through.
  private enter(): number {
    const saved = this.base | (this.cycles << 28);
    this.base = this.top;
    this.cycles = NO_CYCLE;
    return saved;
  }

  private leave(saved: number): void {
    // After an exception the path still holds what was being walked.
    for (let i = this.base; i < this.path.length && this.path[i] !== undefined; i++) {
      this.path[i] = undefined;
      this.copies[i] = undefined;
    }
    this.top = this.base;
    this.base = saved & 0xfffffff;
    this.cycles = saved >>> 28;
  }

  /** The value of property `key`. */
  private keyed(key: string, v: unknown, depth: number): unknown {
    const cls = this.keys.classify(key);
    if (cls === KEY_SECRET) return secretValue(v);
    if (cls === KEY_AWS && typeof v === 'string' && AWS_SECRET.test(v)) return '[REDACTED:aws_secret_key]';
    if (cls === KEY_TRACE_ID && typeof v === 'string') return v; // 16 hex digits can be all decimal and Luhn-valid
    return this.walk(v, depth);
  }

  private walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.strings.mask(v);
    if (typeof v === 'object') return v === null ? v : this.object(v, depth);
    if (typeof v === 'number') return v >= 1e12 && isCardNumberValue(v) ? CARD : v;
    if (typeof v === 'bigint') return v >= 1_000_000_000_000n && v < 10_000_000_000_000_000_000n && isCardNumber(String(v)) ? CARD : v;
    return v;
  }

  private object(o: object, depth: number): unknown {
    const path = this.path;
    const top = this.top;
    for (let i = this.base; i < top; i++) {
      // A cycle. A structure with cycles and no secret comes back as it is, so the first walk
      // leaves back references alone. If that walk copied anything, it is walked again, and then
      // a back reference points at the ancestor's copy (made now if need be), never at the
      // original, which holds the secret: every node on a cycle is copied.
      if (path[i] !== o) continue;
      if (this.cycles === COPY_CYCLES) return (this.copies[i] ??= emptyLike(o));
      this.cycles = SAW_CYCLE;
      return o;
    }
    if (depth >= MAX_DEPTH) return TOO_DEEP;
    path[top] = o;
    this.copies[top] = undefined;
    this.top = top + 1;
    let out: unknown;
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === Object.prototype || proto === null) out = this.record(o as Record<string, unknown>, top, depth + 1);
    else if (Array.isArray(o)) out = this.array(o, top, depth + 1);
    else if (ArrayBuffer.isView(o)) out = o; // Buffers, typed arrays: bytes, not text
    else if (o instanceof Error) out = this.error(o, top, depth + 1);
    else if (o instanceof Map) out = this.map(o, top, depth + 1);
    else if (o instanceof Set) out = this.set(o, top, depth + 1);
    else out = this.record(o as Record<string, unknown>, top, depth + 1);
    // Nothing of the caller's is kept once the walk is done.
    path[top] = undefined;
    this.copies[top] = undefined;
    this.top = top;
    return out;
  }

  private record(o: Record<string, unknown>, at: number, depth: number): object {
    let copy: Record<string, unknown> | undefined;
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue;
      const v = o[k];
      const r = this.keyed(k, v, depth);
      if (!Object.is(r, v)) {
        if (copy === undefined) {
          const placeholder = this.copies[at] as Record<string, unknown> | undefined;
          // A spread clones a plain object fastest; an object of a class keeps its prototype.
          if (placeholder) copy = Object.assign(placeholder, o);
          else if (Object.getPrototypeOf(o) === Object.prototype) copy = { ...o };
          else copy = Object.assign(emptyLike(o), o) as Record<string, unknown>;
          this.copies[at] = copy;
        }
        copy[k] = r;
      }
    }
    return copy ?? o;
  }

  private array(a: unknown[], at: number, depth: number): unknown[] {
    let copy: unknown[] | undefined;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      const r = this.walk(v, depth);
      if (!Object.is(r, v)) {
        if (copy === undefined) {
          const placeholder = this.copies[at] as unknown[] | undefined;
          if (placeholder) for (let j = 0; j < a.length; j++) placeholder[j] = a[j];
          copy = placeholder ?? a.slice();
          this.copies[at] = copy;
        }
        copy[i] = r;
      }
    }
    return copy ?? a;
  }

  private map(m: Map<unknown, unknown>, at: number, depth: number): Map<unknown, unknown> {
    let copy: Map<unknown, unknown> | undefined;
    for (const [k, v] of m) {
      const r = typeof k === 'string' ? this.keyed(k, v, depth) : this.walk(v, depth);
      if (!Object.is(r, v)) {
        if (copy === undefined) {
          copy = (this.copies[at] ??= new Map()) as Map<unknown, unknown>;
          for (const [k2, v2] of m) copy.set(k2, v2);
        }
        copy.set(k, r);
      }
    }
    return copy ?? m;
  }

  private set(s: Set<unknown>, at: number, depth: number): Set<unknown> {
    let values: unknown[] | undefined;
    let i = 0;
    for (const v of s) {
      const r = this.walk(v, depth);
      if (!Object.is(r, v) && values === undefined) values = [...s].slice(0, i);
      values?.push(r);
      i++;
    }
    if (values === undefined) return s;
    const copy = (this.copies[at] ??= new Set()) as Set<unknown>;
    for (const v of values) copy.add(v);
    return copy;
  }

  /** message, stack, cause, errors (AggregateError) and the error's own enumerable properties. */
  private error(e: Error, at: number, depth: number): Error {
    let changed = false;
    const own: [string, unknown][] = [];
    const special: [string, unknown][] = [];
    for (const k of ['message', 'stack', 'cause', 'errors']) {
      if (!hasOwn.call(e, k) && !(k === 'stack' && typeof e.stack === 'string')) continue;
      const v = (e as unknown as Record<string, unknown>)[k];
      const r = k === 'errors' || k === 'cause' ? this.walk(v, depth) : typeof v === 'string' ? this.strings.mask(v) : v;
      if (!Object.is(r, v)) changed = true;
      special.push([k, r]);
    }
    for (const k in e) {
      if (!hasOwn.call(e, k) || k === 'message' || k === 'stack' || k === 'cause' || k === 'errors') continue;
      const v = (e as unknown as Record<string, unknown>)[k];
      const r = this.keyed(k, v, depth);
      if (!Object.is(r, v)) changed = true;
      own.push([k, r]);
    }
    if (!changed) return e;
    const copy = (this.copies[at] ??= emptyLike(e)) as Error;
    for (const [k, v] of special) Object.defineProperty(copy, k, { value: v, writable: true, configurable: true, enumerable: false });
    if (hasOwn.call(e, 'name')) Object.defineProperty(copy, 'name', { value: e.name, writable: true, configurable: true, enumerable: false });
    for (const [k, v] of own) (copy as unknown as Record<string, unknown>)[k] = v;
    return copy;
  }
}

/** What a secret-named key's value becomes: null, undefined and flags say nothing and stay. */
function secretValue(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'boolean' || v === '' || v === REDACTED) return v;
  if (Array.isArray(v)) {
    // Keep the shape (header attributes are string arrays), not the content.
    return v.every((x) => x === REDACTED) ? v : v.map(() => REDACTED);
  }
  return REDACTED;
}

/** An empty object of o's kind, to be filled with o's (redacted) content. */
function emptyLike(o: object): object {
  if (Array.isArray(o)) return [];
  if (o instanceof Map) return new Map();
  if (o instanceof Set) return new Set();
  const proto = Object.getPrototypeOf(o) as object | null;
  if (o instanceof Error) {
    // A real Error (util.inspect and Error.isError see one), of the same class.
    const e = new Error();
    Object.setPrototypeOf(e, proto);
    delete (e as { stack?: string }).stack; // ours; the original's is copied if it has one
    return e;
  }
  return proto === Object.prototype ? {} : Object.create(proto);
}

function decode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
