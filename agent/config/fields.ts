// Typed reading of one mapping of the YAML file (or of a check defined by an environment
// variable, which is shaped the same). Every reader records a problem naming where the value is,
// its key and the fix, and returns undefined so that reading goes on and all problems are shown
// at once. Values are echoed in messages only when they cannot be secret.
import type { ConfigProblem } from '../errors';
import { parseDuration } from './duration';
import type { Path } from './yaml-file';

export type Where = (path: Path, at?: 'key' | 'value') => string;

export class Problems {
  readonly list: ConfigProblem[] = [];

  /** One problem per key: the first is the cause (an unset ${env:...}), what follows only its echo. */
  add(where: string, key: string, message: string): void {
    if (this.list.length < 50 && !this.list.some((p) => p.key === key)) this.list.push({ where, key, message });
  }
}

export class Section {
  constructor(
    readonly data: Record<string, unknown>,
    readonly path: Path,
    private readonly whereOf: Where,
    private readonly problems: Problems,
    /** Keys whose value came from the environment: never echoed. */
    private readonly secretPaths: Set<string> = new Set(),
  ) {}

  /** A mapping at `data[key]`, or undefined (with a problem if it is something else). */
  static of(value: unknown, path: Path, where: Where, problems: Problems, secretPaths?: Set<string>): Section | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.add(where(path), path.join('.'), 'must be a mapping (key: value lines indented below it)');
      return undefined;
    }
    return new Section(value as Record<string, unknown>, path, where, problems, secretPaths);
  }

  keyPath(key: string): string {
    return [...this.path, key].join('.');
  }

  where(key?: string, at: 'key' | 'value' = 'value'): string {
    return this.whereOf(key === undefined ? this.path : [...this.path, key], at);
  }

  problem(key: string, message: string, at: 'key' | 'value' = 'value'): void {
    this.problems.add(this.where(key, at), this.keyPath(key), message);
  }

  has(key: string): boolean {
    return this.data[key] !== undefined && this.data[key] !== null;
  }

  section(key: string): Section | undefined {
    return Section.of(this.data[key], [...this.path, key], this.whereOf, this.problems, this.secretPaths);
  }

  /** Reports keys not in `known` (typos such as `intervall`). */
  onlyKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.data)) {
      if (!known.includes(key)) this.problem(key, `unknown key; known keys here: ${known.join(', ')}`, 'key');
    }
  }

  private shown(key: string, value: unknown): string {
    if (this.secretPaths.has(this.keyPath(key))) return 'the value';
    const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return text.length > 60 ? 'the value' : text;
  }

  string(key: string, opts: { secret?: boolean } = {}): string | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') {
      this.problem(key, 'must be a single value (text), not a list or mapping');
      return undefined;
    }
    if (!value.trim()) {
      this.problem(key, opts.secret ? 'is empty' : 'is empty; remove the key or give a value');
      return undefined;
    }
    return value.trim();
  }

  bool(key: string): boolean | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
    this.problem(key, `${this.shown(key, value)} is not true or false`);
    return undefined;
  }

  int(key: string, min: number, max: number): number | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problem(key, `${this.shown(key, value)} is not a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  }

  duration(key: string, minMs: number): number | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') {
      this.problem(key, `${value} has no unit; write it with one, e.g. ${value}s or ${value}ms`);
      return undefined;
    }
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) {
      this.problem(key, `${this.shown(key, value)} is not a duration; write e.g. 500ms, 10s, 1m30s`);
      return undefined;
    }
    if (ms < minMs) {
      this.problem(key, `${this.shown(key, value)} is shorter than the minimum of ${minMs} ms`);
      return undefined;
    }
    return ms;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if ((allowed as readonly string[]).includes(lower)) return lower as T;
    this.problem(key, `${this.shown(key, value)} is not one of ${allowed.join(', ')}`);
    return undefined;
  }

  /** A list of scalars; a single scalar counts as a list of one. */
  list(key: string): (string | number)[] | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    const items = Array.isArray(value) ? value : [value];
    if (items.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      this.problem(key, 'must be a value or a list of values');
      return undefined;
    }
    return items as (string | number)[];
  }

  /** A mapping of text to text (HTTP headers). */
  stringMap(key: string): Record<string, string> | undefined {
    const section = this.section(key);
    if (!section) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(section.data)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else section.problem(k, 'must be a single value (text)');
    }
    return out;
  }
}
