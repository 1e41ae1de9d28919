// The compiled redaction module (built by `tsc -p .` into dist/), typed here rather than by
// importing the preload's sources, which are CommonJS TypeScript and not part of `tsc -p test`.
import { createRequire } from 'node:module';

export interface RedactOptions {
  extraKeys?: readonly string[];
  extraPatterns?: readonly string[];
}

export interface Redactor {
  value<T>(v: T): T;
  string(s: string): string;
  attributes(a: Record<string, unknown>): Record<string, unknown>;
  queryString(q: string): string;
}

export interface RedactProblem {
  option: 'extraKeys' | 'extraPatterns';
  index: number;
  value: string;
  message: string;
}

export interface RedactOptionError extends Error {
  code: string;
  problems: RedactProblem[];
}

interface RedactModule {
  createRedactor(options?: RedactOptions): Redactor;
  redactOptionProblems(options?: RedactOptions): RedactProblem[];
  RedactOptionError: new (problems: RedactProblem[]) => RedactOptionError;
  MAX_DEPTH: number;
  REDACTED: string;
}

const require = createRequire(import.meta.url);

export const redact = require('../../dist/preload/redact/index.js') as RedactModule;
export const keys = require('../../dist/preload/redact/keys.js') as { keyWords(key: string): string[] };

interface Masker {
  mask(s: string): string;
}

/** The string masker alone; `scanFirst` false runs every pattern on every string. */
export const patterns = require('../../dist/preload/redact/patterns.js') as {
  StringMasker: new (keys: object, extra?: RegExp[], scanFirst?: boolean) => Masker;
  scan(s: string): number;
};
export const keyMatcher = require('../../dist/preload/redact/keys.js') as { KeyMatcher: new (extra?: string[]) => object };
