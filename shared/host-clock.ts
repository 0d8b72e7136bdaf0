/**
 * The one clock every thread of the process reads alike (CLOCK_MONOTONIC through
 * process.hrtime), for timestamps one thread takes and another compares: an input event's
 * injection in the device model against its handler's entry on a vCPU, a request's publication
 * on a vCPU against its pickup in the device model. performance.now() has a time origin per
 * thread, so it cannot be compared across threads. A double holds these nanoseconds exactly
 * for ~104 days of uptime.
 */
export function hostNowNs(): number {
  return Number(process.hrtime.bigint());
}
