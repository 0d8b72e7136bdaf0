/**
 * VMCALL hypercalls, Xen's 32-bit HVM convention (docs/architecture.md §2): EAX = hypercall
 * number, arguments in EBX, ECX, EDX, ESI, EDI, result in EAX. One table keyed by number, one file
 * per family beside this one; a number with no entry returns -ENOSYS as Xen does. Guests reach it
 * through the hypercall page (hypercall-page.ts) or a VMCALL of their own.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Reg } from '../cpu/registers.js';
import type { HvmParams } from '../../shared/hvm-params.js';
import { ENOSYS } from './errno.js';
import { hvmOp } from './hvm-op.js';
import { schedOp } from './sched-op.js';
import { vcpuOp } from './vcpu-op.js';
import { xenVersion } from './xen-version.js';

export { EEXIST, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from './errno.js';
export { VCPUOP_up } from './vcpu-op.js';
export { SCHEDOP_shutdown, SCHEDOP_yield } from './sched-op.js';

export const HYPERVISOR_xen_version = 17;
export const HYPERVISOR_vcpu_op = 24;
export const HYPERVISOR_sched_op = 29;
export const HYPERVISOR_hvm_op = 34;

/** What a hypercall may ask of the vCPU that made it. */
export interface HypercallContext {
  readonly cpu: Cpu;
  /** The calling domain's id and its HVM parameters (hvm_op). */
  readonly domid?: number;
  readonly params?: HvmParams;
  shutdown(reason: 'poweroff' | 'reboot' | 'crash'): void;
  /** Start `vcpu` at `eip` with `esp`; returns 0 or a negative errno (VCPUOP_up). */
  vcpuUp?(vcpu: number, eip: number, esp: number): number;
}

export type Hypercall = (ctx: HypercallContext, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

const table = new Map<number, Hypercall>([
  [HYPERVISOR_xen_version, xenVersion],
  [HYPERVISOR_vcpu_op, vcpuOp],
  [HYPERVISOR_sched_op, schedOp],
  [HYPERVISOR_hvm_op, hvmOp],
]);

/** Complete a VMCALL exit. */
export function handleHypercall(ctx: HypercallContext): void {
  const r = ctx.cpu.regs;
  const fn = table.get(r[Reg.EAX]! >>> 0);
  r[Reg.EAX] = fn ? fn(ctx, r[Reg.EBX]!, r[Reg.ECX]!, r[Reg.EDX]!, r[Reg.ESI]!, r[Reg.EDI]!) : -ENOSYS;
}
