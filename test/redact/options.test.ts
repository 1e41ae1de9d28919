// Options (extra keys and patterns, and how bad ones are reported), how keys are cut into
// words, and url.query masking as a superset of what preload/http/query.ts masked.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

import { keys, redact, type RedactOptionError as OptionError } from './load.ts';

const require = createRequire(import.meta.url);
const { createRedactor, redactOptionProblems, RedactOptionError } = redact;
const { keyWords } = keys;

describe('options', () => {
  it('reports an invalid pattern with a stable code, the position and the reason', () => {
    let error: unknown;
    try {
      createRedactor({ extraPatterns: ['ORD-[0-9]{8}', '(abc'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RedactOptionError);
    const e = error as OptionError;
    expect(e.code).toBe('ERR_NODETEL_REDACT_OPTION');
    expect(e.name).toBe('RedactOptionError');
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatchObject({ option: 'extraPatterns', index: 1, value: '(abc' });
    expect(e.message).toContain('"(abc" is not a valid JavaScript regular expression');
    expect(e.message).toMatch(/Unterminated group|Invalid group/);
  });

  it('rejects a pattern that matches the empty string, and an empty one', () => {
    const problems = redactOptionProblems({ extraPatterns: ['[0-9]*', '', 'a|'] });
    expect(problems.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(problems[0]!.message).toContain('matches the empty string');
    expect(problems[1]!.message).toContain('empty');
  });

  it('rejects a key with no letters or digits, and lists every problem at once', () => {
    const problems = redactOptionProblems({ extraKeys: ['pin', '--', ''], extraPatterns: ['['] });
    expect(problems.map((p) => `${p.option}[${p.index}]`)).toEqual(['extraKeys[1]', 'extraKeys[2]', 'extraPatterns[0]']);
    expect(() => createRedactor({ extraKeys: ['--'] })).toThrow(/has no letters or digits/);
  });

  it('accepts valid options', () => {
    expect(redactOptionProblems({ extraKeys: ['pin', 'x-tenant-secret-id'], extraPatterns: ['ORD-\\d{8}', 'VC-(?<secret>\\d+)'] })).toEqual([]);
    expect(redactOptionProblems()).toEqual([]);
  });

  it('applies extra patterns everywhere strings are masked', () => {
    const r = createRedactor({ extraPatterns: ['ORD-[0-9]{8}'] });
    expect(r.value({ msg: 'order ORD-12345678 shipped' })).toEqual({ msg: 'order [REDACTED:custom] shipped' });
    expect(r.queryString('order=ORD-12345678&page=2')).toBe('order=REDACTED&page=2');
    expect(r.string('order ORD-1234 shipped')).toBe('order ORD-1234 shipped');
  });

  it('keeps redactors independent', () => {
    const withPin = createRedactor({ extraKeys: ['pin'] });
    const plain = createRedactor();
    expect(withPin.value({ pin: '1234' })).toEqual({ pin: '[REDACTED]' });
    const input = { pin: '1234' };
    expect(plain.value(input)).toBe(input);
  });
});

describe('key words', () => {
  const cases: [string, string[]][] = [
    ['x-api-key', ['x', 'api', 'key']],
    ['accessToken', ['access', 'token']],
    ['APIKey', ['api', 'key']],
    ['client_secret', ['client', 'secret']],
    ['http.request.header.set-cookie', ['http', 'request', 'header', 'set', 'cookie']],
    ['CVV2', ['cvv', '2']],
    ['oauth2Token', ['oauth', '2', 'token']],
    ['AWS_SECRET_ACCESS_KEY', ['aws', 'secret', 'access', 'key']],
    ['  spaced  key ', ['spaced', 'key']],
    ['--', []],
  ];
  for (const [key, words] of cases) it(`${JSON.stringify(key)} -> ${words.join(' ')}`, () => expect(keyWords(key)).toEqual(words));
});

describe('url.query', () => {
  // The parameter names that read as credentials (what the preload masked before the redactor
  // took over url.query), and ordinary ones that must stay readable.
  it('masks secret-named parameters and leaves ordinary ones', () => {
    const r = createRedactor();
    const secret = [
      'password', 'passwd', 'pwd', 'secret', 'client_secret', 'token', 'access_token', 'id_token', 'api_key', 'api-key',
      'apikey', 'auth', 'oauth_token', 'authorization', 'credential', 'X-Amz-Credential', 'signature', 'X-Amz-Signature',
      'X-Goog-Signature', 'sig', 'session', 'sessionid', 'cookie', 'private_key', 'privatekey', 'access_key', 'key',
      'code', 'Key', 'SIG', 'tokenizer', 'author',
    ];
    for (const name of secret) expect(r.queryString(`${name}=v4lue&page=2`), name).toBe(`${name}=REDACTED&page=2`);
    for (const name of ['page', 'q', 'sort', 'id', 'state', 'redirect_uri', 'lang']) expect(r.queryString(`${name}=v4lue`), name).toBe(`${name}=v4lue`);
  });

  it('leaves the query as it is when there is nothing to mask', () => {
    const r = createRedactor();
    const q = 'page=2&sort=desc&filter=open&id=550e8400-e29b-41d4-a716-446655440000';
    expect(r.queryString(q)).toBe(q);
  });

  it('keeps malformed percent-encoding readable', () => {
    const r = createRedactor();
    expect(r.queryString('a=%E0%A4%A&token=x')).toBe('a=%E0%A4%A&token=REDACTED');
  });
});
