// Structures: what is copied and what is shared, cycles, Errors, depth, and values that cannot
// be read. The corpus checks results; this checks identity.
import { inspect, types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redact } from './load.ts';

const { createRedactor, MAX_DEPTH } = redact;

const r = createRedactor();
const R = '[REDACTED]';

describe('copy on write', () => {
  it('returns the input itself when nothing is secret, however nested', () => {
    const input = { a: { b: [1, 'two', { c: new Map([['d', new Set(['e'])]]) }] }, s: 'request completed' };
    expect(r.value(input)).toBe(input);
  });

  it('copies only the path to a secret and shares every other subtree', () => {
    const untouched = { deep: { list: [1, 2, 3] } };
    const sibling = ['x', 'y'];
    const input = { untouched, branch: { sibling, leaf: { password: 'hunter2', n: 1 } } };
    const out = r.value(input);
    expect(out).not.toBe(input);
    expect(out.untouched).toBe(untouched);
    expect(out.branch).not.toBe(input.branch);
    expect(out.branch.sibling).toBe(sibling);
    expect(out.branch.leaf).toEqual({ password: R, n: 1 });
    expect(input.branch.leaf.password).toBe('hunter2');
  });

  it('never writes to its input (frozen input works)', () => {
    const input = Object.freeze({ token: 't', list: Object.freeze(['bob@example.com']) });
    const out = r.value(input);
    expect(out).toEqual({ token: R, list: ['[REDACTED:email]'] });
    expect(Object.isFrozen(out)).toBe(false);
  });

  it('redacts an object reached twice (not a cycle) in both places', () => {
    const shared = { apiKey: 'k' };
    const out = r.value({ a: shared, b: [shared] });
    expect(out.a).toEqual({ apiKey: R });
    expect(out.b[0]).toEqual({ apiKey: R });
    expect(shared.apiKey).toBe('k');
  });
});

describe('cycles', () => {
  it('returns a cyclic structure without secrets as is', () => {
    const input: Record<string, unknown> = { name: 'a' };
    input['self'] = input;
    input['list'] = [input, { back: input }];
    expect(r.value(input)).toBe(input);
  });

  it('keeps the cycle in the copy, pointing at the copy and never at the original', () => {
    const input: Record<string, unknown> = { password: 'hunter2' };
    input['self'] = input;
    input['child'] = { parent: input, name: 'c' };
    const out = r.value(input) as Record<string, unknown> & { child: { parent: unknown } };
    expect(out['password']).toBe(R);
    expect(out['self']).toBe(out);
    expect(out.child.parent).toBe(out);
    expect(inspect(out, { depth: Infinity })).not.toContain('hunter2');
    expect(input['password']).toBe('hunter2');
  });

  it('copies a subtree that only leads back to an ancestor holding a secret', () => {
    // The child has no secret itself, but sharing it would let a serializer walk back to the
    // original parent and its password.
    const parent: Record<string, unknown> = { password: 'hunter2' };
    const child = { up: parent, name: 'c' };
    parent['child'] = child;
    const out = r.value(parent) as { child: { up: unknown } };
    expect(out.child).not.toBe(child);
    expect(out.child.up).toBe(out);
    expect(inspect(out, { depth: Infinity })).not.toContain('hunter2');
  });

  it('handles cycles through arrays, Maps and Sets', () => {
    const arr: unknown[] = ['bob@example.com'];
    const map = new Map<string, unknown>([['arr', arr]]);
    const set = new Set<unknown>([map]);
    arr.push(set);
    const out = r.value(arr) as unknown[];
    expect(out[0]).toBe('[REDACTED:email]');
    const outSet = out[1] as Set<unknown>;
    const outMap = [...outSet][0] as Map<string, unknown>;
    expect(outMap.get('arr')).toBe(out);
    expect(inspect(out, { depth: Infinity })).not.toContain('bob@');
  });

  it('handles an Error whose cause is itself', () => {
    const e = new Error('for bob@example.com');
    (e as Error & { cause: unknown }).cause = e;
    const out = r.value(e);
    expect(out.message).toBe('for [REDACTED:email]');
    expect(out.cause).toBe(out);
  });
});

describe('Errors', () => {
  it('masks message and stack, keeps class, name, code and the native error brand', () => {
    class HttpError extends TypeError {
      code = 'E_LOGIN';
    }
    const e = new HttpError('login failed for bob@example.com');
    const out = r.value(e);
    expect(out).not.toBe(e);
    expect(out).toBeInstanceOf(HttpError);
    expect(types.isNativeError(out)).toBe(true);
    expect(out.name).toBe('TypeError');
    expect(out.code).toBe('E_LOGIN');
    expect(out.message).toBe('login failed for [REDACTED:email]');
    expect(out.stack).toContain('login failed for [REDACTED:email]');
    expect(out.stack).toContain('structures.test.ts');
    expect(out.stack).not.toContain('bob@');
    expect(Object.keys(out)).toEqual(Object.keys(e));
    expect(e.message).toBe('login failed for bob@example.com');
  });

  it('redacts an HTTP client error carrying its request config', () => {
    const e = Object.assign(new Error('Request failed with status code 401'), {
      config: { url: '/api', headers: { Authorization: 'Bearer abc', Accept: 'application/json' } },
    });
    const out = r.value(e);
    expect(out.message).toBe(e.message);
    expect(out.stack).toBe(e.stack);
    expect(out.config).toEqual({ url: '/api', headers: { Authorization: R, Accept: 'application/json' } });
    expect(e.config.headers.Authorization).toBe('Bearer abc');
  });

  it('masks the cause chain and AggregateError errors', () => {
    const inner = new Error('token=abc123');
    const outer = new Error('wrapped', { cause: inner });
    const agg = new AggregateError([outer, new Error('fine')], 'several');
    const out = r.value(agg);
    expect(out.errors[0].cause.message).toBe(`token=${R}`);
    expect(out.errors[1]).toBe(agg.errors[1]);
    expect(inner.message).toBe('token=abc123');
  });

  it('returns an Error without secrets as is', () => {
    const e = new RangeError('index 3 out of range');
    expect(r.value(e)).toBe(e);
    expect(r.value({ err: e, level: 50 }).err).toBe(e);
  });
});

describe('depth and unreadable values', () => {
  it('reaches a secret hundreds of levels down', () => {
    let input: Record<string, unknown> = { password: 'x' };
    for (let i = 0; i < 900; i++) input = { next: input };
    let out = r.value(input);
    for (let i = 0; i < 900; i++) out = out['next'] as Record<string, unknown>;
    expect(out).toEqual({ password: R });
  });

  it('replaces what lies beyond the depth limit instead of overflowing the stack', () => {
    let input: unknown = 'bob@example.com';
    for (let i = 0; i < MAX_DEPTH * 5; i++) input = [input];
    let out = r.value(input) as unknown;
    let depth = 0;
    while (Array.isArray(out)) {
      out = out[0];
      depth++;
    }
    expect(out).toBe('[REDACTED:too_deep]');
    expect(depth).toBe(MAX_DEPTH);
  });

  it('replaces a value whose getter throws, and stays usable', () => {
    const input = {
      get boom(): string {
        throw new Error('nope');
      },
    };
    expect(r.value(input)).toBe('[REDACTED:unreadable]');
    expect(r.value({ token: 't' })).toEqual({ token: R });
  });

  it('may be called again from a getter while it walks', () => {
    const input = {
      get inner() {
        return r.value({ apiKey: 'k' });
      },
      email: 'bob@example.com',
    };
    expect(r.value(input)).toEqual({ inner: { apiKey: R }, email: '[REDACTED:email]' });
  });

  it('attributes: returns the input itself when nothing is secret', () => {
    const a = { 'http.request.method': 'GET', 'url.query': 'page=2', 'url.full': 'https://x.example.com/a?page=2', n: 1 };
    expect(r.attributes(a)).toBe(a);
  });
});
