// Every case of the corpus, through the compiled module: positives give exactly the expected
// result, negatives give back the very same value, no input is changed, and redacting twice
// changes nothing more.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { corpus, type Case } from './corpus.ts';
import { redact } from './load.ts';

const { createRedactor } = redact;

const plain = createRedactor();

function run(c: Case, input: unknown): unknown {
  const r = c.options ? createRedactor(c.options) : plain;
  switch (c.method) {
    case 'string':
      return r.string(input as string);
    case 'value':
      return r.value(input);
    case 'attributes':
      return r.attributes(input as Record<string, unknown>);
    case 'queryString':
      return r.queryString(input as string);
  }
}

const snapshot = (v: unknown) => inspect(v, { depth: Infinity, showHidden: true });

describe('redaction corpus', () => {
  it('has at least 200 uniquely named cases, positives and negatives', () => {
    const names = new Set(corpus.map((c) => c.name));
    expect(names.size).toBe(corpus.length);
    const positives = corpus.filter((c) => 'expected' in c).length;
    const negatives = corpus.length - positives;
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(positives).toBeGreaterThanOrEqual(80);
    expect(negatives).toBeGreaterThanOrEqual(80);
  });

  for (const c of corpus) {
    it(`${'expected' in c ? 'masks' : 'keeps'}: ${c.name}`, () => {
      const before = snapshot(c.input);
      const out = run(c, c.input);
      expect(snapshot(c.input), 'the input was changed').toBe(before);
      if ('expected' in c) {
        expect(out).toStrictEqual(c.expected);
        if (typeof c.expected === 'object' && c.expected !== null) {
          expect(Object.getPrototypeOf(out)).toBe(Object.getPrototypeOf(c.expected));
        }
        // Masked output passes through unchanged, and is not copied again.
        const again = run(c, out);
        expect(again).toStrictEqual(out);
        if (typeof out === 'object' && out !== null) expect(again).toBe(out);
      } else {
        expect(Object.is(out, c.input), `changed to ${inspect(out)}`).toBe(true);
      }
    });
  }
});
