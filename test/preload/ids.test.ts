// Ids the preload makes: trace and span ids (lowercase hex) and request ids (UUID v4, what
// crypto.randomUUID() would give), all cut from one pool of random bytes.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { newSpanId, newTraceId, newUuid } = require('../../dist/preload/trace/ids.js');

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('are version-4 UUIDs, all different, across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newUuid();
      expect(id).toMatch(UUID_V4);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it('spread their random bits evenly (every hex digit in every random position)', () => {
    const ids = Array.from({ length: 4_000 }, () => newUuid() as string);
    for (let position = 0; position < 36; position++) {
      if ([8, 13, 14, 18, 19, 23].includes(position)) continue; // dashes, version, variant
      const digits = new Set(ids.map((id) => id[position]));
      expect(digits.size, `position ${position}`).toBe(16);
    }
  });

  it('interleave with trace and span ids without sharing bytes', () => {
    const all = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const trace = newTraceId() as string;
      const span = newSpanId() as string;
      const uuid = (newUuid() as string).replaceAll('-', '');
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      for (const id of [trace, span, uuid]) all.add(id);
      expect(uuid.includes(span)).toBe(false);
    }
    expect(all.size).toBe(15_000);
  });
});
