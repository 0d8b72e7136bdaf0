/**
 * Which events of a hot path to time. Reading the clock costs ~55 ns here (performance.now(),
 * measured on this project's machine), and an ioreq round trip while both threads spin costs ~1 µs, so
 * timing every request would add a tenth to what is being timed. The first EXACT events are all
 * timed (short runs stay exact); after that a pseudo-random one in RATE is, and stands for RATE
 * events, so the total is an unbiased estimate. Pseudo-random (xorshift32) rather than every
 * RATE-th: a guest whose accesses repeat with a period (OUT, IN, OUT, IN …) must not have only
 * one kind timed.
 */
const EXACT = 1024;
const RATE = 16;

export class TimingSampler {
  private state: number;
  private exactLeft = EXACT;

  /**
   * `seed` (non-zero): the two ends of a channel must not use the same one, or they would time
   * the same requests and each would count the other's clock reads.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || (seed | 0) === 0) throw new RangeError(`TimingSampler: seed must be a non-zero 32-bit integer, got ${seed}`);
    this.state = seed | 0;
  }

  /** The weight of the next event: 0 when it is not timed, else how many events its time stands for. */
  next(): number {
    if (this.exactLeft > 0) {
      this.exactLeft--;
      return 1;
    }
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return (x & (RATE - 1)) === 0 ? RATE : 0;
  }
}
