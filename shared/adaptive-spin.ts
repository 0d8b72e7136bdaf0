/**
 * A spin budget that follows what spinning buys. On a quiet 2-core machine the peer answers
 * within the spin and a round trip costs well under a microsecond; when a third thread is busy
 * (other domains, the toolstack, another process), spinning only burns the core the peer needs
 * and a round trip costs tens of microseconds more than sleeping at once (research/node-limits.md
 * §1: "a third busy thread turns spinning into unfairness"). So: keep the full budget while
 * waits end during the spin, halve it each time a wait had to sleep anyway, and once it is
 * gone, try the full budget again every PROBE_EVERY waits.
 */
import { waitStats } from './wait.js';

const PROBE_EVERY = 128;
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

  /** Call after each wait that used `spins`: it read waitStats.lastSlept. */
  update(): void {
    if (!this.adaptive || this.max === 0) return;
    if (!waitStats.lastSlept) {
      this.budget = this.max;
      return;
    }
    this.budget = this.budget >= 2 * MIN_USEFUL ? this.budget >> 1 : 0;
    if (this.budget === 0 && ++this.sinceProbe >= PROBE_EVERY) {
      this.sinceProbe = 0;
      this.budget = this.max;
    }
  }
}
