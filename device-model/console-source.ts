/**
 * The guest console as a loop source: host bytes queued by the toolstack (it sets the control
 * port pending after writing them) go into COM1 as far as its receive FIFO has room — the rest
 * wait until the guest reads and makes room (its access wakes the loop) — and the console bytes
 * the guest printed are posted before the loop sleeps (ToolstackOutbox batches them).
 */
import type { ByteRing } from '../shared/byte-ring.js';
import type { Uart16550 } from './devices/uart16550.js';
import type { LoopSource } from './loop-source.js';
import type { ToolstackOutbox } from './toolstack-outbox.js';

export class ConsoleSource implements LoopSource {
  readonly name = 'console';
  readonly ports: readonly number[];

  constructor(
    private readonly consoleIn: ByteRing,
    private readonly uart: Uart16550,
    private readonly outbox: ToolstackOutbox,
    /** The device model's control port, which the toolstack sets pending after queueing input. */
    controlPort: number,
  ) {
    this.ports = [controlPort];
  }

  nextDeadline(now: number): number {
    if (this.outbox.batchedBytes > 0) return now;
    return this.consoleIn.available() > 0 && this.uart.canReceive() > 0 ? now : Infinity;
  }

  poll(): void {
    if (this.consoleIn.available() > 0) {
      const room = this.uart.canReceive();
      if (room > 0) this.uart.receive(this.consoleIn.read(room));
    }
    this.outbox.flushConsole();
  }
}
