/**
 * System instructions: port I/O, HLT, CLI/STI, descriptor tables, control registers, MSRs,
 * CPUID, RDTSC, VMCALL, segment-register moves and #UD. Port I/O, HLT, CPUID and VMCALL are
 * VM exits: the hypervisor handles them through its exit table.
 */
import type { Cpu } from './cpu.js';
import { ExitReason, IoDir } from './exit.js';
import { gp, ud } from './fault.js';
import type { Insn } from './insn.js';
import { Cr0, Flag, Reg, Seg, Vector } from './registers.js';
import { CR4_PAE, CR4_PGE, CR4_PSE, EFER_NXE } from './page-walk.js';
import { loadDataSegment } from './segments.js';

export function execUD(_c: Cpu, _i: Insn): void {
  ud();
}

export function execGPInsnTooLong(_c: Cpu, _i: Insn): void {
  gp(0);
}

function portExit(c: Cpu, port: number, size: number, dir: IoDir, value: number): void {
  c.exit.setSingle(port & 0xffff, size, dir, value);
  c.vmexit(ExitReason.IO_INSTRUCTION);
}

/** IN AL/eAX, imm8 (E4/E5) and IN AL/eAX, DX (EC/ED). */
export function inPort(c: Cpu, i: Insn): void {
  const port = i.op === 0xe4 || i.op === 0xe5 ? i.imm : c.regs[Reg.EDX]! & 0xffff;
  portExit(c, port, i.osz, IoDir.IN, 0);
  c.setReg(Reg.EAX, i.osz, c.exit.value);
}

/** OUT imm8, AL/eAX (E6/E7) and OUT DX, AL/eAX (EE/EF). */
export function outPort(c: Cpu, i: Insn): void {
  const port = i.op === 0xe6 || i.op === 0xe7 ? i.imm : c.regs[Reg.EDX]! & 0xffff;
  portExit(c, port, i.osz, IoDir.OUT, c.getReg(Reg.EAX, i.osz));
}

export function hlt(c: Cpu, _i: Insn): void {
  c.vmexit(ExitReason.HLT);
}

export function cli(c: Cpu, _i: Insn): void {
  c.flags &= ~Flag.IF;
}

/** STI: interrupts stay blocked for one more instruction when IF was 0 (the STI shadow). */
export function sti(c: Cpu, _i: Insn): void {
  if (!(c.flags & Flag.IF)) c.shadow = true;
  c.flags |= Flag.IF;
}

/** Group 7 (0F 01): SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG; VMCALL is 0F 01 C1. */
export function group7(c: Cpu, i: Insn): void {
  if (i.mod === 3) {
    if (i.reg === 0 && i.rm === 1) {
      c.vmexit(ExitReason.VMCALL);
      return;
    }
    if (i.reg === 4) {
      c.setReg(i.rm, i.osz, c.cr0);
      return;
    }
    if (i.reg === 6) {
      lmsw(c, c.getReg(i.rm, 2));
      return;
    }
    ud();
  }
  const addr = c.ea(i);
  switch (i.reg) {
    case 0: // SGDT
      c.wr16(addr, c.gdtrLimit);
      c.wr32(addr + 2, c.gdtrBase);
      return;
    case 1: // SIDT
      c.wr16(addr, c.idtrLimit);
      c.wr32(addr + 2, c.idtrBase);
      return;
    case 2: {
      // LGDT (a 16-bit operand size loads a 24-bit base)
      const limit = c.rd16(addr);
      const base = c.rd32(addr + 2);
      c.gdtrLimit = limit;
      c.gdtrBase = i.osz === 2 ? base & 0xffffff : base;
      return;
    }
    case 3: {
      const limit = c.rd16(addr);
      const base = c.rd32(addr + 2);
      c.idtrLimit = limit;
      c.idtrBase = i.osz === 2 ? base & 0xffffff : base;
      return;
    }
    case 4: // SMSW m16
      c.wr16(addr, c.cr0);
      return;
    case 6:
      lmsw(c, c.rd16(addr));
      return;
    case 7: // INVLPG m: the TLB entries of the page holding the operand's linear address
      c.invalidatePage(addr);
      return;
    default:
      ud();
  }
}

/** LMSW: loads PE, MP, EM, TS; cannot clear PE. */
function lmsw(c: Cpu, v: number): void {
  c.cr0 = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & Cr0.PE);
}

/** MOV r32, CRn (0F 20). */
export function movFromCr(c: Cpu, i: Insn): void {
  const v = [c.cr0, -1, c.cr2, c.cr3, c.cr4][i.reg];
  if (v === undefined || i.reg === 1) ud();
  c.regs[i.rm] = v;
}

/** CR4 bits whose change flushes the whole TLB, globals included (SDM Vol. 3A §4.10.4.1). */
const CR4_PAGING_BITS = CR4_PSE | CR4_PAE | CR4_PGE;

/**
 * MOV CRn, r32 (0F 22). Paging changes reach the TLB as the SDM (§4.10.4.1) says: MOV CR3 drops
 * all but global entries; a change of CR0.PG or CR0.WP, or of CR4.PGE/PAE/PSE, drops all. With
 * PAE the PDPTEs are loaded at MOV CR3 and when paging or PAE is switched on (§4.4.1); a
 * reserved bit in one is #GP(0) before any register changes.
 */
export function movToCr(c: Cpu, i: Insn): void {
  const v = c.regs[i.rm]!;
  switch (i.reg) {
    case 0: {
      if (!(v & Cr0.PE)) {
        c.crashWith('guest left protected mode (CR0.PE cleared): real mode is not supported', c.curEip);
        return;
      }
      if (v & Cr0.NW && !(v & Cr0.CD)) gp(0);
      const old = c.cr0;
      const pgOn = (v & Cr0.PG) !== 0 && !(old & Cr0.PG);
      if (pgOn && c.cr4 & CR4_PAE) c.loadPdptes(c.cr3);
      c.cr0 = v | Cr0.ET;
      if ((old ^ c.cr0) & Cr0.PG) c.setPaging((c.cr0 & Cr0.PG) !== 0);
      else if ((old ^ c.cr0) & Cr0.WP && c.paging) c.flushTlb(false);
      return;
    }
    case 2:
      c.cr2 = v;
      return;
    case 3:
      if (c.paging && c.cr4 & CR4_PAE) c.loadPdptes(v);
      c.cr3 = v;
      if (c.paging) c.flushTlb(true);
      return;
    case 4: {
      if (v & ~0x7ff) gp(0); // only the 32-bit-era bits (VME … OSXMMEXCPT) are accepted
      const changed = c.cr4 ^ v;
      if (c.paging && changed & CR4_PAE && v & CR4_PAE) c.loadPdptes(c.cr3);
      c.cr4 = v;
      if (c.paging && changed & CR4_PAGING_BITS) c.flushTlb(false);
      return;
    }
    default:
      ud();
  }
}

export function clts(c: Cpu, _i: Insn): void {
  c.cr0 &= ~Cr0.TS;
}

export function cpuid(c: Cpu, _i: Insn): void {
  c.vmexit(ExitReason.CPUID);
}

/**
 * RDTSC: a virtual TSC derived from retired instructions, so runs are repeatable
 * (no wall clock reaches the guest through the CPU). The instruction ends its block,
 * so the count it reads is exact.
 */
export const TSC_PER_INSTRUCTION = 1;

export function rdtsc(c: Cpu, _i: Insn): void {
  const t = c.instructions * TSC_PER_INSTRUCTION;
  c.regs[Reg.EAX] = t % 0x100000000;
  c.regs[Reg.EDX] = Math.floor(t / 0x100000000);
}

/** MSRs this CPU knows; any other index raises #GP(0) (IA32_APIC_BASE too: there is no local APIC yet). */
/** IA32_EFER: of its bits only NXE (11) exists on this 32-bit CPU (no SYSCALL, no long mode). */
const MSR_EFER = 0xc0000080;

const KNOWN_MSRS = new Map<number, bigint>([
  [0x10, 0n], // IA32_TIME_STAMP_COUNTER (read returns the virtual TSC)
  [0x8b, 0n], // IA32_BIOS_SIGN_ID
  [0x174, 0n], // IA32_SYSENTER_CS
  [0x175, 0n], // IA32_SYSENTER_ESP
  [0x176, 0n], // IA32_SYSENTER_EIP
  [0x1a0, 1n], // IA32_MISC_ENABLE: fast strings
  [0x277, 0x0007040600070406n], // IA32_PAT power-on value
  [0x2ff, 0n], // IA32_MTRR_DEF_TYPE
]);

/** Xen's MSR window (hypercall page, Viridian): served by the hypervisor through an MSR exit. */
const HYPERVISOR_MSRS_FIRST = 0x40000000;
const HYPERVISOR_MSRS_LAST = 0x400002ff;

function hypervisorMsr(idx: number): boolean {
  return idx >= HYPERVISOR_MSRS_FIRST && idx <= HYPERVISOR_MSRS_LAST;
}

export function rdmsr(c: Cpu, _i: Insn): void {
  const idx = c.regs[Reg.ECX]! >>> 0;
  if (hypervisorMsr(idx)) {
    c.exit.addr = idx;
    c.exit.value = 0;
    c.exit.valueHigh = 0;
    c.vmexit(ExitReason.MSR_READ); // the handler sets value/valueHigh or raises #GP
    c.regs[Reg.EAX] = c.exit.value;
    c.regs[Reg.EDX] = c.exit.valueHigh;
    return;
  }
  if (idx === MSR_EFER) {
    c.regs[Reg.EAX] = c.efer;
    c.regs[Reg.EDX] = 0;
    return;
  }
  if (!KNOWN_MSRS.has(idx)) gp(0);
  let v = c.msrs.get(idx) ?? KNOWN_MSRS.get(idx)!;
  if (idx === 0x10) v = BigInt(c.instructions * TSC_PER_INSTRUCTION);
  c.regs[Reg.EAX] = Number(v & 0xffffffffn);
  c.regs[Reg.EDX] = Number((v >> 32n) & 0xffffffffn);
}

export function wrmsr(c: Cpu, _i: Insn): void {
  const idx = c.regs[Reg.ECX]! >>> 0;
  if (hypervisorMsr(idx)) {
    c.exit.addr = idx;
    c.exit.value = c.regs[Reg.EAX]! >>> 0;
    c.exit.valueHigh = c.regs[Reg.EDX]! >>> 0;
    c.vmexit(ExitReason.MSR_WRITE);
    return;
  }
  if (idx === MSR_EFER) {
    const lo = c.regs[Reg.EAX]!;
    if (lo & ~EFER_NXE || c.regs[Reg.EDX] !== 0) gp(0); // reserved bits (SDM: WRMSR #GP)
    const changed = (c.efer ^ lo) !== 0;
    c.efer = lo;
    if (changed && c.paging) c.flushTlb(false); // NX is part of every cached PAE translation
    return;
  }
  if (!KNOWN_MSRS.has(idx)) gp(0);
  const v = (BigInt(c.regs[Reg.EDX]! >>> 0) << 32n) | BigInt(c.regs[Reg.EAX]! >>> 0);
  c.msrs.set(idx, v);
}

/** MOV r/m16, Sreg (8C). */
export function movESreg(c: Cpu, i: Insn): void {
  if (i.reg > 5) ud();
  const sel = c.segSel[i.reg]!;
  if (i.mod === 3) c.setReg(i.rm, i.osz === 4 ? 4 : 2, sel);
  else c.wr16(c.ea(i), sel);
}

/** MOV Sreg, r/m16 (8E). MOV to CS is #UD; MOV to SS opens an interrupt shadow. */
export function movSregE(c: Cpu, i: Insn): void {
  if (i.reg === Seg.CS || i.reg > 5) ud();
  const sel = i.mod === 3 ? c.getReg(i.rm, 2) : c.rd16(c.ea(i));
  loadDataSegment(c, i.reg, sel);
  if (i.reg === Seg.SS) c.shadow = true;
}
