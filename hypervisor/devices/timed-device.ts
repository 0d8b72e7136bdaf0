/**
 * A device that raises interrupts as time passes (PIT channel 0, RTC). The vCPU loop calls
 * service() before intr_assist, and uses nextDeadline() to bound how long it may sleep in HLT.
 */
export interface TimedDevice {
  /** Clock time (ns) at which service() next has work: <= now means at once, Infinity means never. */
  nextDeadline(): number;
  /** Catch up with the clock and drive any interrupt line that has come due. */
  service(): void;
}
