import { describe, expect, it } from 'vitest';
import { TimingSampler } from '../shared/timing-sampler.js';

describe('TimingSampler', () => {
  it('times the first 1024 events exactly, then about one in 16, each standing for 16', () => {
    const s = new TimingSampler(0x9e3779b9);
    for (let i = 0; i < 1024; i++) expect(s.next()).toBe(1);
    const weights = new Set<number>();
    let total = 0;
    const n = 320_000;
    for (let i = 0; i < n; i++) {
      const w = s.next();
      weights.add(w);
      total += w;
    }
    expect([...weights].sort((a, b) => a - b)).toEqual([0, 16]);
    // Unbiased: the weights add up to the number of events (xorshift32 is near-uniform in its low bits).
    expect(Math.abs(total - n) / n).toBeLessThan(0.02);
  });

  it('two seeds time different events (the two ends of a channel do not time the same requests)', () => {
    const a = new TimingSampler(1);
    const b = new TimingSampler(2);
    for (let i = 0; i < 1024; i++) a.next(), b.next();
    let both = 0;
    let either = 0;
    for (let i = 0; i < 160_000; i++) {
      const x = a.next() !== 0;
      const y = b.next() !== 0;
      if (x && y) both++;
      if (x || y) either++;
    }
    // Independent one-in-16 choices coincide about once in 256.
    expect(both / 160_000).toBeLessThan(1 / 100);
    expect(either).toBeGreaterThan(15_000);
    expect(() => new TimingSampler(0)).toThrow(/non-zero/);
  });

  it('does not lock onto a periodic pattern: odd and even events are timed alike', () => {
    const s = new TimingSampler(0x9e3779b9);
    for (let i = 0; i < 1024; i++) s.next();
    for (const period of [2, 3, 4, 8, 16]) {
      const timed = new Array<number>(period).fill(0);
      for (let i = 0; i < 64_000 * period; i++) if (s.next() !== 0) timed[i % period]!++;
      for (const t of timed) expect(t / 64_000).toBeGreaterThan(1 / 16 - 0.01);
    }
  });
});
