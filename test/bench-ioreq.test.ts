/**
 * bench:ioreq's measurement (bench/ioreq-bench.ts), run short: it must measure the ioreq path in
 * its steady state and leave nothing running. No timing is asserted, only that requests were
 * counted inside the window and the domain went away.
 */
import { describe, expect, it } from 'vitest';
import { measureSteadyIoreqRate } from '../bench/ioreq-bench.js';

describe('bench:ioreq steady-state window', () => {
  it('counts round trips of the endless ioreq-loop over a window, then destroys the domain', async () => {
    for (const spin of [2000, undefined]) {
      const r = await measureSteadyIoreqRate(spin, 150);
      expect(r.roundTripsPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(r.roundTripsPerSec)).toBe(true);
      expect(r.cores).toBeGreaterThan(0);
    }
  });
});
