/**
 * The x87 as the operating system sees it, through the CPU's run loop and the guest IDT:
 * #NM from CR0.EM/TS/MP (lazy FPU switching), #MF for a pending unmasked exception with
 * CR0.NE = 1, FERR# with NE = 0, #UD for FISTTP/MMX/SSE, FXSAVE alignment, stores that fault
 * before writing anything, compiled blocks that run x87 code like the interpreter, and the
 * CPUID bits. The arithmetic itself is held to the host processor in cpu-x87.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { Cpu, RunResult } from '../hypervisor/cpu/cpu.js';
import { ExitReason } from '../hypervisor/cpu/exit.js';
import { GuestFault } from '../hypervisor/cpu/fault.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { F80 } from '../hypervisor/cpu/x87/float80.js';
import { cpuidLeaf } from '../hypervisor/cpuid.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';

const CODE = 0x10000;
const IDT = 0x2000;
const GDT = 0x1000;
const HANDLERS = 0x3000; // vector n: HLT at HANDLERS + n
const DATA = 0x20000;

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const abs = (modrmReg: number, addr: number): number[] => [(modrmReg << 3) | 5, ...le32(addr)];

const FNINIT = [0xdb, 0xe3];
const FLD1 = [0xd9, 0xe8];
const FLDZ = [0xd9, 0xee];
const FWAIT = [0x9b];
const HLT = [0xf4];
const FLDCW = (a: number): number[] => [0xd9, ...abs(5, a)];
const FDIV_ST0_ST1 = [0xd8, 0xf1];
const FSTP_M64 = (a: number): number[] => [0xdd, ...abs(3, a)];
const MOV_EAX = (v: number): number[] => [0xb8, ...le32(v)];
const MOV_CR0_EAX = [0x0f, 0x22, 0xc0];

interface Machine {
  cpu: Cpu;
  /** Vector of the exception taken (the HLT the CPU stopped at), or -1 for the code's own HLT; the frame's EIP and error code. */
  run(): { vector: number; faultEip: number; errorCode?: number };
}

function machine(code: number[], cr0 = 0x33): Machine {
  const mem = new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer());
  mem.setType(0, 256, P2mType.RAM_RW);
  mem.load(CODE, Uint8Array.from([...code, ...HLT]));
  mem.load(GDT, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]));
  for (let v = 0; v < 32; v++) {
    const target = HANDLERS + v;
    mem.writePhys32(IDT + v * 8, (0x08 << 16) | (target & 0xffff));
    mem.writePhys32(IDT + v * 8 + 4, (target & 0xffff0000) | 0x8e00);
  }
  mem.load(HANDLERS, new Uint8Array(32).fill(0xf4));
  const cpu = new Cpu(mem, (c) => {
    if (c.exit.reason === ExitReason.HLT) c.requestStop();
  });
  cpu.resetMultiboot(CODE, 0);
  cpu.segSel[1] = 0x08;
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 23;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 32 * 8 - 1;
  cpu.regs[Reg.ESP] = 0x8000;
  cpu.cr0 = cr0;
  return {
    cpu,
    run() {
      for (let n = 0; n < 10; n++) {
        const r = cpu.run(10_000);
        if (r === RunResult.DEAD) throw new Error(cpu.crash?.reason ?? 'dead');
        const hltAt = (cpu.eip - 1) >>> 0;
        if (hltAt >= HANDLERS && hltAt < HANDLERS + 32) {
          const vector = hltAt - HANDLERS;
          const sp = cpu.regs[Reg.ESP]! >>> 0;
          const withCode = vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
          return withCode
            ? { vector, faultEip: mem.readPhys32(sp + 4) >>> 0, errorCode: mem.readPhys32(sp) }
            : { vector, faultEip: mem.readPhys32(sp) >>> 0 };
        }
        if (cpu.mem.ram[hltAt] === 0xf4 && hltAt >= CODE) return { vector: -1, faultEip: -1 };
      }
      throw new Error('the code did not stop');
    },
  };
}

function offsetOf(code: number[][], index: number): number {
  return CODE + code.slice(0, index).reduce((n, b) => n + b.length, 0);
}

describe('#NM: CR0.EM, TS and MP (SDM Vol. 3 table 2-2)', () => {
  test('EM = 1: an x87 instruction raises #NM at itself', () => {
    const m = machine([...FNINIT], 0x33 | 0x4);
    expect(m.run()).toEqual({ vector: 7, faultEip: CODE });
  });

  test('TS = 1: #NM; after CLTS the same instruction runs (the lazy FPU switch)', () => {
    const code = [FLD1, HLT, [0x0f, 0x06], FLD1];
    const m = machine(code.flat(), 0x33 | 0x8);
    expect(m.run()).toEqual({ vector: 7, faultEip: CODE });
    // The "handler": clear TS and resume at the faulting instruction.
    m.cpu.cr0 &= ~0x8;
    m.cpu.eip = CODE;
    m.cpu.regs[Reg.ESP] = 0x8000;
    expect(m.run().vector).toBe(-1);
    expect(m.cpu.fpu.st(0).equals(F80.fromBytes([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]))).toBe(true);
  });

  test('FWAIT raises #NM only when TS and MP are both set', () => {
    expect(machine(FWAIT, (0x33 | 0x8) & ~0x2).run().vector).toBe(-1); // TS set, MP clear
    expect(machine(FWAIT, 0x33).run().vector).toBe(-1); // MP set, TS clear
    expect(machine(FWAIT, 0x33 | 0x8).run()).toEqual({ vector: 7, faultEip: CODE });
  });

  test('CLTS clears CR0.TS', () => {
    const m = machine([0x0f, 0x06], 0x33 | 0x8);
    m.run();
    expect(m.cpu.cr0 & 0x8).toBe(0);
  });
});

describe('unmasked exceptions: #MF with CR0.NE = 1, FERR# with NE = 0', () => {
  const divideByZero = (): number[][] => [FNINIT, FLDCW(DATA), FLDZ, FLD1, FDIV_ST0_ST1, FWAIT];

  function withZeUnmasked(m: Machine): Machine {
    m.cpu.mem.writePhys32(DATA, 0x037b); // ZM clear
    return m;
  }

  test('the faulting FDIV only sets ES; the next waiting instruction takes #MF', () => {
    const code = divideByZero();
    const m = withZeUnmasked(machine(code.flat()));
    expect(m.run()).toEqual({ vector: 16, faultEip: offsetOf(code, 5) });
    const sw = m.cpu.fpu.status();
    expect(sw & 0x04).toBe(0x04); // ZE
    expect(sw & 0x8080).toBe(0x8080); // ES and B
    expect(m.cpu.fpu.ferr).toBe(false);
  });

  test('non-waiting instructions (FNSTSW, FNCLEX) run with the exception pending', () => {
    const code = [...divideByZero().slice(0, 5), [0xdf, 0xe0], [0xdb, 0xe2], FWAIT];
    const m = withZeUnmasked(machine(code.flat()));
    expect(m.run().vector).toBe(-1);
    expect(m.cpu.regs[Reg.EAX]! & 0x8084).toBe(0x8084); // FNSTSW AX saw ZE, ES, B
    expect(m.cpu.fpu.status() & 0x80ff).toBe(0); // FNCLEX cleared them; FWAIT passed
  });

  test('NE = 0: no #MF; FERR# rises at the waiting instruction and falls when ES clears', () => {
    const code = divideByZero();
    const m = withZeUnmasked(machine([...code.flat(), 0xdb, 0xe2], 0x13));
    let stops = 0;
    let ferrSeen = false;
    for (;;) {
      const r = m.cpu.run(10_000);
      if (m.cpu.fpu.ferr) ferrSeen = true;
      stops++;
      if (r !== RunResult.STOPPED || m.cpu.mem.ram[(m.cpu.eip - 1) >>> 0] === 0xf4) break;
    }
    expect(ferrSeen).toBe(true);
    expect(stops).toBeGreaterThan(1); // the FWAIT stopped the run so the vCPU can route IRQ 13
    expect(m.cpu.fpu.ferr).toBe(false); // FNCLEX
  });
});

describe('#UD for what CPUID does not advertise', () => {
  test('FISTTP (SSE3) in all three widths', () => {
    for (const op of [0xdb, 0xdd, 0xdf]) expect(machine([op, ...abs(1, DATA)]).run()).toEqual({ vector: 6, faultEip: CODE });
  });

  test('MMX and SSE instructions', () => {
    expect(machine([0x0f, 0x6f, 0xc1]).run().vector).toBe(6); // movq mm0, mm1
    expect(machine([0x0f, 0x28, 0xc1]).run().vector).toBe(6); // movaps xmm0, xmm1
    expect(machine([0x0f, 0xae, 0x15, ...le32(DATA)]).run().vector).toBe(6); // ldmxcsr
  });

  test('CPUID leaf 1 EDX: FPU and FXSR, no MMX, SSE or SSE2; ECX: no SSE3', () => {
    const r = cpuidLeaf(1, 0, 0, 1);
    expect(r.edx & 1).toBe(1);
    expect((r.edx >>> 24) & 1).toBe(1);
    expect(r.edx & ((1 << 23) | (1 << 25) | (1 << 26))).toBe(0);
    expect(r.ecx & 1).toBe(0);
  });
});

describe('FXSAVE/FXRSTOR', () => {
  test('a misaligned area raises #GP(0)', () => {
    expect(machine([0x0f, 0xae, ...abs(0, DATA + 8)]).run()).toEqual({ vector: 13, faultEip: CODE, errorCode: 0 });
  });

  test('FXRSTOR brings back what FXSAVE stored', () => {
    const code = [FNINIT, FLD1, FLDZ, [0x0f, 0xae, ...abs(0, DATA)], FNINIT, [0x0f, 0xae, ...abs(1, DATA)]];
    const m = machine(code.flat());
    expect(m.run().vector).toBe(-1);
    const f = m.cpu.fpu;
    expect(f.top).toBe(6);
    expect(f.isEmpty(0) || f.isEmpty(1)).toBe(false);
    expect(f.st(0).sig).toBe(0n);
    expect(f.st(1).sig).toBe(1n << 63n);
    expect(m.cpu.mem.ram[DATA + 4]).toBe(0xc0); // abridged tags: R6, R7 full
  });
});

describe('a store that faults writes nothing and changes nothing', () => {
  test('FSTP m64: the probe comes before any byte and the stack is not popped', () => {
    const m = machine([...FNINIT, ...FLD1, ...FSTP_M64(DATA)]);
    const probes: [number, number][] = [];
    m.cpu.probeWrite = (lin: number, size: number): void => {
      probes.push([lin, size]);
      throw new GuestFault(14, 2);
    };
    m.cpu.mem.ram.fill(0xaa, DATA, DATA + 8);
    const r = m.run();
    expect(r.vector).toBe(14);
    expect(probes).toEqual([[DATA, 8]]);
    expect([...m.cpu.mem.ram.subarray(DATA, DATA + 8)]).toEqual(new Array(8).fill(0xaa));
    expect(m.cpu.fpu.top).toBe(7); // FLD1's push, no pop
  });
});

describe('compiled blocks run x87 code as the interpreter does', () => {
  test('a loop of x87 arithmetic, compiled at once and never', () => {
    // fninit; fld1; mov ecx, 200; loop: fld st0; fadd st0, st0; fsqrt; faddp; dec ecx; jnz loop; fstp m64
    const body = [0xd9, 0xc0, 0xd8, 0xc0, 0xd9, 0xfa, 0xde, 0xc1, 0x49];
    const code = [...FNINIT, ...FLD1, 0xb9, ...le32(200), ...body, 0x75, (-(body.length + 2)) & 0xff, ...FSTP_M64(DATA)];
    const results = [0, Infinity].map((threshold) => {
      const saved = Cpu.defaultCompileThreshold;
      Cpu.defaultCompileThreshold = threshold;
      try {
        const m = machine(code);
        expect(m.run().vector).toBe(-1);
        return { bytes: [...m.cpu.mem.ram.subarray(DATA, DATA + 8)], status: m.cpu.fpu.status(), instructions: m.cpu.instructions };
      } finally {
        Cpu.defaultCompileThreshold = saved;
      }
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0]!.bytes).not.toEqual(new Array(8).fill(0));
  });
});

describe('MOV CR0 keeps the x87 bits', () => {
  test('NE, MP, EM and TS written by MOV CR0 are what the x87 checks', () => {
    const m = machine([...MOV_EAX(0x11 | 0x4), ...MOV_CR0_EAX, ...FLD1]);
    expect(m.run()).toEqual({ vector: 7, faultEip: CODE + 8 });
  });
});
