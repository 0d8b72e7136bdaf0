/**
 * Runs CpuCases on the interpreter, at the same addresses the native oracle uses, and reports
 * the outcome in the oracle's terms. Exceptions are observed through a guest IDT whose vector-N
 * gate points at a HLT of its own, so the EIP at the stop names the vector; the frame the CPU
 * pushed gives the faulting EIP and EFLAGS.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cpu as CpuType } from '../../hypervisor/cpu/cpu.js';
import { GuestMemory } from '../../hypervisor/cpu/guest-memory.js';
import { createP2mBuffer, P2mType } from '../../shared/p2m.js';
import { CODE_BASE, DATA_BASE, DATA_SIZE, dataDiff, initialData, type CpuCase, type CpuOutcome } from './cpu-cases.js';

export const CPU_SOURCE = fileURLToPath(new URL('../../hypervisor/cpu/cpu.ts', import.meta.url));

const RAM_BYTES = 4 << 20;
/** GDT, IDT and the per-vector HLT stubs, below the data area. */
const SYS_BASE = 0x00100000;
const GDT = SYS_BASE;
const IDT = SYS_BASE + 0x100;
const STUBS = SYS_BASE + 0x1000; // vector N's handler: HLT at STUBS + 4N
const SYS_SIZE = 0x1400;
/** With `paging`: a page directory and one table identity-mapping the 4 MiB of RAM with 4 KiB pages. */
const PAGE_DIR = 0x00380000;
const PAGE_TABLE = 0x00381000;
const BUDGET = 200_000;
// Numeric values of ExitReason (a const enum, so not importable at run time without the TS source).
const EXIT_TRIPLE_FAULT = 2;
const EXIT_HLT = 12;
const EXIT_NAMES: Record<number, string> = { 1: 'external_interrupt', 2: 'triple_fault', 7: 'interrupt_window', 10: 'cpuid', 12: 'hlt', 18: 'vmcall', 30: 'io', 48: 'ept_violation' };

function pushesErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** The GDT (null, flat 32-bit code 0x08, flat data 0x10), the IDT and the stubs, as one blob. */
function systemArea(): Uint8Array {
  const sys = new Uint8Array(SYS_SIZE);
  const v = new DataView(sys.buffer);
  v.setUint32(0x08, 0x0000ffff, true);
  v.setUint32(0x0c, 0x00cf9a00, true);
  v.setUint32(0x10, 0x0000ffff, true);
  v.setUint32(0x14, 0x00cf9200, true);
  for (let n = 0; n < 256; n++) {
    const handler = STUBS + 4 * n;
    const g = IDT - SYS_BASE + 8 * n;
    v.setUint32(g, (0x08 << 16) | (handler & 0xffff), true);
    v.setUint32(g + 4, (handler & 0xffff0000) | 0x8e00, true); // present 32-bit interrupt gate, DPL 0
    sys.fill(0xf4, STUBS - SYS_BASE + 4 * n, STUBS - SYS_BASE + 4 * n + 4);
  }
  return sys;
}

export class InterpreterRunner {
  private readonly mem: GuestMemory;
  private cpu: CpuType;
  private readonly sys = systemArea();
  private readonly init = new Uint8Array(DATA_SIZE);
  private readonly codeBuf = new Uint8Array(256);
  private lastCodeLen = 0;
  private stopped = false;
  private problem: string | undefined;

  private constructor(
    private readonly CpuClass: new (mem: GuestMemory, onExit: (c: CpuType) => void) => CpuType,
    private readonly base: Uint8Array,
    private readonly paging: boolean,
  ) {
    this.mem = new GuestMemory(new SharedArrayBuffer(RAM_BYTES), createP2mBuffer());
    this.mem.setType(0, RAM_BYTES >>> 12, P2mType.RAM_RW);
    this.cpu = this.newCpu();
  }

  /**
   * The runner, or why the interpreter is not available (cpu.ts not written yet). `paging`: every
   * case runs with paging on, RAM identity-mapped by 4 KiB pages (the outcome must not change).
   */
  static async create(base: Uint8Array, opts: { paging?: boolean } = {}): Promise<InterpreterRunner | string> {
    if (!existsSync(CPU_SOURCE)) return 'hypervisor/cpu/cpu.ts does not exist yet';
    const mod = (await import('../../hypervisor/cpu/cpu.js')) as { Cpu: new (mem: GuestMemory, onExit: (c: CpuType) => void) => CpuType };
    return new InterpreterRunner(mod.Cpu, base, opts.paging ?? false);
  }

  /** Rewrite the identity tables (a stray write in an earlier case must not change the mapping) and turn paging on. */
  private enablePaging(cpu: CpuType): void {
    const mem = this.mem;
    mem.writePhys32(PAGE_DIR, PAGE_TABLE | 3);
    for (let i = 1; i < 1024; i++) mem.writePhys32(PAGE_DIR + 4 * i, 0);
    for (let i = 0; i < 1024; i++) mem.writePhys32(PAGE_TABLE + 4 * i, (i << 12) | 3);
    cpu.cr3 = PAGE_DIR;
    cpu.cr0 |= 1 << 31;
    cpu.setPaging(true);
  }

  private newCpu(): CpuType {
    return new this.CpuClass(this.mem, (c) => {
      const reason = c.exit.reason as number;
      if (reason === EXIT_TRIPLE_FAULT) this.problem = `triple fault: ${c.crash?.reason ?? '?'}`;
      else if (reason !== EXIT_HLT) this.problem = `unexpected exit ${EXIT_NAMES[reason] ?? reason} at eip ${hex32(c.eip)}`;
      this.stopped = true;
      c.requestStop();
    });
  }

  run(c: CpuCase): CpuOutcome {
    const mem = this.mem;
    mem.load(SYS_BASE, this.sys); // a stray write in an earlier case must not break delivery
    const init = initialData(this.base, c, this.init);
    mem.load(DATA_BASE, init);
    const buf = this.codeBuf;
    buf.fill(0, 0, this.lastCodeLen);
    buf.set(c.code);
    buf[c.code.length] = 0xf4; // HLT ends the case
    const len = Math.max(this.lastCodeLen, c.code.length + 1);
    mem.load(CODE_BASE, buf.subarray(0, len));
    this.lastCodeLen = c.code.length + 1;

    let cpu = this.cpu;
    cpu.resetMultiboot(CODE_BASE, 0);
    cpu.gdtrBase = GDT;
    cpu.gdtrLimit = 0x17;
    cpu.idtrBase = IDT;
    cpu.idtrLimit = 256 * 8 - 1;
    for (let r = 0; r < 8; r++) cpu.regs[r] = c.regs[r]! | 0;
    cpu.setEflags(c.eflags);
    if (this.paging) this.enablePaging(cpu);
    this.stopped = false;
    this.problem = undefined;
    try {
      cpu.run(BUDGET);
    } catch (e) {
      this.problem = `interpreter threw: ${e instanceof Error ? e.message : String(e)}`;
      this.cpu = cpu = this.newCpu(); // its state may be half-updated
    }
    if (!this.problem && !this.stopped) this.problem = `no HLT within ${BUDGET} instructions (eip ${hex32(cpu.eip)})`;

    const regs = Array.from(cpu.regs, (v) => v >>> 0);
    const eip = cpu.eip >>> 0;
    const end = CODE_BASE + c.code.length + 1; // EIP after the final HLT
    let vector = -1;
    let faultEip = 0;
    let eflags = cpu.getEflags() >>> 0;
    if (!this.problem && eip > STUBS && eip <= STUBS + 4 * 256) {
      vector = (eip - 1 - STUBS) >>> 2;
      // The frame: [error code], EIP, CS, EFLAGS. Report the state at the faulting instruction.
      let sp = regs[4]!;
      const frame = pushesErrorCode(vector) ? 16 : 12;
      if (sp >= DATA_BASE && sp + frame <= DATA_BASE + DATA_SIZE) {
        if (frame === 16) sp += 4;
        faultEip = mem.readPhys32(sp) >>> 0;
        eflags = mem.readPhys32(sp + 8) >>> 0;
        regs[4] = (regs[4]! + frame) >>> 0;
        // Natively the signal frame goes elsewhere: put back the bytes the exception frame covered.
        const off = regs[4]! - frame - DATA_BASE;
        mem.ram.set(init.subarray(off, off + frame), DATA_BASE + off);
      } else this.problem = `exception ${vector} with ESP ${hex32(sp)} outside the data area`;
    } else if (!this.problem && eip !== end) {
      this.problem = `stopped at eip ${hex32(eip)}, expected the final HLT (${hex32(end - 1)})`;
    }
    const now = mem.ram.subarray(DATA_BASE, DATA_BASE + DATA_SIZE);
    return { vector, eip: faultEip, regs, eflags, diff: dataDiff(now, init), problem: this.problem };
  }
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
