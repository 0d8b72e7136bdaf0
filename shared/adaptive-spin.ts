/**
 * A spin budget that follows what spinning buys. On a quiet 2-core machine the peer answers
 * within the spin and a round trip costs well under a microsecond; when a third thread is busy
 * (other domains, the toolstack, another process), spinning only burns the core the peer needs
 * and a round trip costs tens of microseconds more than sleeping at once (measured on this project's machine
 * §1: "a third busy thread turns spinning into unfairness"). So: keep the full budget while
 * waits end during the spin, halve it each time a wait had to sleep anyway, and once it is
 * gone, probe every PROBE_EVERY waits with a long spin (PROBE_FACTOR times the budget). The probe
 * must outlast the peer's own wake-up from sleep (tens of microseconds): both ends adapt, and
 * two sleeping ends that probed with a short spin would never catch each other awake.
 */
import { waitStats } from './wait.js';

/**
 * A wait that slept but still ended within this long shows a peer that answers quickly: it
 * counts as spinning having paid. Without it, two ends that both stopped spinning would never
 * see each other answer within a spin again (each sleeps, so the other's answer always waits
 * for a futex wake-up), and would stay in the slow regime on a quiet machine.
 */
const QUICK_MS = 0.2;
const PROBE_EVERY = 128;
const PROBE_FACTOR = 32;
const MIN_USEFUL = 32;

export class AdaptiveSpin {
  private budget: number;
  private sinceProbe = 0;

  /** `max`: the budget when spinning pays; `adaptive` false keeps it fixed. */
  constructor(
    readonly max: number,
    readonly adaptive = true,
  ) {
    this.budget = max;
  }

  /** Spins for the next wait. */
  get spins(): number {
    return this.budget;
  }

  /**
   * Call after each wait: it reads waitStats.lastSlept; `waitedMs` is how long the wait took
   * when it slept (Infinity if unknown).
   */
  update(waitedMs = Infinity): void {
    if (!this.adaptive || this.max === 0) return;
    if (!waitStats.lastSlept || waitedMs < QUICK_MS) {
      this.sinceProbe = 0;
      this.budget = this.max;
      return;
    }
    // A failed probe (or any wait above the budget) drops straight back to not spinning.
    this.budget = this.budget > this.max ? 0 : this.budget >= 2 * MIN_USEFUL ? this.budget >> 1 : 0;
    if (this.budget === 0 && ++this.sinceProbe >= PROBE_EVERY) {
      this.sinceProbe = 0;
      this.budget = this.max * PROBE_FACTOR;
    }
  }
}
