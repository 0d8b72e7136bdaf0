/**
 * Where a device drives an interrupt line: ISA IRQ 0–15 by level, as Xen's
 * hvm_isa_irq_assert / deassert (and XEN_DMOP_set_isa_irq_level) do. The PIC pair implements it.
 */
export interface IrqInput {
  setIrqLevel(irq: number, level: boolean): void;
}
