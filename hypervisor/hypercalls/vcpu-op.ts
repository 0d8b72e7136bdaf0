/**
 * vcpu_op (24), VCPUOP_up (0), hvmsim's variant: EBX = 0 (the command), ECX = the vCPU to
 * start, EDX = its entry EIP, ESI = its initial ESP. Xen's VCPUOP_up takes only the vCPU and
 * starts it from the context VCPUOP_initialise gave it; hvmsim folds that context into the call:
 * the new vCPU starts as QEMU's -kernel leaves vCPU 0 (protected mode, flat 4 GiB segments with
 * code selector 0x10 and data 0x18, paging and interrupts off, GDTR base 0, IDTR 0/0x3FF) with
 * EIP and ESP as given, EAX = its vCPU id and the other registers 0; it loads its own GDT and
 * IDT. Returns 0, or -EINVAL for a vCPU the domain does not have or one already up (vCPU 0
 * included). Other sub-ops: -ENOSYS.
 */
import { ENOSYS } from './errno.js';
import type { Hypercall } from './table.js';

export const VCPUOP_up = 0;

export const vcpuOp: Hypercall = (ctx, cmd, vcpu, eip, esp) => {
  if (cmd !== VCPUOP_up) return -ENOSYS;
  return ctx.vcpuUp ? ctx.vcpuUp(vcpu >>> 0, eip >>> 0, esp >>> 0) : -ENOSYS;
};
