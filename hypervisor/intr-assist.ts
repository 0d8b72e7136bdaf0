/**
 * intr_assist, run at every VM entry (Xen's arch/x86/hvm/vmx/intr.c, vmx_intr_assist): if the virtual PIC has an interrupt for
 * this vCPU and the guest can take it (IF=1, no STI/MOV-SS shadow), acknowledge it and inject
 * the vector through the guest's IDT; otherwise arm interrupt-window exiting so the vCPU exits
 * as soon as the guest can take it.
 */
import type { Cpu } from './cpu/cpu.js';

export interface InterruptSource {
  hasPendingInterrupt(): boolean;
  /** INTA: returns the vector and moves the request in service. */
  acknowledge(): number;
}

/** Returns true if an interrupt was injected. */
export function intrAssist(cpu: Cpu, pic: InterruptSource): boolean {
  if (!pic.hasPendingInterrupt()) {
    cpu.intWindowArmed = false;
    return false;
  }
  if (!cpu.canTakeInterrupt()) {
    cpu.intWindowArmed = true;
    return false;
  }
  cpu.intWindowArmed = false;
  cpu.injectInterrupt(pic.acknowledge());
  return true;
}
