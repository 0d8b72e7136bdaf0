/**
 * Time for the devices that live in the hypervisor (PIT, RTC). They own no timers: they read an
 * injected clock when the guest touches them or when the vCPU loop services them, so tests can
 * drive them with a manual clock and get the same answer every run.
 *
 * Unit: nanoseconds as a JavaScript number, from an arbitrary origin. Keep the values below 2^53
 * (about 104 days) so integer nanoseconds stay exact: use time since the domain started, e.g.
 * `Number(process.hrtime.bigint() - start)`. Fractional nanoseconds are accepted.
 */
export interface Clock {
  now(): number;
}

export const NS_PER_SEC = 1_000_000_000;

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(ns: number): void {
    this.t = ns;
  }
  advance(ns: number): void {
    this.t += ns;
  }
}

/** floor(a / b) for b > 0, corrected for the rounding of the float quotient (exact while a, b < 2^53). */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/**
 * Whole cycles of a `hz` oscillator in the interval [fromNs, toNs), counting from a cycle edge at
 * `fromNs`. Split at whole seconds so the products stay below 2^53 for any run length.
 */
export function cyclesBetween(fromNs: number, toNs: number, hz: number): number {
  const elapsed = toNs - fromNs;
  if (elapsed <= 0) return 0;
  const secs = floorDiv(elapsed, NS_PER_SEC);
  const rest = elapsed - secs * NS_PER_SEC;
  return secs * hz + floorDiv(rest * hz, NS_PER_SEC);
}

/**
 * The smallest whole number of nanoseconds after which `cycles` cycles of a `hz` oscillator have
 * elapsed: the inverse of cyclesBetween (cyclesBetween(t, t + nsForCycles(n)) >= n, and one
 * nanosecond less gives fewer than n).
 */
export function nsForCycles(cycles: number, hz: number): number {
  if (cycles <= 0) return 0;
  const secs = floorDiv(cycles, hz);
  const rest = cycles - secs * hz;
  return secs * NS_PER_SEC + Math.ceil((rest * NS_PER_SEC) / hz);
}
