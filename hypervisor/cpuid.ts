/**
 * The CPUID policy the hypervisor presents (Xen handles CPUID itself). A 32-bit, i686-class
 * processor: the integer features the interpreter implements, the x87 with FXSAVE/FXRSTOR, no
 * MMX/SSE (they raise #UD), and
 * Xen's hypervisor leaves at 0x40000000 with the "XenVMMXenVMM" signature (docs/architecture.md §2).
 */
import type { Cpu } from './cpu/cpu.js';
import { Reg } from './cpu/registers.js';

const VENDOR = 'GenuineIntel';
const XEN_SIGNATURE = 'XenVMMXenVMM';

function str4(s: string, at: number): number {
  return s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);
}

// Leaf 1 EDX: FPU(0) PSE(3) TSC(4) MSR(5) PAE(6) CX8(8) SEP(11) PGE(13) CMOV(15) PAT(16) FXSR(24).
// No MMX/SSE, no PSE-36(17) (4 MiB pages map below 4 GiB only, cpu/page-walk.ts), and no APIC(9)
// while the platform has no local APIC (a kernel that sees the bit maps 0xFEE00000).
const LEAF1_EDX = (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 24);
// Leaf 0x80000001 EDX: NX(20), the execute-disable bit under IA32_EFER.NXE with PAE. No leaf
// 0x80000008, so MAXPHYADDR is 36 (SDM Vol. 3A §4.1.4), as the page walker assumes.
const EXT1_EDX = 1 << 20;
// Leaf 1 ECX bit 31: running under a hypervisor.
const LEAF1_ECX = 1 << 31;
// Family 6, model 15, stepping 11 (a Core 2 of the VT-x era).
const LEAF1_EAX = (6 << 8) | (15 << 4) | 11;

export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/**
 * Xen's leaves for an HVM domain without Viridian, base 0x40000000 and limit 5 (Xen's
 * XEN_CPUID_MAX_NUM_LEAVES; public/arch-x86/cpuid.h): signature and highest leaf, version, one
 * hypercall page through MSR 0x40000000 (hypervisor/xen-msr.ts), time (zeros: hvmsim's TSC counts
 * instructions, not host time, and no TSC mode is offered), HVM features (vCPU id and domid
 * present; IOMMU_MAPPINGS, which Xen always sets; no APIC virtualisation and no per-vCPU upcall
 * vector yet), and a PV-only leaf that reads zeros.
 */
const XEN_BASE = 0x40000000;
const XEN_LEAVES = 5;
const XEN_HVM_CPUID_IOMMU_MAPPINGS = 1 << 2;
const XEN_HVM_CPUID_VCPU_ID_PRESENT = 1 << 3;
const XEN_HVM_CPUID_DOMID_PRESENT = 1 << 4;
export const XEN_VERSION_MAJOR = 4;
export const XEN_VERSION_MINOR = 19;

function xenLeaf(n: number, vcpuId: number, domid: number): CpuidResult {
  switch (n) {
    case 0:
      return { eax: XEN_BASE + XEN_LEAVES, ebx: str4(XEN_SIGNATURE, 0), ecx: str4(XEN_SIGNATURE, 4), edx: str4(XEN_SIGNATURE, 8) };
    case 1:
      return { eax: (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR, ebx: 0, ecx: 0, edx: 0 };
    case 2:
      return { eax: 1, ebx: XEN_BASE, ecx: 0, edx: 0 };
    case 4:
      return { eax: XEN_HVM_CPUID_IOMMU_MAPPINGS | XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT, ebx: vcpuId, ecx: domid, edx: 0 };
    default:
      return { eax: 0, ebx: 0, ecx: 0, edx: 0 }; // 3 (time), 5 (PV only), above the limit
  }
}

export function cpuidLeaf(leaf: number, _subleaf: number, vcpuId: number, vcpus: number, domid = 0): CpuidResult {
  const l = leaf >>> 0;
  // 0x40000000–0x400000FF: Xen's leaves; the next 0x100 (where Viridian would move them) read as zeros.
  if (l >= XEN_BASE && l < XEN_BASE + 0x200) return l < XEN_BASE + 0x100 ? xenLeaf(l - XEN_BASE, vcpuId, domid) : { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  switch (leaf >>> 0) {
    case 0:
      return { eax: 1, ebx: str4(VENDOR, 0), edx: str4(VENDOR, 4), ecx: str4(VENDOR, 8) };
    case 1:
      return { eax: LEAF1_EAX, ebx: (vcpuId << 24) | (vcpus << 16), ecx: LEAF1_ECX, edx: LEAF1_EDX };
    case 0x80000000:
      return { eax: 0x80000001, ebx: 0, ecx: 0, edx: 0 };
    case 0x80000001:
      return { eax: 0, ebx: 0, ecx: 0, edx: EXT1_EDX };
    default:
      // Out-of-range basic leaves return the highest basic leaf, as Intel parts do.
      return leaf >>> 0 < 0x80000000 && leaf >>> 0 >= 0x40000002
        ? { eax: 0, ebx: 0, ecx: 0, edx: 0 }
        : cpuidLeaf(1, 0, vcpuId, vcpus);
  }
}

/** Complete a CPUID exit: EAX/ECX in, EAX/EBX/ECX/EDX out. */
export function completeCpuid(cpu: Cpu, vcpuId: number, vcpus: number, domid = 0): void {
  const r = cpuidLeaf(cpu.regs[Reg.EAX]!, cpu.regs[Reg.ECX]!, vcpuId, vcpus, domid);
  cpu.regs[Reg.EAX] = r.eax;
  cpu.regs[Reg.EBX] = r.ebx;
  cpu.regs[Reg.ECX] = r.ecx;
  cpu.regs[Reg.EDX] = r.edx;
}
