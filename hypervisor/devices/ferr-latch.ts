import type { Device, DeviceResources } from '../../shared/io-bus.js';
import type { IrqInput } from './irq-input.js';

/**
 * The PC's x87 error latch: FERR# from the processor raises ISA IRQ 13, and a write to port
 * 0xF0 (the "clear coprocessor busy" port) lowers it, as QEMU's pc machine wires them
 * (hw/i386/pc.c: cpu_set_ferr raises its ferr_irq, ioportF0_write lowers it). The vCPU raises
 * it when the x87 asserts FERR# (CR0.NE = 0, x87/x87-state.ts); reads return all ones.
 */
export const FERR_IRQ = 13;

export class FerrLatch implements Device {
  readonly name = 'ferr-latch';
  // Any write lowers the line; reads return all ones (the bus masks them to the access size).
  readonly resources: DeviceResources = {
    ports: [{ base: 0xf0, length: 1, read: () => 0xffffffff, write: () => this.irqs.setIrqLevel(FERR_IRQ, false) }],
    irqs: [FERR_IRQ],
  };
  raised = 0;

  constructor(private readonly irqs: IrqInput) {}

  /** FERR# asserted: IRQ 13 goes high and stays high until the guest writes port 0xF0. */
  raise(): void {
    this.raised++;
    this.irqs.setIrqLevel(FERR_IRQ, true);
  }
}
