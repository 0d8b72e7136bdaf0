import type { AccessSize, PortDevice } from '../../shared/io-bus.js';
import type { IrqInput } from './irq-input.js';

/**
 * The PC's x87 error latch: FERR# from the processor raises ISA IRQ 13, and a write to port
 * 0xF0 (the "clear coprocessor busy" port) lowers it, as QEMU's pc machine wires them
 * (hw/i386/pc.c: cpu_set_ferr raises its ferr_irq, ioportF0_write lowers it). The vCPU raises
 * it when the x87 asserts FERR# (CR0.NE = 0, x87/x87-state.ts); reads return all ones.
 */
export const FERR_IRQ = 13;

export class FerrLatch implements PortDevice {
  readonly name = 'ferr-latch';
  readonly ports = [{ base: 0xf0, length: 1 }] as const;
  raised = 0;

  constructor(private readonly irqs: IrqInput) {}

  /** FERR# asserted: IRQ 13 goes high and stays high until the guest writes port 0xF0. */
  raise(): void {
    this.raised++;
    this.irqs.setIrqLevel(FERR_IRQ, true);
  }

  ioRead(_port: number, size: AccessSize): number {
    return size >= 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  ioWrite(_port: number, _size: AccessSize, _value: number): void {
    this.irqs.setIrqLevel(FERR_IRQ, false);
  }
}
