/**
 * The std VGA's display refresh as a loop source. It refreshes at most refreshHz times a second
 * (on a fixed grid of slots; missed slots are skipped, not made up), and only when something
 * could have changed the picture since the last refresh:
 *
 * - a write to any of the VGA's registers, DAC, VBE or memory that the device model performed
 *   (StdVga.changes: mode sets, palette changes, window and trapped LFB writes);
 * - an event on the wake-up ports — the buffered-ioreq port, on which the hypervisor also
 *   announces a dirty-VRAM bit it set (shared-dirty: the guest's first write to a clean page);
 * - in `shared` mode, always: the guest writes VRAM without telling anyone, so only comparing
 *   can find out (the cost that design has, and what the benchmarks measure).
 *
 * Text modes are not drawn (the display is blank), so there is no cursor blink to run.
 */
import type { LoopSource } from '../../loop-source.js';
import type { StdVga } from './std-vga.js';

export class DisplayRefreshSource implements LoopSource {
  readonly name = 'display';
  /** performance.now() of the next slot a refresh may run in. */
  private slot: number;
  private readonly period: number;
  /** StdVga.changes at the last refresh (-1: none yet, so the first slot draws). */
  private seen = -1;
  private woke = false;

  constructor(
    private readonly vga: StdVga,
    readonly ports: readonly number[],
    start = performance.now(),
  ) {
    this.period = 1000 / vga.refreshHz;
    this.slot = start + this.period;
  }

  /** Whether a refresh now could find anything new. */
  get mayHaveChanged(): boolean {
    return this.woke || this.vga.changes !== this.seen || this.vga.guestWritesUnseen;
  }

  nextDeadline(): number {
    return this.mayHaveChanged ? this.slot : Infinity;
  }

  poll(now: number, woken: boolean): void {
    if (woken) this.woke = true;
    if (now < this.slot || !this.mayHaveChanged) return;
    this.woke = false;
    this.seen = this.vga.changes;
    this.vga.refresh();
    this.slot += this.period;
    if (this.slot <= now) this.slot = now + this.period;
  }

  finish(): Promise<void> | undefined {
    return this.vga.finish();
  }
}
