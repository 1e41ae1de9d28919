// The agent's timestamps are what Date.prototype.toISOString writes, without calling it.
import { describe, expect, it } from 'vitest';
import { agentModule } from './helpers.ts';

const { isoTime } = agentModule('iso-time');

describe('isoTime', () => {
  it('writes what toISOString writes', () => {
    const times = [0, 1, 999, 1_000, 951_782_400_000 /* 2000-02-29 */, 1_700_000_000_123, Date.now(), 253_402_300_799_999 /* 9999-12-31T23:59:59.999Z */];
    for (let t = 0; t < 4e12; t += 7_919_993_351) times.push(t);
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });
});
