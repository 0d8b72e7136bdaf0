/**
 * Xen's MSR window, 0x40000000–0x400002FF, as Xen serves it for an HVM domain without Viridian
 * (xen/arch/x86/msr.c): WRMSR 0x40000000 with the guest-physical address of a page and a page
 * index in bits 11:0 fills that page with hypercall entries (index ≠ 0, or a frame that is not
 * writable RAM of the guest: #GP); RDMSR 0x40000000 reads 0; every other MSR of the window
 * raises #GP. CPUID leaf 0x40000002 names this MSR (hypervisor/cpuid.ts).
 */
import { P2mType, PAGE_SHIFT, PAGE_SIZE } from '../shared/p2m.js';
import type { Cpu } from './cpu/cpu.js';
import { ExitReason } from './cpu/exit.js';
import { gp } from './cpu/fault.js';
import { fillHypercallPage } from './hypercalls/hypercall-page.js';

export const XEN_HYPERCALL_MSR = 0x40000000;

/**
 * Complete an MSR_READ/MSR_WRITE exit (cpu.exit.addr = index, value/valueHigh = EDX:EAX);
 * returns the hypercall page's address when one was written.
 */
export function serveXenMsr(cpu: Cpu): number | undefined {
  const x = cpu.exit;
  if (x.addr !== XEN_HYPERCALL_MSR) gp(0);
  if (x.reason === ExitReason.MSR_READ) {
    x.value = 0;
    x.valueHigh = 0;
    return undefined;
  }
  if (x.value & 0xfff) gp(0); // a page index: Xen has one hypercall page
  // Above 4 GiB there is no RAM in a 32-bit guest's p2m.
  if (x.valueHigh !== 0) gp(0);
  const gpa = x.value >>> 0;
  const frame = gpa >>> PAGE_SHIFT;
  const mem = cpu.mem;
  if (mem.p2m[frame] !== P2mType.RAM_RW || gpa + PAGE_SIZE > mem.ramBytes) gp(0);
  const page = new Uint8Array(PAGE_SIZE);
  fillHypercallPage(page);
  mem.load(gpa, page); // drops translations of code the page held
  return gpa;
}
