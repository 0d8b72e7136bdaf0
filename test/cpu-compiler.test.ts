/**
 * The block compiler (hypervisor/cpu/block-compiler.ts) against the native CPU and against the
 * interpreter it must be indistinguishable from:
 * - the native differential cases (test/support/cpu-cases.ts) with every block compiled before
 *   its first run: compiled results must match the native CPU as the interpreter's must, and
 *   match the interpreter's outcome exactly (undefined flags included);
 * - small programs that hit the edges of a block in lockstep with the interpreter: exits from the
 *   middle of a block, stop requests, RunAbort, a fault mid-block, self-modifying code, a segment
 *   load followed by accesses through it, the STI shadow, kicks and small budgets;
 * - compute.elf: identical state at checkpoints, and the exact expected serial output.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGuest, runGuest } from '../bench/cpu-bench-guest.js';
import type { BlockCache } from '../hypervisor/cpu/block-cache.js';
import { Cpu, RunResult } from '../hypervisor/cpu/cpu.js';
import { ExitReason, IoDir } from '../hypervisor/cpu/exit.js';
import { RunAbort } from '../hypervisor/cpu/fault.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';
import { buildOracle, runNative } from './native/native-oracle.js';
import {
  baseData, COMPARED_FLAGS, generateCases, hex, type CpuCase, type CpuOutcome,
} from './support/cpu-cases.js';
import { InterpreterRunner } from './support/cpu-runner.js';
import { expectedSerial, guestElf } from './support/guest-files.js';

const SEED = Number(process.env.CPU_NATIVE_SEED ?? 0x5eed);
const PER_FORM = Number(process.env.CPU_NATIVE_PER_FORM ?? 60);
const NEVER = Infinity;

/** Run `work` with CPUs created meanwhile compiling at `threshold`. */
function withThreshold<T>(threshold: number, work: () => T): T {
  const saved = Cpu.defaultCompileThreshold;
  Cpu.defaultCompileThreshold = threshold;
  try {
    return work();
  } finally {
    Cpu.defaultCompileThreshold = saved;
  }
}

// ---------------------------------------------------------------- native differential cases

const oracle = buildOracle();
const nativeError = 'error' in oracle ? oracle.error : undefined;
if (nativeError) console.warn(`cpu-compiler: native comparison SKIPPED, the oracle cannot be built: ${nativeError}`);

/** The native test's rule: registers, compared flags and data must agree, undefined results excepted. */
function nativeMismatch(c: CpuCase, n: CpuOutcome, o: CpuOutcome): string | null {
  if (o.problem) return o.problem;
  if (n.vector !== o.vector) return `vector: native ${n.vector}, compiled ${o.vector}`;
  if (n.vector >= 0 && n.eip !== o.eip) return `faulting eip: native ${n.eip.toString(16)}, compiled ${o.eip.toString(16)}`;
  for (let r = 0; r < 8; r++) {
    const keep = n.vector >= 0 ? 0xffffffff : ~c.undefinedRegBits[r]!;
    if (((n.regs[r]! ^ o.regs[r]!) & keep) !== 0) return `reg ${r}: native ${n.regs[r]!.toString(16)}, compiled ${o.regs[r]!.toString(16)}`;
  }
  const fmask = COMPARED_FLAGS & ~(n.vector >= 0 ? 0 : c.undefinedFlags);
  if ((n.eflags ^ o.eflags) & fmask) return `flags: native ${n.eflags.toString(16)}, compiled ${o.eflags.toString(16)}`;
  if (n.diff !== o.diff) return `data: native [${n.diff}], compiled [${o.diff}]`;
  return null;
}

describe.skipIf(nativeError !== undefined)('compiled blocks against the native CPU', () => {
  const cases = generateCases(SEED, PER_FORM);
  let native: CpuOutcome[] = [];

  beforeAll(() => {
    native = runNative((oracle as { path: string }).path, baseData(), cases);
  });

  it('match the native CPU and the interpreter on every case, every block compiled', async () => {
    const saved = Cpu.defaultCompileThreshold;
    let interp, compiled;
    try {
      Cpu.defaultCompileThreshold = NEVER;
      interp = await InterpreterRunner.create(baseData());
      Cpu.defaultCompileThreshold = 0;
      compiled = await InterpreterRunner.create(baseData());
    } finally {
      Cpu.defaultCompileThreshold = saved;
    }
    if (typeof interp === 'string' || typeof compiled === 'string') throw new Error(String(interp));
    const iOut = withThreshold(NEVER, () => cases.map((c) => interp.run(c)));
    const cOut = withThreshold(0, () => cases.map((c) => compiled.run(c)));
    // The runner keeps its Cpu private; make sure the compiled one really compiled.
    const blocksOf = (r: InterpreterRunner): BlockCache => (r as unknown as { cpu: Cpu }).cpu.blocks;
    expect(blocksOf(interp).compiled).toBe(0);
    expect(blocksOf(compiled).compiled).toBeGreaterThan(cases.length / 2);

    const vsNative: string[] = [];
    const vsInterp: string[] = [];
    let compared = 0;
    for (let k = 0; k < cases.length; k++) {
      const c = cases[k]!;
      const what = `${c.form} [${hex(c.code)}]`;
      if (JSON.stringify(cOut[k]) !== JSON.stringify(iOut[k])) {
        vsInterp.push(`${what}\n    interpreter ${JSON.stringify(iOut[k])}\n    compiled    ${JSON.stringify(cOut[k])}`);
      }
      if (c.informational) continue;
      compared++;
      const m = nativeMismatch(c, native[k]!, cOut[k]!);
      if (m) vsNative.push(`${what}: ${m}`);
    }
    console.log(`cpu-compiler: ${cases.length} cases, ${compared} compared with the native CPU; ${vsNative.length} native and ${vsInterp.length} interpreter mismatches`);
    expect(vsNative.slice(0, 20), `${vsNative.length} mismatches with the native CPU`).toEqual([]);
    expect(vsInterp.slice(0, 20), `${vsInterp.length} differences from the interpreter`).toEqual([]);
  });
});

// ---------------------------------------------------------------- block edges, in lockstep

const RAM = 4 << 20;
const CODE = 0x10000;
const GDT = 0x600;
const IDT = 0x800;
const TRAP = 0x2000; // every vector's handler: HLT
const STACK = 0x200000;
const DATA = 0x180000;
const MMIO = 0x300000; // a frame the device model would emulate: every access exits
const SEG_BASE = 0x5000; // data selector 0x20 starts here

interface Program {
  code: number[];
  /** Where the code goes and starts (default CODE). */
  at?: number;
  /** Extra set-up (registers, memory, flags) before the run. */
  setup?: (cpu: Cpu, mem: GuestMemory) => void;
  /** Instruction budget per Cpu.run call. */
  budget?: number;
  /** Cpu.run calls before giving up on a HLT (default 100000). */
  maxRuns?: number;
  /**
   * The exit handler's policy for exit number `n` (from 1): value for reads, and what to do.
   * Called identically in both runs, so both see the same device.
   */
  onExit?: (cpu: Cpu, n: number) => void;
}

/** One observation: at an exit or after Cpu.run returned. */
type Snapshot = Record<string, unknown>;

function state(cpu: Cpu): Snapshot {
  return {
    eip: cpu.eip >>> 0,
    regs: Array.from(cpu.regs, (v) => v >>> 0),
    eflags: cpu.getEflags() >>> 0,
    instructions: cpu.instructions,
    ds: cpu.segBase[3],
  };
}

function runProgram(p: Program, threshold: number): { log: Snapshot[]; cpu: Cpu; mem: GuestMemory } {
  const mem = new GuestMemory(new SharedArrayBuffer(RAM), createP2mBuffer());
  mem.setType(0, RAM >>> 12, P2mType.RAM_RW);
  mem.setType(MMIO >>> 12, 1, P2mType.MMIO_DM);
  const v = new DataView(mem.ram.buffer);
  const gdt: [number, number][] = [[0, 0], [0, 0], [0x0000ffff, 0x00cf9a00], [0x0000ffff, 0x00cf9200], [(SEG_BASE << 16) | 0xffff, 0x00cf9200]];
  gdt.forEach(([lo, hi], n) => {
    v.setUint32(GDT + 8 * n, lo >>> 0, true);
    v.setUint32(GDT + 8 * n + 4, hi >>> 0, true);
  });
  for (let n = 0; n < 256; n++) {
    v.setUint32(IDT + 8 * n, (0x10 << 16) | (TRAP & 0xffff), true);
    v.setUint32(IDT + 8 * n + 4, (TRAP & 0xffff0000) | 0x8e00, true);
  }
  mem.ram[TRAP] = 0xf4;
  mem.ram.set(p.code, p.at ?? CODE);

  const log: Snapshot[] = [];
  let exits = 0;
  let halted = false;
  const cpu = withThreshold(threshold, () =>
    new Cpu(mem, (c) => {
      const x = c.exit;
      exits++;
      // curEip means something only during an instruction, not at exits between blocks.
      const between = x.reason === ExitReason.EXTERNAL_INTERRUPT || x.reason === ExitReason.INTERRUPT_WINDOW;
      log.push({
        exit: exits,
        reason: x.reason,
        addr: x.addr,
        dir: x.dir,
        size: x.size,
        value: x.dir === IoDir.OUT ? x.value : null,
        curEip: between ? null : c.curEip >>> 0,
        ...state(c),
      });
      if (x.reason === ExitReason.HLT) {
        halted = true;
        c.requestStop();
        return;
      }
      if (x.reason === ExitReason.EXTERNAL_INTERRUPT) c.kick[0] = 0;
      p.onExit?.(c, exits);
    }),
  );
  cpu.resetMultiboot(p.at ?? CODE, 0);
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = gdt.length * 8 - 1;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  cpu.regs[Reg.ESP] = STACK;
  p.setup?.(cpu, mem);
  for (let runs = 0; !halted && runs < (p.maxRuns ?? 100_000); runs++) {
    let r: RunResult;
    try {
      r = cpu.run(p.budget ?? 1_000_000);
    } catch (e) {
      log.push({ threw: (e as object).constructor.name, ...state(cpu) });
      break;
    }
    log.push({ run: r, ...state(cpu) });
    if (r === RunResult.DEAD) break;
  }
  return { log, cpu, mem };
}

/** Run `p` interpreted and compiled; the logs must be identical. Returns the compiled run. */
function lockstep(p: Program): ReturnType<typeof runProgram> {
  const interp = runProgram(p, NEVER);
  const compiled = runProgram(p, 0);
  expect(interp.cpu.blocks.compiled).toBe(0);
  expect(compiled.cpu.blocks.compiled).toBeGreaterThan(0);
  expect(compiled.log).toEqual(interp.log);
  expect(Buffer.compare(compiled.mem.ram, interp.mem.ram)).toBe(0);
  return compiled;
}

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A loop reading and writing the MMIO frame: 1000 x (mov eax,[MMIO]; add ebx,eax; mov [MMIO+4],ebx; inc edx; dec ecx; jnz). */
const MMIO_LOOP = [
  0xb9, ...le32(1000), // mov ecx, 1000
  0xa1, ...le32(MMIO), // 5: mov eax, [MMIO]
  0x01, 0xc3, // add ebx, eax
  0x89, 0x1d, ...le32(MMIO + 4), // mov [MMIO+4], ebx
  0x42, // inc edx
  0x49, // dec ecx
  0x75, 0xef, // jnz 5
  0xf4, // hlt
];

describe('compiled blocks at block edges, in lockstep with the interpreter', () => {
  it('exits from the middle of a block see the interpreter state; stop requests end the block after the instruction', () => {
    const { cpu } = lockstep({
      code: MMIO_LOOP,
      onExit: (c, n) => {
        if (c.exit.dir === IoDir.IN) c.exit.value = n * 3 + 1;
        if (n % 7 === 0) c.requestStop();
      },
    });
    expect(cpu.regs[Reg.EDX]).toBe(1000);
    expect(cpu.regs[Reg.ECX]).toBe(0);
  });

  it('RunAbort from an exit handler leaves the instruction unretired and it restarts', () => {
    let aborts = 0;
    const p: Program = {
      code: MMIO_LOOP,
      onExit: (c, n) => {
        if (c.exit.dir === IoDir.IN) c.exit.value = n;
        if (n % 11 === 0) {
          aborts++;
          throw new RunAbort('test');
        }
      },
    };
    const { cpu } = lockstep(p);
    expect(aborts).toBeGreaterThan(100);
    expect(cpu.regs[Reg.EDX]).toBe(1000);
  });

  it('kicks and small budgets stop at the same block boundaries', () => {
    lockstep({
      code: MMIO_LOOP,
      budget: 13,
      onExit: (c, n) => {
        if (c.exit.dir === IoDir.IN) c.exit.value = 5;
        if (n % 5 === 0) c.kick[0] = 1;
      },
    });
  });

  it('a block that loops to itself notices a kick and the budget at every iteration', () => {
    const { cpu, log } = lockstep({
      code: [
        0xb9, ...le32(100), // mov ecx, 100
        0xe6, 0x80, // 5: out 0x80, al (a handler call inside the loop)
        0x40, // inc eax
        0x49, // dec ecx
        0x75, 0xfa, // jnz 5
        0xf4,
      ],
      budget: 37,
      onExit: (c, n) => {
        if (c.exit.reason === ExitReason.IO_INSTRUCTION && n % 3 === 0) c.kick[0] = 1;
      },
    });
    expect(cpu.regs[Reg.ECX]).toBe(0);
    expect(log.filter((s) => s.reason === ExitReason.EXTERNAL_INTERRUPT).length).toBeGreaterThan(20);
  });

  it('a block calling itself with its stack on MMIO stops when an exit asks, mid-loop', () => {
    const { log } = lockstep({
      code: [0xe8, ...le32(-5)], // call $
      setup: (c) => (c.regs[Reg.ESP] = MMIO + 0x800),
      maxRuns: 12,
      onExit: (c, n) => {
        if (n % 5 === 0) c.requestStop();
      },
    });
    expect(log.filter((s) => 'run' in s).length).toBe(12);
    expect(log.filter((s) => s.reason === ExitReason.EPT_VIOLATION).length).toBe(60);
  });

  it('an endless loop stops at the budget, where the interpreter stops', () => {
    const { log } = lockstep({ code: [0x40, 0xeb, 0xfd], budget: 1000, maxRuns: 5 }); // inc eax; jmp $-1
    expect(log.map((s) => s.instructions)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('running into memory that cannot be fetched raises #GP(0) where the interpreter raises it', () => {
    // The block's fall-through successor is the MMIO frame: it cannot be decoded, and Xen
    // injects #GP(0) for an instruction fetch its emulator refuses.
    const { log, cpu, mem } = lockstep({ code: [0x40, 0x40], at: MMIO - 2, setup: (c) => (c.regs[Reg.EAX] = 0) });
    expect(log.some((s) => 'threw' in s)).toBe(false);
    expect(cpu.regs[Reg.EAX]).toBe(2);
    expect(cpu.eip).toBe(TRAP + 1); // the handler's HLT
    expect(cpu.instructions).toBe(3);
    const sp = cpu.regs[Reg.ESP]!;
    expect(sp).toBe(STACK - 16);
    expect(mem.readPhys32(sp)).toBe(0); // error code
    expect(mem.readPhys32(sp + 4)).toBe(MMIO); // the instruction that could not be fetched
  });

  it('a fault in the middle of a compiled block rewinds EIP and counts only retired instructions', () => {
    const { cpu, mem } = lockstep({
      code: [
        0xb9, ...le32(7), // mov ecx, 7
        0x01, 0xc9, // add ecx, ecx
        0x89, 0x0d, ...le32(DATA), // mov [DATA], ecx
        0xf7, 0xf3, // div ebx (ebx = 0): #DE
        0xf4,
      ],
    });
    expect(cpu.eip).toBe(TRAP + 1);
    expect(cpu.instructions).toBe(4); // three before the DIV, then the handler's HLT
    expect(mem.readPhys32(cpu.regs[Reg.ESP]!)).toBe(CODE + 13); // the pushed EIP: the DIV itself
    expect(cpu.regs[Reg.ECX]).toBe(14);
    expect(mem.readPhys32(DATA)).toBe(14);
  });

  it('self-modifying code: a block that rewrites its own immediate sees the new bytes next time', () => {
    const { cpu } = lockstep({
      code: [
        0xb9, ...le32(100), // mov ecx, 100
        0xb8, ...le32(0), // 5: mov eax, 0 (the immediate is at CODE + 6)
        0x01, 0xc3, // add ebx, eax
        0xff, 0x05, ...le32(CODE + 6), // inc dword [CODE + 6]
        0x49, // dec ecx
        0x75, 0xf0, // jnz 5
        0xf4,
      ],
    });
    expect(cpu.regs[Reg.EBX]).toBe(4950); // 0 + 1 + … + 99
  });

  it('a segment load in the middle of a block is seen by the accesses after it', () => {
    const { cpu } = lockstep({
      code: [
        0x66, 0xb8, 0x20, 0x00, // mov ax, 0x20
        0x8e, 0xd8, // mov ds, ax (a handler call)
        0xa1, ...le32(0x10), // mov eax, [0x10]
        0x8b, 0x1d, ...le32(0x14), // mov ebx, [0x14]
        0xf4,
      ],
      setup: (_c, mem) => {
        mem.writePhys32(SEG_BASE + 0x10, 0x11223344);
        mem.writePhys32(SEG_BASE + 0x14, 0x55667788);
      },
    });
    expect(cpu.regs[Reg.EAX]! >>> 0).toBe(0x11223344);
    expect(cpu.regs[Reg.EBX]! >>> 0).toBe(0x55667788);
  });

  it('the instruction after STI runs interpreted, then the interrupt window opens', () => {
    const { log } = lockstep({
      code: [0xfb, 0x40, 0x40, 0x40, 0xf4], // sti; inc eax x3; hlt
      setup: (c) => {
        c.regs[Reg.EAX] = 0;
        c.intWindowArmed = true;
      },
    });
    const window = log.find((s) => s.reason === ExitReason.INTERRUPT_WINDOW) as { regs: number[] } | undefined;
    expect(window?.regs[Reg.EAX]).toBe(1);
  });

  it('every condition and carry read after every inlined flag-setting form matches the interpreter', () => {
    const { cpu, mem } = lockstep({ code: flagMatrix() });
    const groups = (cpu.regs[Reg.EDI]! - DATA) / 40;
    console.log(`flag matrix: ${groups} groups, ${cpu.blocks.compiled} blocks compiled`);
    expect(groups).toBeGreaterThan(800);
    // Spot checks of the reference itself: the first group is `add al, bl` with 0 + 0x80.
    expect(mem.ram[DATA + 4]).toBe(0); // sete
    expect(mem.ram[DATA + 8]).toBe(1); // sets
    expect(mem.ram[DATA + 24 + 8]).toBe(0); // js taken: the MOV after it skipped
    expect(mem.ram[DATA + 24 + 9]).toBe(1); // jns not taken
  });

  it('flags set in one block are read in the next, through compiled and handler paths', () => {
    const { cpu } = lockstep({
      code: [
        0xb8, ...le32(0xfffffff0), // mov eax, -16
        0x83, 0xc0, 0x20, // add eax, 32: CF=1
        0xeb, 0x00, // jmp +0 (a new block)
        0x83, 0xd3, 0x00, // adc ebx, 0: ebx = 1
        0x0f, 0x92, 0xc1, // setb cl: CF from ADC = 0
        0x9c, // pushfd (handler: materialises the lazy flags)
        0x39, 0xd8, // cmp eax, ebx (16 vs 1)
        0xeb, 0x00, // jmp +0
        0x0f, 0x4f, 0xd0, // cmovg edx, eax
        0x0f, 0xaf, 0xc0, // imul eax, eax (256: no overflow)
        0x0f, 0x90, 0xc5, // seto ch
        0xf4,
      ],
    });
    expect(cpu.regs[Reg.EBX]).toBe(1);
    expect(cpu.regs[Reg.EDX]).toBe(16);
    expect(cpu.regs[Reg.EAX]).toBe(256);
    expect(cpu.regs[Reg.ECX]! & 0xffff).toBe(0);
  });
});

/**
 * Every flag-setting form the compiler inlines (x 8/16/32 bits x operand pairs x carry-in
 * sources), each followed in the same block by SETcc of all 16 conditions and ADC (carry in),
 * and, one block per condition, by Jcc. Results go to memory at DATA.
 */
function flagMatrix(): number[] {
  const code: number[] = [];
  const VALUES = [0, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x7fffffff, 0x80000000, 0xffffffff, 0xedcba987];
  const pairs: [number, number][] = [];
  for (let k = 0; k < VALUES.length; k++) pairs.push([VALUES[k]!, VALUES[(k * 3 + 2) % VALUES.length]!]);
  pairs.push([0x80008080, 0x80008080], [0xffffffff, 1]);
  // Carry-in sources: stc / clc (flags in the Cpu), cmp esi,ebp (CF=1) / cmp ebp,esi (CF=0) in the block.
  const CARRY_IN = [[0xf9], [0xf8], [0x39, 0xee], [0x39, 0xf5]];
  type Form = (osz: number) => number[] | null;
  const pre = (osz: number): number[] => (osz === 2 ? [0x66] : []);
  const w = (osz: number, op8: number): number => (osz === 1 ? op8 : op8 + 1);
  const forms: [Form, boolean][] = [];
  for (let op = 0; op < 8; op++) forms.push([(osz) => [...pre(osz), w(osz, op << 3), 0xd8], op === 2 || op === 3]); // op eax, ebx
  forms.push([(osz) => [...pre(osz), w(osz, 0x84), 0xd8], false]); // test eax, ebx
  forms.push([(osz) => [...pre(osz), w(osz, 0xfe), 0xc0], true]); // inc eax
  forms.push([(osz) => [...pre(osz), w(osz, 0xfe), 0xc8], true]); // dec eax
  forms.push([(osz) => [...pre(osz), w(osz, 0xf6), 0xd8], false]); // neg eax
  for (const ext of [4, 5, 7]) {
    forms.push([(osz) => [...pre(osz), w(osz, 0xd0), 0xc0 | (ext << 3)], false]); // shift eax, 1
    for (const n of [8, 17]) forms.push([(osz) => [...pre(osz), w(osz, 0xc0), 0xc0 | (ext << 3), n], false]); // shift eax, n
    forms.push([(osz) => (osz === 4 ? [0xd3, 0xc0 | (ext << 3)] : null), false]); // shift eax, cl (ecx = the pair's b)
  }
  forms.push([(osz) => (osz === 4 ? [0x0f, 0xa4, 0xd8, 5] : null), false]); // shld eax, ebx, 5
  forms.push([(osz) => (osz === 4 ? [0x0f, 0xad, 0xd8] : null), false]); // shrd eax, ebx, cl
  forms.push([(osz) => (osz === 4 ? [0xf7, 0xe3] : null), false]); // mul ebx
  forms.push([(osz) => (osz === 1 ? null : [...pre(osz), 0x0f, 0xaf, 0xc3]), false]); // imul eax, ebx
  forms.push([(osz) => (osz === 1 ? null : [...pre(osz), 0x6b, 0xc3, 0x85]), false]); // imul eax, ebx, -123
  const mov = (reg: number, v: number): number[] => [0xb8 + reg, ...le32(v)];
  code.push(...mov(Reg.ESI, 0), ...mov(Reg.EBP, 1), ...mov(Reg.EDI, DATA));
  for (const [form, usesCarry] of forms) {
    for (const osz of [1, 2, 4]) {
      const op = form(osz);
      if (op === null) continue;
      for (const [a, b] of pairs) {
        for (const cin of usesCarry ? CARRY_IN : [CARRY_IN[0]!]) {
          const setup = [...mov(Reg.EAX, a), ...mov(Reg.EBX, b), ...mov(Reg.ECX, b & 31), ...cin];
          code.push(...setup, ...op);
          for (let cc = 0; cc < 16; cc++) code.push(0x0f, 0x90 + cc, 0x47, cc); // setcc [edi + cc]
          code.push(0x83, 0x57, 16, 0); // adc dword [edi + 16], 0
          code.push(0x89, 0x47, 20); // mov [edi + 20], eax
          for (let cc = 0; cc < 16; cc++) code.push(...setup, ...op, 0x70 + cc, 4, 0xc6, 0x47, 24 + cc, 1); // jcc +4; mov byte [edi+24+cc], 1
          code.push(0x83, 0xc7, 40); // add edi, 40
        }
      }
    }
  }
  code.push(0xf4);
  return code;
}

// ---------------------------------------------------------------- the compute guest

function ramHash(mem: GuestMemory): string {
  return createHash('sha1').update(mem.ram).digest('hex');
}

describe('compute.elf with compiled blocks', () => {
  let expected = '';
  beforeAll(async () => {
    expected = await expectedSerial('compute');
  });

  it('reaches the same state as the interpreter at every checkpoint of its first 30M instructions', () => {
    const interp = loadGuest(guestElf('compute'), NEVER);
    const compiled = loadGuest(guestElf('compute'), 0);
    for (let n = 0; n < 6; n++) {
      interp.cpu.run(5_000_000);
      compiled.cpu.run(5_000_000);
      expect(state(compiled.cpu), `checkpoint ${n}`).toEqual(state(interp.cpu));
      expect(ramHash(compiled.mem), `RAM at checkpoint ${n}`).toBe(ramHash(interp.mem));
    }
    expect(compiled.serial()).toBe(interp.serial());
    expect(compiled.cpu.blocks.compiled).toBeGreaterThan(20);
  });

  it('prints exactly the expected output with every block compiled', () => {
    const run = runGuest(guestElf('compute'), { compileThreshold: 0 });
    expect(run.ended).toBe('debug-exit');
    expect(run.exitCode).toBe(0);
    expect(run.serial).toBe(expected);
    // Every block that ran was compiled (the successor decoded after the debug-exit never ran).
    expect(run.blocksCompiled).toBeGreaterThanOrEqual(run.blocksDecoded - 1);
  });

  it('prints exactly the expected output at the default threshold', () => {
    const run = runGuest(guestElf('compute'));
    expect(run.serial).toBe(expected);
    expect(run.exitCode).toBe(0);
    expect(run.blocksCompiled).toBeGreaterThan(0);
    expect(run.blocksCompiled).toBeLessThan(run.blocksDecoded);
  });
});
