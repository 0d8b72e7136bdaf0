/**
 * Order statistics and the bootstrap interval that judges wall-clock ratios.
 */
import { describe, expect, test } from 'vitest';
import { bootstrapRatioOfMedians, median, quantile, seededRandom, summarize } from '../bench/statistics.js';

describe('statistics', () => {
  test('median, quartiles and IQR with linear interpolation', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.75)).toBe(3.25);
    const s = summarize([10, 14, 11, 30]);
    expect(s).toEqual({ median: 12.5, min: 10, max: 30, iqr: quantile([10, 11, 14, 30], 0.75) - quantile([10, 11, 14, 30], 0.25), trials: [10, 14, 11, 30] });
    expect(s.iqr).toBeCloseTo(18 - 10.75);
    expect(summarize([])).toEqual({ median: 0, min: 0, max: 0, iqr: 0, trials: [] });
  });

  test('the seeded generator repeats and spreads over [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(median(xs)).toBeGreaterThan(0.4);
    expect(median(xs)).toBeLessThan(0.6);
  });

  test('bootstrap: separated samples give an interval beyond 1, overlapping ones straddle it', () => {
    const slow = bootstrapRatioOfMedians([10, 10.2, 9.9, 10.1, 10.0], [12, 12.3, 11.9, 12.1, 12.2]);
    expect(slow.ratio).toBeCloseTo(12.1 / 10.0);
    expect(slow.low).toBeGreaterThan(1.15);
    expect(slow.high).toBeLessThan(1.25);
    const same = bootstrapRatioOfMedians([10, 11, 9.5, 10.5], [10.2, 9.8, 11.1, 10.1]);
    expect(same.low).toBeLessThan(1);
    expect(same.high).toBeGreaterThan(1);
    // Same inputs, same interval.
    expect(bootstrapRatioOfMedians([10, 11, 9.5, 10.5], [10.2, 9.8, 11.1, 10.1])).toEqual(same);
  });
});
