// The pre-check (scan) only decides which patterns run: skipping them must never change a
// result. Checked on every corpus string and on random strings made of the pieces secrets and
// near-misses are made of.
import { describe, expect, it } from 'vitest';
import { corpus } from './corpus.ts';
import { keyMatcher, patterns } from './load.ts';

const keys = new keyMatcher.KeyMatcher();
const withScan = new patterns.StringMasker(keys, [], true);
const everything = new patterns.StringMasker(keys, [], false);

const pieces = [
  ' ', ' ', ' ', '\t', '\n', '-', '--', '-----', '_', '.', ',', ':', '=', '"', "'", '\\', '/', '://', '?', '&', '@', '+', '(', ')',
  'a', 'bob', 'x.com', 'example.com', 'co', 'user', 'password', 'Password', 'token', 'api_key', 'secret', 'Authorization',
  'cookie', 'aws', 'key', 'tokenizer', 'Bearer', 'bEaReR', 'BASIC', 'basic', 'dXNlcjpwYXNz', 'abcdefgh12345678',
  '4111', '1111', '4111111111111111', '378282246310005', '1234', '1', '12', '999', '0', '2024',
  'eyJ', 'eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiI0MiJ9', 'AKIA', 'IOSFODNN7EXAMPLE', 'ASIA', 'AIza', 'SyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI',
  'ghp_', 'gho_', 'github_pat_', '16C7e42F292c6912E7710c838347Ae178B4a', 'xoxb-', 'xox', 'sk_live_', 'rk_live_', 'sk_test_',
  '4eC39HqLyjWDarjtT1zdp7dc', 'BEGIN', 'END', ' PRIVATE KEY', 'RSA', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'postgres', 'https', 'git', 'localhost', '2x.png', 'café', '日本',
];

// xorshift32: the same strings on every run
let seed = 0x2545f491;
function next(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function randomString(): string {
  let s = '';
  const count = 1 + next(24);
  for (let i = 0; i < count; i++) s += pieces[next(pieces.length)];
  return s;
}

describe('scan', () => {
  it('changes no result on the corpus strings', () => {
    for (const c of corpus) {
      if (typeof c.input !== 'string') continue;
      expect(withScan.mask(c.input), c.name).toBe(everything.mask(c.input));
    }
  });

  it('changes no result on 30000 random strings', () => {
    let masked = 0;
    for (let i = 0; i < 30_000; i++) {
      const s = randomString();
      const expected = everything.mask(s);
      if (expected !== s) masked++;
      expect(withScan.mask(s), JSON.stringify(s)).toBe(expected);
    }
    // The pieces do make secrets often enough for the check to mean something.
    expect(masked).toBeGreaterThan(3000);
  });

  it('flags nothing in ordinary text', () => {
    for (const s of ['request completed', 'GET /api/orders/12345 200 12.4 ms', 'café ☕', '4bf92f3577b34da6a3ce929d0e0e4736', 'application/json', 'Mozilla/5.0 (X11; Linux x86_64)']) {
      expect(patterns.scan(s), s).toBe(0);
    }
  });
});
