/**
 * VMCALL hypercalls, Xen's 32-bit convention (docs/architecture.md §2): EAX = hypercall number, arguments in
 * EBX, ECX, EDX, ESI, EDI, result in EAX. One table keyed by number; anything absent returns
 * -ENOSYS as Xen does. Later issues add their operations here (HVMOPs...).
 *
 * vcpu_op (24), VCPUOP_up (0), hvmsim's variant: EBX = 0 (the command), ECX = the vCPU to
 * start, EDX = its entry EIP, ESI = its initial ESP. Xen's VCPUOP_up takes only the vCPU and
 * starts it from the context VCPUOP_initialise gave it; hvmsim folds that context into the call:
 * the new vCPU starts as QEMU's -kernel leaves vCPU 0 (protected mode, flat 4 GiB segments with
 * code selector 0x10 and data 0x18, paging and interrupts off, GDTR base 0, IDTR 0/0x3FF) with
 * EIP and ESP as given, EAX = its vCPU id and the other registers 0; it loads its own GDT and
 * IDT. Returns 0, or -EINVAL for a vCPU the domain does not have or one already up (vCPU 0
 * included).
 */
import type { Cpu } from './cpu/cpu.js';
import { GuestFault } from './cpu/fault.js';
import { Reg } from './cpu/registers.js';

export const ENOSYS = 38;
export const EINVAL = 22;
export const EFAULT = 14;

export const HYPERVISOR_sched_op = 29;
export const HYPERVISOR_xen_version = 17;
export const HYPERVISOR_vcpu_op = 24;

export const VCPUOP_up = 0;

export const SCHEDOP_yield = 0;
export const SCHEDOP_shutdown = 2;

/** What a hypercall may ask of the vCPU that made it. */
export interface HypercallContext {
  readonly cpu: Cpu;
  shutdown(reason: 'poweroff' | 'reboot' | 'crash'): void;
  /** Start `vcpu` at `eip` with `esp`; returns 0 or a negative errno (VCPUOP_up). */
  vcpuUp?(vcpu: number, eip: number, esp: number): number;
}

export type Hypercall = (ctx: HypercallContext, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

const XEN_VERSION = (4 << 16) | 19;

const table = new Map<number, Hypercall>([
  [
    HYPERVISOR_xen_version,
    (_ctx, cmd) => (cmd === 0 ? XEN_VERSION : -ENOSYS), // XENVER_version; other sub-ops are not provided
  ],
  [
    HYPERVISOR_sched_op,
    (ctx, cmd, arg) => {
      if (cmd === SCHEDOP_yield) return 0;
      if (cmd === SCHEDOP_shutdown) {
        // struct sched_shutdown { unsigned int reason; } at `arg`, a guest linear address: Xen
        // copies HVM hypercall arguments through the guest's page tables
        // (hvm_copy_from_guest_linear) and answers -EFAULT where they do not map.
        let reason: number;
        const cr2 = ctx.cpu.cr2;
        try {
          reason = ctx.cpu.rd32(arg);
        } catch (e) {
          if (!(e instanceof GuestFault)) throw e;
          ctx.cpu.cr2 = cr2; // no #PF reaches the guest
          return -EFAULT;
        }
        const named = reason === 0 ? 'poweroff' : reason === 1 ? 'reboot' : reason === 3 ? 'crash' : undefined;
        if (!named) return -EINVAL;
        ctx.shutdown(named);
        return 0;
      }
      return -ENOSYS;
    },
  ],
  [
    HYPERVISOR_vcpu_op,
    (ctx, cmd, vcpu, eip, esp) => {
      if (cmd !== VCPUOP_up) return -ENOSYS; // other sub-ops are not provided
      return ctx.vcpuUp ? ctx.vcpuUp(vcpu >>> 0, eip >>> 0, esp >>> 0) : -ENOSYS;
    },
  ],
]);

/** Complete a VMCALL exit. */
export function handleHypercall(ctx: HypercallContext): void {
  const r = ctx.cpu.regs;
  const fn = table.get(r[Reg.EAX]! >>> 0);
  r[Reg.EAX] = fn ? fn(ctx, r[Reg.EBX]!, r[Reg.ECX]!, r[Reg.EDX]!, r[Reg.ESI]!, r[Reg.EDI]!) : -ENOSYS;
}
