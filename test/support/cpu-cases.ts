/**
 * Instruction cases for the native differential test of the CPU interpreter: for each
 * instruction form a user-mode program can execute, many cases from seeded random operands
 * plus edge values. A case is a few instruction bytes, the registers, EFLAGS and data-area
 * bytes to start from, and which result flags/bits Intel leaves undefined for it (those are
 * not compared; the test only counts how often they happen to agree).
 *
 * Layout shared by the native harness and the interpreter runner: the data area (64 KiB,
 * also holding the stack) at DATA_BASE, the code at CODE_BASE. Memory operands always land
 * inside the data area.
 */

export const DATA_BASE = 0x00200000;
export const DATA_SIZE = 0x10000;
export const CODE_BASE = 0x00300000;
/** Initial ESP: leaves room above for POP/POPAD/LEAVE and below for PUSH/ENTER. */
export const STACK_TOP = DATA_BASE + 0xf000;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const DF = 0x400;
export const OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** The EFLAGS bits the test compares: the arithmetic flags and DF. */
export const COMPARED_FLAGS = ARITH | DF;

export interface Patch {
  offset: number; // into the data area
  bytes: Uint8Array;
}

export interface CpuCase {
  form: string;
  code: Uint8Array;
  /** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI as unsigned 32-bit numbers. */
  regs: number[];
  eflags: number;
  patches: Patch[];
  /** Result flags Intel documents as undefined for this case. */
  undefinedFlags: number;
  /** Per register, result bits Intel leaves undefined (BSF/BSR of 0, SHLD/SHRD count > 16). */
  undefinedRegBits: number[];
  /** Set when native and interpreter are not expected to agree; the text says why. */
  informational?: string;
}

/** What a case ended with, natively or on the interpreter. */
export interface CpuOutcome {
  /** Exception vector, or -1 when the code ran to its end. */
  vector: number;
  /** Address of the faulting instruction (0 without a fault). */
  eip: number;
  regs: number[];
  eflags: number;
  /** Changed data-area bytes as " offset:hexbytes" runs (offsets hex), "" when none. */
  diff: string;
  /** Interpreter only: why it stopped somewhere unexpected (triple fault, exit, exception thrown). */
  problem?: string;
}

// ---------------------------------------------------------------- random numbers

/** mulberry32: small, seedable, good enough to spread operands. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo));
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length)]!;
  }
}

/** The data area every case starts from (before its patches): fixed pseudo-random bytes. */
export function baseData(): Uint8Array {
  const rng = new Rng(0xda7a);
  const d = new Uint8Array(DATA_SIZE);
  for (let i = 0; i < DATA_SIZE; i += 4) {
    const v = rng.u32();
    d[i] = v;
    d[i + 1] = v >>> 8;
    d[i + 2] = v >>> 16;
    d[i + 3] = v >>> 24;
  }
  return d;
}

type Size = 1 | 2 | 4;
const SIZES: readonly Size[] = [1, 2, 4];
const mask = (size: Size): number => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);
const bits = (size: Size): number => size * 8;
const osz = (size: Size): number[] => (size === 2 ? [0x66] : []);
const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);

/** Edge values per operand size: zero, one, the signed/unsigned limits and their neighbours. */
const EDGES: Record<Size, number[]> = {
  1: [0, 1, 2, 0x0f, 0x10, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x55, 0xaa],
  2: [0, 1, 2, 0xff, 0x100, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x5555, 0xaaaa, 0x80],
  4: [0, 1, 2, 0xff, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x55555555, 0x80, 0x8000],
};

/** Shift and rotate counts the brief asks for, then random ones. */
const SHIFT_COUNTS = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255, 2, 24];

const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

// ---------------------------------------------------------------- building one case

/** Which flags a shift/rotate leaves undefined, from the masked count (Intel SDM, SAL/SHL and RCL/ROL). */
function shiftUndefined(op: number, size: Size, count: number): number {
  const m = count & 31;
  if (m === 0) return 0; // flags unaffected
  const isRotate = op <= 3;
  if (isRotate) return m === 1 ? 0 : OF;
  let u = AF | (m === 1 ? 0 : OF);
  if ((op === 4 || op === 5) && m >= bits(size)) u |= CF; // SHL/SHR past the operand; SAR keeps CF defined
  return u;
}

/** An r/m operand: a register or a memory location inside the data area. */
interface Rm {
  /** ModRM (+SIB, displacement) bytes for a given reg field. */
  encode(regField: number): number[];
  set(value: number): void;
  /** Register number, or -1 for memory. */
  reg: number;
  /** Data-area offset of a memory operand. */
  offset: number;
  /** Registers the address is computed from (must keep their values). */
  uses: number[];
  /** A segment-override prefix to put in front, or none. */
  prefix: number[];
}

class CaseBuilder {
  regs: number[];
  eflags: number;
  patches: Patch[] = [];
  undefinedFlags = 0;
  undefinedRegBits = [0, 0, 0, 0, 0, 0, 0, 0];
  informational?: string;
  /** Registers whose values the case has fixed (memory bases, implicit operands). */
  reserved = new Set<number>([4]);

  constructor(
    readonly rng: Rng,
    readonly index: number,
  ) {
    this.regs = Array.from({ length: 8 }, () => this.rng.u32());
    this.regs[4] = STACK_TOP;
    // Random arithmetic flags; DF sometimes set (it must survive instructions that ignore it).
    this.eflags = 0x2 | (rng.u32() & ARITH) | (rng.chance(0.1) ? DF : 0);
  }

  /** An operand value: edge values for the first cases of a form and often afterwards. */
  value(size: Size): number {
    const edges = EDGES[size];
    if (this.index < edges.length && this.rng.chance(0.5)) return edges[this.index]!;
    const r = this.rng.int(0, 10);
    if (r < 3) return this.rng.pick(edges);
    if (r < 4) return this.rng.int(0, 17);
    if (r < 5) return ((1 << this.rng.int(0, bits(size))) & mask(size)) >>> 0;
    return (this.rng.u32() & mask(size)) >>> 0;
  }

  /** Sets register r's low `size` bytes (size 1: AL..BH numbering), keeping its other bits. */
  setReg(r: number, size: Size, v: number): void {
    if (size === 4) this.regs[r] = v >>> 0;
    else if (size === 2) this.regs[r] = ((this.regs[r]! & 0xffff0000) | (v & 0xffff)) >>> 0;
    else if (r < 4) this.regs[r] = ((this.regs[r]! & 0xffffff00) | (v & 0xff)) >>> 0;
    else this.regs[r - 4] = ((this.regs[r - 4]! & 0xffff00ff) | ((v & 0xff) << 8)) >>> 0;
  }

  getReg(r: number, size: Size): number {
    if (size === 4) return this.regs[r]!;
    if (size === 2) return this.regs[r]! & 0xffff;
    return r < 4 ? this.regs[r]! & 0xff : (this.regs[r - 4]! >>> 8) & 0xff;
  }

  /** The physical register an operand-size register number lives in. */
  static physical(r: number, size: Size): number {
    return size === 1 ? r & 3 : r;
  }

  /** A register operand number not clashing with reserved registers (never ESP for 16/32 bits). */
  pickReg(size: Size, extraAvoid: number[] = []): number {
    for (let tries = 0; tries < 200; tries++) {
      const r = this.rng.int(0, 8);
      const p = CaseBuilder.physical(r, size);
      if ((size !== 1 && r === 4) || this.reserved.has(p) || extraAvoid.includes(p)) continue;
      return r;
    }
    throw new Error('no free register for an operand');
  }

  patch(offset: number, bytes: number[] | Uint8Array): void {
    if (offset < 0 || offset + bytes.length > DATA_SIZE) throw new RangeError(`patch outside the data area: ${offset}`);
    this.patches.push({ offset, bytes: Uint8Array.from(bytes) });
  }

  /** A memory operand of `size` bytes at data offset `at` (default random), with a random 32-bit addressing form. */
  mem(size: number, at?: number): Rm {
    const offset = at ?? this.rng.int(0x100, 0xd000);
    const addr = (DATA_BASE + offset) >>> 0;
    const rng = this.rng;
    const uses: number[] = [];
    /** Claims a free register for the address (never ESP; EBP excluded where mod 0 would mean disp32). */
    const take = (noEbp = false): number => {
      const free = [0, 1, 2, 3, 5, 6, 7].filter((r) => !this.reserved.has(r) && !(noEbp && r === 5));
      if (!free.length) return -1;
      const r = rng.pick(free);
      this.reserved.add(r);
      uses.push(r);
      return r;
    };
    const setAddrReg = (r: number, v: number): void => {
      this.regs[r] = v >>> 0;
    };
    let body: ((g: number) => number[]) | undefined;
    // [esp+disp8] (mode 6) decides the offset itself, so a caller-chosen offset excludes it.
    let mode = rng.int(0, 9);
    if (mode === 6 && at !== undefined) mode = 0;
    switch (mode) {
      case 1: {
        const b = take(true); // [base]
        if (b >= 0) {
          setAddrReg(b, addr);
          body = (g) => [(g << 3) | b];
        }
        break;
      }
      case 2: {
        const b = take(); // [base+disp8]
        if (b >= 0) {
          const d = rng.int(-128, 128);
          setAddrReg(b, addr - d);
          body = (g) => [0x40 | (g << 3) | b, d & 0xff];
        }
        break;
      }
      case 3: {
        const b = take(); // [base+disp32] with a random base: the sum wraps modulo 2^32
        if (b >= 0) {
          const bv = rng.u32();
          setAddrReg(b, bv);
          body = (g) => [0x80 | (g << 3) | b, ...le((addr - bv) >>> 0, 4)];
        }
        break;
      }
      case 4: {
        const b = take(); // [base+index*scale+disp8]
        const i = take();
        if (b >= 0 && i >= 0) {
          const scale = rng.int(0, 4);
          const iv = rng.int(-64, 64);
          const d = rng.int(-128, 128);
          setAddrReg(i, iv);
          setAddrReg(b, addr - (iv << scale) - d);
          body = (g) => [0x44 | (g << 3), (scale << 6) | (i << 3) | b, d & 0xff];
        }
        break;
      }
      case 5: {
        const i = take(); // [index*scale+disp32], no base
        if (i >= 0) {
          const scale = rng.int(0, 4);
          const iv = rng.int(-64, 64);
          setAddrReg(i, iv);
          body = (g) => [0x04 | (g << 3), (scale << 6) | (i << 3) | 5, ...le((addr - (iv << scale)) >>> 0, 4)];
        }
        break;
      }
      case 6: {
        // [esp+disp8]: ESP is the stack pointer, so the operand sits near the stack
        const d = rng.int(-128, 128) & ~(size - 1);
        return this.rmMem(size, STACK_TOP - DATA_BASE + d, (g) => [0x44 | (g << 3), 0x24, d & 0xff], [4]);
      }
      case 7: {
        if (!this.reserved.has(5)) {
          this.reserved.add(5); // [ebp+disp8]
          uses.push(5);
          const d = rng.int(-128, 128);
          setAddrReg(5, addr - d);
          body = (g) => [0x45 | (g << 3), d & 0xff];
        }
        break;
      }
      case 8: {
        const b = take(true); // [base+index], mod 0, the index a random 32-bit value (wraps)
        const i = take();
        if (b >= 0 && i >= 0) {
          const iv = rng.u32();
          setAddrReg(i, iv);
          setAddrReg(b, addr - iv);
          body = (g) => [0x04 | (g << 3), (i << 3) | b];
        }
        break;
      }
    }
    return this.rmMem(size, offset, body ?? ((g) => [(g << 3) | 5, ...le(addr, 4)]), uses);
  }

  private rmMem(size: number, offset: number, body: (g: number) => number[], uses: number[]): Rm {
    const prefix = this.rng.chance(0.1) ? [this.rng.pick([0x26, 0x36, 0x3e])] : [];
    return {
      encode: body,
      set: (v: number) => this.patch(offset, le(v, size)),
      reg: -1,
      offset,
      uses,
      prefix,
    };
  }

  /** A register r/m operand. */
  regRm(size: Size, avoid: number[] = []): Rm {
    const r = this.pickReg(size, avoid);
    return { encode: (g) => [0xc0 | (g << 3) | r], set: (v) => this.setReg(r, size, v), reg: r, offset: -1, uses: [], prefix: [] };
  }

  rm(size: Size, memory: boolean, avoid: number[] = []): Rm {
    return memory ? this.mem(size) : this.regRm(size, avoid);
  }

  build(form: string, code: number[]): CpuCase {
    return {
      form,
      code: Uint8Array.from(code),
      regs: this.regs.slice(),
      eflags: this.eflags,
      patches: this.patches,
      undefinedFlags: this.undefinedFlags,
      undefinedRegBits: this.undefinedRegBits,
      informational: this.informational,
    };
  }
}

// ---------------------------------------------------------------- the forms

type FormBody = (c: CaseBuilder) => number[];

export class CaseSet {
  readonly cases: CpuCase[] = [];
  readonly rng: Rng;
  constructor(
    seed: number,
    readonly perForm: number,
  ) {
    this.rng = new Rng(seed);
  }

  form(name: string, body: FormBody, count = this.perForm): void {
    for (let i = 0; i < count; i++) {
      const c = new CaseBuilder(this.rng, i);
      const code = body(c);
      this.cases.push(c.build(name, code));
    }
  }
}

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const isLogic = (op: number): boolean => op === 1 || op === 4 || op === 6;
const where = (memory: boolean): string => (memory ? 'mem' : 'reg');

function aluForms(s: CaseSet): void {
  ALU.forEach((name, op) => {
    const und = isLogic(op) ? AF : 0; // AND/OR/XOR: AF undefined
    const lock = (c: CaseBuilder, rm: Rm): number[] => (rm.reg < 0 && op !== 7 && c.rng.chance(0.15) ? [0xf0] : []);
    for (const size of SIZES) {
      const w = size === 1 ? 0 : 1;
      for (const memory of [false, true]) {
        s.form(`${name} r/m${bits(size)},r${bits(size)} (${hex8(op * 8 + w)}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          const r = c.pickReg(size, rm.uses);
          c.setReg(r, size, c.value(size));
          return [...lock(c, rm), ...rm.prefix, ...osz(size), op * 8 + w, ...rm.encode(r)];
        });
        s.form(`${name} r${bits(size)},r/m${bits(size)} (${hex8(op * 8 + 2 + w)}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          const r = c.pickReg(size, rm.uses);
          c.setReg(r, size, c.value(size));
          return [...rm.prefix, ...osz(size), op * 8 + 2 + w, ...rm.encode(r)];
        });
        // Group 1 with a full-size immediate (80/81), and 83 (imm8 sign-extended)
        s.form(`${name} r/m${bits(size)},imm${bits(size)} (${size === 1 ? '80' : '81'} /${op}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          return [...lock(c, rm), ...rm.prefix, ...osz(size), size === 1 ? 0x80 : 0x81, ...rm.encode(op), ...le(c.value(size), size)];
        });
        if (size !== 1) {
          s.form(`${name} r/m${bits(size)},imm8 (83 /${op}) ${where(memory)}`, (c) => {
            c.undefinedFlags = und;
            const rm = c.rm(size, memory);
            rm.set(c.value(size));
            return [...lock(c, rm), ...rm.prefix, ...osz(size), 0x83, ...rm.encode(op), c.value(1)];
          });
        }
      }
      s.form(`${name} ${['al', 'ax', 'eax'][size >> 1]},imm (${hex8(op * 8 + 4 + w)})`, (c) => {
        c.undefinedFlags = und;
        c.setReg(0, size, c.value(size));
        return [...osz(size), op * 8 + 4 + w, ...le(c.value(size), size)];
      });
    }
    // 82 is an alias of 80 outside 64-bit mode
    s.form(`${name} r/m8,imm8 (82 /${op}) reg`, (c) => {
      c.undefinedFlags = und;
      const rm = c.regRm(1);
      rm.set(c.value(1));
      return [0x82, ...rm.encode(op), c.value(1)];
    }, Math.ceil(s.perForm / 2));
  });
  // TEST (84/85, A8/A9, F6/F7 /0): AF undefined
  for (const size of SIZES) {
    const w = size === 1 ? 0 : 1;
    for (const memory of [false, true]) {
      s.form(`test r/m${bits(size)},r${bits(size)} (${hex8(0x84 + w)}) ${where(memory)}`, (c) => {
        c.undefinedFlags = AF;
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        c.setReg(r, size, c.value(size));
        return [...rm.prefix, ...osz(size), 0x84 + w, ...rm.encode(r)];
      });
      s.form(`test r/m${bits(size)},imm (${hex8(0xf6 + w)} /0) ${where(memory)}`, (c) => {
        c.undefinedFlags = AF;
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        return [...rm.prefix, ...osz(size), 0xf6 + w, ...rm.encode(0), ...le(c.value(size), size)];
      });
    }
    s.form(`test ${['al', 'ax', 'eax'][size >> 1]},imm (${hex8(0xa8 + w)})`, (c) => {
      c.undefinedFlags = AF;
      c.setReg(0, size, c.value(size));
      return [...osz(size), 0xa8 + w, ...le(c.value(size), size)];
    });
  }
}

function incDecNegNotForms(s: CaseSet): void {
  for (const [name, op] of [['inc', 0], ['dec', 1]] as const) {
    for (const size of [2, 4] as const) {
      s.form(`${name} r${bits(size)} (${hex8(0x40 + op * 8)}+r)`, (c) => {
        const r = c.pickReg(size);
        c.setReg(r, size, c.value(size));
        return [...osz(size), 0x40 + op * 8 + r];
      });
    }
    for (const size of SIZES) {
      for (const memory of [false, true]) {
        s.form(`${name} r/m${bits(size)} (${size === 1 ? 'fe' : 'ff'} /${op}) ${where(memory)}`, (c) => {
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          const lock = memory && c.rng.chance(0.15) ? [0xf0] : [];
          return [...lock, ...rm.prefix, ...osz(size), size === 1 ? 0xfe : 0xff, ...rm.encode(op)];
        });
      }
    }
  }
  for (const [name, op] of [['not', 2], ['neg', 3]] as const) {
    for (const size of SIZES) {
      for (const memory of [false, true]) {
        s.form(`${name} r/m${bits(size)} (${size === 1 ? 'f6' : 'f7'} /${op}) ${where(memory)}`, (c) => {
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          return [...rm.prefix, ...osz(size), size === 1 ? 0xf6 : 0xf7, ...rm.encode(op)];
        });
      }
    }
  }
}

function mulForms(s: CaseSet): void {
  // MUL/IMUL: only CF and OF are defined.
  const und = SF | ZF | AF | PF;
  for (const [name, op] of [['mul', 4], ['imul', 5]] as const) {
    for (const size of SIZES) {
      for (const memory of [false, true]) {
        s.form(`${name} r/m${bits(size)} (${size === 1 ? 'f6' : 'f7'} /${op}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          c.reserved.add(0);
          c.setReg(0, size, c.value(size));
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          return [...rm.prefix, ...osz(size), size === 1 ? 0xf6 : 0xf7, ...rm.encode(op)];
        });
      }
    }
  }
  for (const size of [2, 4] as const) {
    for (const memory of [false, true]) {
      s.form(`imul r${bits(size)},r/m${bits(size)} (0f af) ${where(memory)}`, (c) => {
        c.undefinedFlags = und;
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        c.setReg(r, size, c.value(size));
        return [...rm.prefix, ...osz(size), 0x0f, 0xaf, ...rm.encode(r)];
      });
      s.form(`imul r${bits(size)},r/m${bits(size)},imm${bits(size)} (69) ${where(memory)}`, (c) => {
        c.undefinedFlags = und;
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        return [...rm.prefix, ...osz(size), 0x69, ...rm.encode(r), ...le(c.value(size), size)];
      });
      s.form(`imul r${bits(size)},r/m${bits(size)},imm8 (6b) ${where(memory)}`, (c) => {
        c.undefinedFlags = und;
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        return [...rm.prefix, ...osz(size), 0x6b, ...rm.encode(r), c.value(1)];
      });
    }
  }
}

const big = (v: number): bigint => BigInt(v >>> 0);
function signedBig(v: bigint, nbits: number): bigint {
  return BigInt.asIntN(nbits, v);
}

function divForms(s: CaseSet): void {
  for (const [name, op] of [['div', 6], ['idiv', 7]] as const) {
    const signed = op === 7;
    for (const size of SIZES) {
      const n = bits(size);
      for (const memory of [false, true]) {
        s.form(`${name} r/m${n} (${size === 1 ? 'f6' : 'f7'} /${op}) ${where(memory)}`, (c) => {
          c.undefinedFlags = ARITH; // all six undefined after a division
          c.reserved.add(0).add(2);
          const rng = c.rng;
          const kind = c.index % 8 === 1 ? 'zero' : c.index % 8 === 2 || c.index % 8 === 5 ? 'overflow' : 'ok';
          let divisor = 0n;
          let dividend = 0n; // 2n bits, as an unsigned pattern
          const nMask = (1n << BigInt(n)) - 1n;
          const dMask = (1n << BigInt(2 * n)) - 1n;
          if (kind === 'zero') {
            divisor = 0n;
            dividend = (big(rng.u32()) << 32n | big(rng.u32())) & dMask;
          } else {
            divisor = BigInt(c.value(size) || 1);
            if (!signed) {
              if (kind === 'ok') {
                const q = BigInt(c.value(size));
                const r = (big(rng.u32()) << 32n | big(rng.u32())) % divisor;
                dividend = q * divisor + r;
              } else {
                const hi = divisor + ((big(rng.u32()) % (nMask - divisor + 1n)));
                dividend = ((hi & nMask) << BigInt(n)) | (big(rng.u32()) & nMask);
              }
            } else {
              const ds = signedBig(divisor, n);
              const lim = 1n << BigInt(n - 1);
              if (kind === 'ok') {
                const q = signedBig(BigInt(c.value(size)), n);
                let r = (big(rng.u32()) << 32n | big(rng.u32())) % (ds < 0n ? -ds : ds);
                const prodSign = q * ds;
                if (prodSign < 0n || (prodSign === 0n && rng.chance(0.5))) r = -r;
                dividend = (q * ds + r) & dMask;
              } else if (rng.chance(0.3)) {
                // the most negative dividend over -1, or a quotient just past the limit
                divisor = nMask; // -1
                dividend = rng.chance(0.5) ? (1n << BigInt(2 * n - 1)) : (-lim & dMask);
              } else {
                const q = rng.chance(0.5) ? lim + big(rng.int(0, 4)) : -lim - 1n - big(rng.int(0, 4));
                const small = BigInt(rng.int(1, 100)) * (rng.chance(0.5) ? 1n : -1n);
                divisor = small & nMask;
                dividend = (q * small) & dMask;
              }
            }
          }
          const lo = Number(dividend & nMask);
          const hi = Number((dividend >> BigInt(n)) & nMask);
          if (size === 1) c.setReg(0, 2, Number(dividend & 0xffffn));
          else {
            c.setReg(0, size, lo);
            c.setReg(2, size, hi);
          }
          // The divisor register is not one of the dividend's (AL/AH, eAX/eDX are reserved above)
          const rm = c.rm(size, memory);
          rm.set(Number(divisor));
          return [...rm.prefix, ...osz(size), size === 1 ? 0xf6 : 0xf7, ...rm.encode(op)];
        });
      }
    }
  }
}

// /6 is an undocumented alias of SHL and is not generated.
const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal/6', 'sar'] as const;

function shiftForms(s: CaseSet): void {
  for (const op of [0, 1, 2, 3, 4, 5, 7]) {
    const name = SHIFT_NAMES[op];
    for (const size of SIZES) {
      const w = size === 1 ? 0 : 1;
      for (const memory of [false, true]) {
        const count = (c: CaseBuilder): number => (c.index < SHIFT_COUNTS.length ? SHIFT_COUNTS[c.index]! : c.rng.int(0, 256));
        s.form(`${name} r/m${bits(size)},1 (${hex8(0xd0 + w)} /${op}) ${where(memory)}`, (c) => {
          c.undefinedFlags = shiftUndefined(op, size, 1);
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          return [...rm.prefix, ...osz(size), 0xd0 + w, ...rm.encode(op)];
        }, Math.ceil(s.perForm / 2));
        s.form(`${name} r/m${bits(size)},cl (${hex8(0xd2 + w)} /${op}) ${where(memory)}`, (c) => {
          c.reserved.add(1);
          const n = count(c);
          c.setReg(1, 1, n);
          c.undefinedFlags = shiftUndefined(op, size, n);
          const rm = c.rm(size, memory, [1]);
          rm.set(c.value(size));
          return [...rm.prefix, ...osz(size), 0xd2 + w, ...rm.encode(op)];
        });
        s.form(`${name} r/m${bits(size)},imm8 (${hex8(0xc0 + w)} /${op}) ${where(memory)}`, (c) => {
          const n = count(c);
          c.undefinedFlags = shiftUndefined(op, size, n);
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          return [...rm.prefix, ...osz(size), 0xc0 + w, ...rm.encode(op), n];
        });
      }
    }
  }
}

function shldForms(s: CaseSet): void {
  for (const [name, opc] of [['shld', 0xa4], ['shrd', 0xac]] as const) {
    for (const size of [2, 4] as const) {
      for (const memory of [false, true]) {
        for (const byCl of [false, true]) {
          s.form(`${name} r/m${bits(size)},r${bits(size)},${byCl ? 'cl' : 'imm8'} (0f ${hex8(opc + (byCl ? 1 : 0))}) ${where(memory)}`, (c) => {
            if (byCl) c.reserved.add(1);
            let n = c.index < SHIFT_COUNTS.length ? SHIFT_COUNTS[c.index]! : c.rng.int(0, 256);
            const m = n & 31;
            // A 16-bit count above 16 leaves the result undefined: keep those to register operands.
            if (memory && size === 2 && m > 16) n = c.rng.int(0, 17);
            const rm = c.rm(size, memory, byCl ? [1] : []);
            rm.set(c.value(size));
            const r = c.pickReg(size, [...rm.uses, ...(byCl ? [1] : [])]);
            c.setReg(r, size, c.value(size));
            if (byCl) c.setReg(1, 1, n);
            if ((n & 31) === 0) c.undefinedFlags = 0;
            else if (size === 2 && (n & 31) > 16) {
              c.undefinedFlags = ARITH;
              c.undefinedRegBits[rm.reg] = 0xffff;
            } else c.undefinedFlags = AF | ((n & 31) === 1 ? 0 : OF);
            return [...rm.prefix, ...osz(size), 0x0f, opc + (byCl ? 1 : 0), ...rm.encode(r), ...(byCl ? [] : [n])];
          });
        }
      }
    }
  }
}

function btForms(s: CaseSet): void {
  const und = OF | SF | AF | PF; // CF defined, ZF unaffected
  ['bt', 'bts', 'btr', 'btc'].forEach((name, k) => {
    for (const size of [2, 4] as const) {
      for (const memory of [false, true]) {
        s.form(`${name} r/m${bits(size)},r${bits(size)} (0f ${hex8(0xa3 + k * 8)}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          // Memory: the bit offset is signed and may reach far outside the addressed word.
          const rm = memory ? c.mem(size, 0x7000 + c.rng.int(-8, 8) * size) : c.regRm(size);
          rm.set(c.value(size));
          const r = c.pickReg(size, rm.uses);
          const off = memory
            ? size === 4
              ? c.rng.pick([c.rng.int(-0x30000, 0x30000), c.rng.int(-64, 64), -1, -32, -33, 0x2ffff])
              : c.rng.pick([c.rng.int(-0x8000, 0x8000), c.rng.int(-64, 64), -1, -16, 0x7fff, -0x8000])
            : c.value(size);
          c.setReg(r, size, off);
          if (memory && size === 4) c.patch(0x7000 + Math.floor(off / 8) - 8, le(c.rng.u32(), 4).concat(le(c.rng.u32(), 4), le(c.rng.u32(), 4), le(c.rng.u32(), 4)));
          const lock = memory && k > 0 && c.rng.chance(0.15) ? [0xf0] : [];
          return [...lock, ...rm.prefix, ...osz(size), 0x0f, 0xa3 + k * 8, ...rm.encode(r)];
        });
        s.form(`${name} r/m${bits(size)},imm8 (0f ba /${4 + k}) ${where(memory)}`, (c) => {
          c.undefinedFlags = und;
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          const imm = c.index < SHIFT_COUNTS.length ? SHIFT_COUNTS[c.index]! : c.rng.int(0, 256);
          return [...rm.prefix, ...osz(size), 0x0f, 0xba, ...rm.encode(4 + k), imm];
        });
      }
    }
  });
}

function bitScanForms(s: CaseSet): void {
  for (const [name, opc] of [['bsf', 0xbc], ['bsr', 0xbd]] as const) {
    for (const size of [2, 4] as const) {
      for (const memory of [false, true]) {
        s.form(`${name} r${bits(size)},r/m${bits(size)} (0f ${hex8(opc)}) ${where(memory)}`, (c) => {
          c.undefinedFlags = CF | OF | SF | AF | PF;
          const rm = c.rm(size, memory);
          const v = c.index % 5 === 0 ? 0 : c.value(size);
          rm.set(v);
          const r = c.pickReg(size, rm.uses);
          if (v === 0) c.undefinedRegBits[r] = mask(size) >>> 0; // destination undefined for a zero source
          return [...rm.prefix, ...osz(size), 0x0f, opc, ...rm.encode(r)];
        });
      }
    }
  }
  s.form('bswap r32 (0f c8+r)', (c) => {
    const r = c.pickReg(4);
    return [0x0f, 0xc8 + r];
  });
}

function exchangeForms(s: CaseSet): void {
  for (const size of [2, 4] as const) {
    s.form(`xchg eax,r${bits(size)} (90+r)`, (c) => {
      let r = c.pickReg(size);
      if (r === 0) r = 1;
      return [...osz(size), 0x90 + r];
    });
  }
  for (const size of SIZES) {
    const w = size === 1 ? 0 : 1;
    for (const memory of [false, true]) {
      s.form(`xchg r/m${bits(size)},r${bits(size)} (${hex8(0x86 + w)}) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        return [...rm.prefix, ...osz(size), 0x86 + w, ...rm.encode(r)];
      });
      s.form(`cmpxchg r/m${bits(size)},r${bits(size)} (0f ${hex8(0xb0 + w)}) ${where(memory)}`, (c) => {
        c.reserved.add(0);
        const rm = c.rm(size, memory, [0]);
        const dest = c.value(size);
        rm.set(dest);
        c.setReg(0, size, c.rng.chance(0.5) ? dest : c.value(size));
        if (rm.reg >= 0 && c.rng.chance(0.5)) c.setReg(0, size, c.getReg(rm.reg, size));
        const r = c.pickReg(size, rm.uses);
        if (CaseBuilder.physical(r, size) !== 0) c.setReg(r, size, c.value(size));
        const lock = memory && c.rng.chance(0.2) ? [0xf0] : [];
        return [...lock, ...rm.prefix, ...osz(size), 0x0f, 0xb0 + w, ...rm.encode(r)];
      });
      s.form(`xadd r/m${bits(size)},r${bits(size)} (0f ${hex8(0xc0 + w)}) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        c.setReg(r, size, c.value(size));
        const lock = memory && c.rng.chance(0.2) ? [0xf0] : [];
        return [...lock, ...rm.prefix, ...osz(size), 0x0f, 0xc0 + w, ...rm.encode(r)];
      });
    }
  }
  s.form('cmpxchg8b m64 (0f c7 /1) mem', (c) => {
    for (const r of [0, 1, 2, 3]) c.reserved.add(r);
    const rm = c.mem(8);
    const lo = c.value(4);
    const hi = c.value(4);
    c.patch(rm.offset, [...le(lo, 4), ...le(hi, 4)]);
    if (c.rng.chance(0.5)) {
      c.regs[0] = lo;
      c.regs[2] = hi;
    } else if (c.rng.chance(0.5)) c.regs[0] = lo; // high half differs
    const lock = c.rng.chance(0.3) ? [0xf0] : [];
    return [...lock, ...rm.prefix, 0x0f, 0xc7, ...rm.encode(1)];
  }, s.perForm * 2);
}

function conversionForms(s: CaseSet): void {
  s.form('cbw (66 98)', (c) => (c.setReg(0, 1, c.value(1)), [0x66, 0x98]));
  s.form('cwde (98)', (c) => (c.setReg(0, 2, c.value(2)), [0x98]));
  s.form('cwd (66 99)', (c) => (c.setReg(0, 2, c.value(2)), [0x66, 0x99]));
  s.form('cdq (99)', (c) => (c.setReg(0, 4, c.value(4)), [0x99]));
  const ext = [
    ['movzx', 0xb6, 1, 2],
    ['movzx', 0xb6, 1, 4],
    ['movzx', 0xb7, 2, 4],
    ['movsx', 0xbe, 1, 2],
    ['movsx', 0xbe, 1, 4],
    ['movsx', 0xbf, 2, 4],
  ] as const;
  for (const [name, opc, from, to] of ext) {
    for (const memory of [false, true]) {
      s.form(`${name} r${bits(to)},r/m${bits(from)} (0f ${hex8(opc)}) ${where(memory)}`, (c) => {
        const rm = c.rm(from, memory);
        rm.set(c.value(from));
        const r = c.pickReg(to, rm.uses);
        return [...rm.prefix, ...osz(to), 0x0f, opc, ...rm.encode(r)];
      });
    }
  }
}

function conditionForms(s: CaseSet): void {
  CONDITIONS.forEach((cc, k) => {
    for (const memory of [false, true]) {
      s.form(`set${cc} r/m8 (0f ${hex8(0x90 + k)}) ${where(memory)}`, (c) => {
        const rm = c.rm(1, memory);
        return [...rm.prefix, 0x0f, 0x90 + k, ...rm.encode(0)];
      }, Math.ceil(s.perForm / 2));
      for (const size of [2, 4] as const) {
        s.form(`cmov${cc} r${bits(size)},r/m${bits(size)} (0f ${hex8(0x40 + k)}) ${where(memory)}`, (c) => {
          const rm = c.rm(size, memory);
          rm.set(c.value(size));
          const r = c.pickReg(size, rm.uses);
          return [...rm.prefix, ...osz(size), 0x0f, 0x40 + k, ...rm.encode(r)];
        }, Math.ceil(s.perForm / 2));
      }
    }
    // Jcc over a "mov eax, marker": EAX shows whether the branch was taken.
    const marker = [0xb8, ...le(0x4d41524b, 4)];
    s.form(`j${cc} rel8 forward (${hex8(0x70 + k)})`, () => [0x70 + k, 5, ...marker], Math.ceil(s.perForm / 2));
    s.form(`j${cc} rel32 forward (0f ${hex8(0x80 + k)})`, () => [0x0f, 0x80 + k, ...le(5, 4), ...marker], Math.ceil(s.perForm / 2));
    // Backward: jmp to the Jcc; a taken Jcc goes back to the marker, which then jumps to the end.
    s.form(`j${cc} rel8 backward (${hex8(0x70 + k)})`, () => [0xeb, 7, ...marker, 0xeb, 2, 0x70 + k, 0xf7], Math.ceil(s.perForm / 2));
    s.form(`j${cc} rel32 backward (0f ${hex8(0x80 + k)})`, () => [0xeb, 7, ...marker, 0xeb, 6, 0x0f, 0x80 + k, ...le(-13, 4)], Math.ceil(s.perForm / 2));
  });
  const marker = [0xbb, ...le(0x4d41524b, 4)]; // LOOP/JECXZ use ECX, so mark in EBX
  for (const [name, opc] of [['loopne', 0xe0], ['loope', 0xe1], ['loop', 0xe2], ['jecxz', 0xe3]] as const) {
    for (const a16 of [false, true]) {
      const label = a16 ? `${name === 'jecxz' ? 'jcxz' : name + ' cx'} (67 ${hex8(opc)})` : `${name} (${hex8(opc)})`;
      s.form(`${label} rel8`, (c) => {
        const v = c.rng.pick([0, 1, 2, 0x10000, 0x10001, 0xffffffff, c.rng.u32()]);
        c.regs[1] = v >>> 0;
        return [...(a16 ? [0x67] : []), opc, 5, ...marker];
      });
    }
  }
}

function leaForms(s: CaseSet): void {
  for (const size of [2, 4] as const) {
    s.form(`lea r${bits(size)},m (8d) 32-bit addressing`, (c) => {
      const r = c.pickReg(size, []);
      const mod = c.rng.int(0, 3);
      const rm = c.rng.int(0, 8);
      const out = [...osz(size), 0x8d, (mod << 6) | (r << 3) | rm];
      let disp = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      if (rm === 4) {
        const sib = c.rng.u32() & 0xff;
        out.push(sib);
        if (mod === 0 && (sib & 7) === 5) disp = 4;
      } else if (mod === 0 && rm === 5) disp = 4;
      out.push(...le(c.rng.u32(), disp));
      return out;
    }, s.perForm * 4);
    s.form(`lea r${bits(size)},m (67 8d) 16-bit addressing`, (c) => {
      const r = c.pickReg(size, []);
      const mod = c.rng.int(0, 3);
      const rm = c.rng.int(0, 8);
      const disp = mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
      return [...osz(size), 0x67, 0x8d, (mod << 6) | (r << 3) | rm, ...le(c.rng.u32(), disp)];
    }, s.perForm * 3);
  }
}

function stackForms(s: CaseSet): void {
  for (const size of [2, 4] as const) {
    const p = osz(size);
    s.form(`push r${bits(size)} (50+r)`, (c) => [...p, 0x50 + c.rng.int(0, 8)]);
    s.form(`pop r${bits(size)} (58+r)`, (c) => [...p, 0x58 + c.rng.int(0, 8)]);
    s.form(`push imm8 (${size === 2 ? '66 ' : ''}6a)`, (c) => [...p, 0x6a, c.value(1)]);
    s.form(`push imm${bits(size)} (${size === 2 ? '66 ' : ''}68)`, (c) => [...p, 0x68, ...le(c.value(size), size)]);
    for (const memory of [false, true]) {
      s.form(`push r/m${bits(size)} (ff /6) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        return [...rm.prefix, ...p, 0xff, ...rm.encode(6)];
      });
      s.form(`pop r/m${bits(size)} (8f /0) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        return [...rm.prefix, ...p, 0x8f, ...rm.encode(0)];
      });
    }
  }
  // Sequences of register/immediate pushes and pops (mixed sizes), ending with the stack moved.
  s.form('push/pop sequence', (c) => {
    const out: number[] = [];
    const n = c.rng.int(2, 7);
    for (let i = 0; i < n; i++) {
      const p = c.rng.chance(0.25) ? [0x66] : [];
      const k = c.rng.int(0, 4);
      if (k === 0) out.push(...p, 0x50 + c.rng.int(0, 8));
      else if (k === 1) out.push(...p, 0x58 + c.pickReg(4));
      else if (k === 2) out.push(...p, 0x6a, c.value(1));
      else out.push(...p, 0x68, ...le(c.value(p.length ? 2 : 4), p.length ? 2 : 4));
    }
    return out;
  }, s.perForm * 2);
  s.form('pushad (60)', () => [0x60]);
  s.form('pusha (66 60)', () => [0x66, 0x60]);
  s.form('popad (61)', () => [0x61]);
  s.form('popa (66 61)', () => [0x66, 0x61]);
  // PUSHF: mask the pushed image to bits user mode and CPL 0 agree on (not IF/IOPL): arith, DF, reserved 1/3/5/15.
  s.form('pushfd (9c)', (c) => {
    c.undefinedFlags = AF;
    return [0x9c, 0x81, 0x24, 0x24, ...le(0x8cff, 4)];
  });
  s.form('pushf (66 9c)', (c) => {
    c.undefinedFlags = AF;
    return [0x66, 0x9c, 0x66, 0x81, 0x24, 0x24, ...le(0x8cff, 2)];
  });
  const popfValue = (c: CaseBuilder): number =>
    (c.rng.u32() & (ARITH | DF | 0x8028)) | (c.rng.chance(0.5) ? 0x200 : 0) | 0x2; // never TF/AC/NT/IOPL
  s.form('popfd (9d)', (c) => {
    c.patch(STACK_TOP - DATA_BASE, le(popfValue(c), 4));
    return [0x9d];
  });
  s.form('popf (66 9d)', (c) => {
    c.patch(STACK_TOP - DATA_BASE, le(popfValue(c), 2));
    return [0x66, 0x9d];
  });
  s.form('popfd; pushfd (reserved bits)', (c) => {
    c.undefinedFlags = AF;
    c.patch(STACK_TOP - DATA_BASE, le(popfValue(c), 4));
    return [0x9d, 0x9c, 0x81, 0x24, 0x24, ...le(0x8cff, 4)];
  });
  for (const size of [2, 4] as const) {
    s.form(`enter imm16,imm8 (${size === 2 ? '66 ' : ''}c8)`, (c) => {
      c.regs[5] = (DATA_BASE + 0xe800 + c.rng.int(-64, 64) * 4) >>> 0;
      const level = c.rng.pick([0, 0, 1, 1, 2, 3, 5, 31, 32, 33]);
      const alloc = c.rng.pick([0, 4, 8, 0x100, 0x1fff, c.rng.int(0, 0x800)]);
      return [...osz(size), 0xc8, ...le(alloc, 2), level];
    });
    s.form(`leave (${size === 2 ? '66 ' : ''}c9)`, (c) => {
      c.regs[5] = (DATA_BASE + 0xe000 + c.rng.int(0, 0x400) * 4 + c.rng.int(0, 2)) >>> 0;
      return [...osz(size), 0xc9];
    });
  }
}

const STRING = [
  ['movs', 0xa4],
  ['cmps', 0xa6],
  ['stos', 0xaa],
  ['lods', 0xac],
  ['scas', 0xae],
] as const;

function stringForms(s: CaseSet): void {
  for (const [name, opc] of STRING) {
    const compares = name === 'cmps' || name === 'scas';
    const prefixes: [string, number[]][] = compares
      ? [['', []], ['repe ', [0xf3]], ['repne ', [0xf2]]]
      : [['', []], ['rep ', [0xf3]]];
    for (const size of SIZES) {
      const w = size === 1 ? 0 : 1;
      for (const [pname, pre] of prefixes) {
        for (const df of [0, 1]) {
          s.form(`${pname}${name}${'bwd'[size >> 1]} (${pre.length ? hex8(pre[0]!) + ' ' : ''}${hex8(opc + w)}) df=${df}`, (c) => {
            c.eflags = (c.eflags & ~DF) | (df ? DF : 0);
            const count = pre.length ? c.rng.pick([0, 1, 2, 3, c.rng.int(0, 48), c.rng.int(0, 48)]) : c.rng.u32();
            c.regs[1] = count >>> 0;
            const src = c.rng.int(0x1400, 0x6000);
            let dst = c.rng.int(0x8000, 0xc000);
            // Overlapping copies, every distance from -8 to 8 bytes: element size decides the result.
            if (name === 'movs' && c.index % 3 === 0) {
              dst = src + (((c.index / 3) % 17) - 8);
              if (pre.length) c.regs[1] = c.rng.int(4, 48); // enough repetitions for the overlap to matter
            }
            c.regs[6] = (DATA_BASE + src) >>> 0;
            c.regs[7] = (DATA_BASE + dst) >>> 0;
            const span = 48 * 4 + 16;
            if (name === 'cmps') {
              // Equal buffers with one difference (or none), so REPE/REPNE stop at an interesting place.
              const buf = Array.from({ length: 2 * span }, () => (c.rng.chance(0.7) ? 0x5a : c.rng.int(0, 256)));
              c.patch(src - span, buf);
              const other = buf.slice();
              const at = span + (df ? -1 : 1) * c.rng.int(0, 40) * size;
              if (c.rng.chance(0.8)) other[at] = other[at]! ^ (1 << c.rng.int(0, 8));
              c.patch(dst - span, other);
            }
            if (name === 'scas') {
              const v = c.value(size);
              c.setReg(0, size, v);
              const repeat = c.rng.chance(0.5);
              const buf: number[] = [];
              for (let i = 0; i < (2 * span) / size; i++) buf.push(...le(repeat ? v : c.rng.u32(), size));
              const at = span + (df ? -1 : 1) * c.rng.int(0, 40) * size;
              buf.splice(at, size, ...le(repeat ? c.rng.u32() : v, size));
              c.patch(dst - span, buf.slice(0, 2 * span));
            }
            const seg = name !== 'stos' && name !== 'scas' && c.rng.chance(0.15) ? [c.rng.pick([0x26, 0x36, 0x3e])] : [];
            return [...seg, ...pre, ...osz(size), opc + w];
          }, Math.ceil(s.perForm / 2));
        }
      }
    }
  }
}

function flagAndMiscForms(s: CaseSet): void {
  s.form('lahf (9f)', () => [0x9f]);
  s.form('sahf (9e)', (c) => (c.setReg(4, 1, c.value(1)), [0x9e]));
  for (const [name, b] of [['clc', 0xf8], ['stc', 0xf9], ['cmc', 0xf5], ['cld', 0xfc], ['std', 0xfd]] as const) {
    s.form(`${name} (${hex8(b)})`, () => [b], Math.ceil(s.perForm / 2));
  }
  s.form('xlat (d7)', (c) => {
    c.regs[3] = (DATA_BASE + c.rng.int(0x100, 0xd000)) >>> 0;
    return c.rng.chance(0.2) ? [0x3e, 0xd7] : [0xd7];
  });
  const nops = [
    [0x90],
    [0x66, 0x90],
    [0xf3, 0x90], // PAUSE
    [0x0f, 0x1f, 0x00],
    [0x0f, 0x1f, 0x40, 0x00],
    [0x0f, 0x1f, 0x44, 0x00, 0x00],
    [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
    [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
    [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  ];
  s.form('nop (90, 0f 1f /0 multi-byte)', (c) => nops[c.index % nops.length]!, nops.length * 2);
  // 0F 1F /0 never touches memory: any ModRM/SIB with garbage registers is a no-op.
  s.form('nop r/m (0f 1f /0) random modrm', (c) => {
    const mod = c.rng.int(0, 4);
    const rm = c.rng.int(0, 8);
    const out = [0x0f, 0x1f, (mod << 6) | rm];
    let disp = mod === 1 ? 1 : mod === 2 ? 4 : 0;
    if (mod !== 3 && rm === 4) {
      const sib = c.rng.u32() & 0xff;
      out.push(sib);
      if (mod === 0 && (sib & 7) === 5) disp = 4;
    } else if (mod === 0 && rm === 5) disp = 4;
    return [...out, ...le(c.rng.u32(), disp)];
  });
}

/** Instructions that raise #UD in user mode on real hardware as well as in the interpreter. */
function undefinedOpcodeForms(s: CaseSet): void {
  const cases: [string, number[]][] = [
    ['ud2 (0f 0b)', [0x0f, 0x0b]],
    ['ud1 (0f b9 /r)', [0x0f, 0xb9, 0xc0]],
    ['lock add r,r (f0 01 /r mod 3)', [0xf0, 0x01, 0xc8]],
    ['lock cmp m,r (f0 39)', [0xf0, 0x39, 0x05, ...le(DATA_BASE + 0x100, 4)]],
    ['lock nop (f0 90)', [0xf0, 0x90]],
    ['lock mov m,r (f0 89)', [0xf0, 0x89, 0x05, ...le(DATA_BASE + 0x100, 4)]],
    ['lea r,r (8d mod 3)', [0x8d, 0xc1]],
    ['mov cs,r (8e /1)', [0x8e, 0xc8]],
    ['cmpxchg8b r (0f c7 /1 mod 3)', [0x0f, 0xc7, 0xc8]],
  ];
  for (const [name, code] of cases) s.form(`#UD: ${name}`, () => code, 3);
  // The interpreter has no FPU; natively x87 instructions simply run.
  s.form('x87 fnop (d9 d0)', (c) => {
    c.informational = 'x87 runs natively; the interpreter is expected to raise #UD or #NM';
    return [0xd9, 0xd0];
  }, 1);
}

function moveForms(s: CaseSet): void {
  for (const size of SIZES) {
    const w = size === 1 ? 0 : 1;
    for (const memory of [false, true]) {
      s.form(`mov r/m${bits(size)},r${bits(size)} (${hex8(0x88 + w)}) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        const r = c.pickReg(size, rm.uses);
        c.setReg(r, size, c.value(size));
        return [...rm.prefix, ...osz(size), 0x88 + w, ...rm.encode(r)];
      }, Math.ceil(s.perForm / 2));
      s.form(`mov r${bits(size)},r/m${bits(size)} (${hex8(0x8a + w)}) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        rm.set(c.value(size));
        const r = c.pickReg(size, rm.uses);
        return [...rm.prefix, ...osz(size), 0x8a + w, ...rm.encode(r)];
      }, Math.ceil(s.perForm / 2));
      s.form(`mov r/m${bits(size)},imm (${hex8(0xc6 + w)} /0) ${where(memory)}`, (c) => {
        const rm = c.rm(size, memory);
        return [...rm.prefix, ...osz(size), 0xc6 + w, ...rm.encode(0), ...le(c.value(size), size)];
      }, Math.ceil(s.perForm / 2));
    }
    s.form(`mov r${bits(size)},imm (${size === 1 ? 'b0' : 'b8'}+r)`, (c) => {
      const r = c.pickReg(size);
      return [...osz(size), (size === 1 ? 0xb0 : 0xb8) + r, ...le(c.value(size), size)];
    }, Math.ceil(s.perForm / 2));
    // moffs forms: an absolute address, no ModRM
    s.form(`mov ${['al', 'ax', 'eax'][size >> 1]},moffs (${hex8(0xa0 + w)})`, (c) => {
      const off = c.rng.int(0x100, 0xd000);
      c.patch(off, le(c.value(size), size));
      return [...osz(size), 0xa0 + w, ...le(DATA_BASE + off, 4)];
    }, Math.ceil(s.perForm / 2));
    s.form(`mov moffs,${['al', 'ax', 'eax'][size >> 1]} (${hex8(0xa2 + w)})`, (c) => {
      c.setReg(0, size, c.value(size));
      return [...osz(size), 0xa2 + w, ...le(DATA_BASE + c.rng.int(0x100, 0xd000), 4)];
    }, Math.ceil(s.perForm / 2));
  }
}

/** Near CALL/RET/JMP. Each skips a "mov eax, marker", so EAX shows whether control went where it should. */
function controlTransferForms(s: CaseSet): void {
  const marker = [0xb8, ...le(0x4d41524b, 4)];
  s.form('jmp rel8 (eb)', () => [0xeb, 5, ...marker], 4);
  s.form('jmp rel32 (e9)', () => [0xe9, ...le(5, 4), ...marker], 4);
  s.form('call rel32 (e8)', () => [0xe8, ...le(5, 4), ...marker], 8);
  s.form('call rel32 to next; pop (get eip)', (c) => [0xe8, 0, 0, 0, 0, 0x58 + c.pickReg(4)], 8);
  for (const [name, regField] of [['call', 2], ['jmp', 4]] as const) {
    for (const memory of [false, true]) {
      s.form(`${name} r/m32 (ff /${regField}) ${where(memory)}`, (c) => {
        const rm = c.rm(4, memory);
        const code = [...rm.prefix, 0xff, ...rm.encode(regField)];
        rm.set(CODE_BASE + code.length + marker.length); // the target: just past the marker
        return [...code, ...marker];
      }, Math.ceil(s.perForm / 2));
    }
  }
  s.form('ret (c3)', (c) => {
    c.patch(STACK_TOP - DATA_BASE, le(CODE_BASE + 1 + marker.length, 4));
    return [0xc3, ...marker];
  }, 8);
  s.form('ret imm16 (c2)', (c) => {
    c.patch(STACK_TOP - DATA_BASE, le(CODE_BASE + 3 + marker.length, 4));
    return [0xc2, ...le(c.rng.pick([0, 4, 8, 0x100, c.rng.int(0, 0x800)]), 2), ...marker];
  }, 16);
  // Software traps that reach user mode as signals: the EIP reported is the next instruction.
  s.form('int3 (cc)', () => [0xcc], 4);
  s.form('into (ce)', (c) => (c.index % 2 ? (c.eflags |= OF) : (c.eflags &= ~OF), [0xce]), 8);
  for (const size of [2, 4] as const) {
    s.form(`bound r${bits(size)},m${bits(size)}&${bits(size)} (62)`, (c) => {
      const rm = c.mem(2 * size);
      const lo = c.value(size);
      const hi = c.value(size);
      const r = c.pickReg(size, rm.uses);
      c.patch(rm.offset, [...le(lo, size), ...le(hi, size)]);
      const sx = (v: number): number => (size === 2 ? (v << 16) >> 16 : v | 0);
      const idx = c.rng.chance(0.5) ? sx(lo) + c.rng.int(0, Math.max(1, Math.min(1000, sx(hi) - sx(lo) + 1))) : c.value(size);
      c.setReg(r, size, idx);
      return [...rm.prefix, ...osz(size), 0x62, ...rm.encode(r)];
    });
  }
}

/** Decimal-adjust instructions (valid outside 64-bit mode; AAM 0 raises #DE). */
function bcdForms(s: CaseSet): void {
  const forms: [string, number[], number][] = [
    ['daa (27)', [0x27], OF],
    ['das (2f)', [0x2f], OF],
    ['aaa (37)', [0x37], OF | SF | ZF | PF],
    ['aas (3f)', [0x3f], OF | SF | ZF | PF],
  ];
  for (const [name, code, und] of forms) {
    s.form(name, (c) => {
      c.undefinedFlags = und;
      c.setReg(0, 2, c.value(2));
      return code;
    });
  }
  for (const [name, opc] of [['aam', 0xd4], ['aad', 0xd5]] as const) {
    s.form(`${name} imm8 (${hex8(opc)})`, (c) => {
      c.undefinedFlags = OF | AF | CF;
      c.setReg(0, 2, c.value(2));
      const imm = c.index < 3 ? [10, 0, 16][c.index]! : c.rng.chance(0.5) ? 10 : c.value(1);
      return [opc, imm];
    });
  }
}

/**
 * Short register-only sequences mixing flag writers and flag readers, to exercise lazy flags:
 * INC/DEC keeping CF, ADC/SBB and SETcc/CMOVcc/Jcc reading what an earlier instruction left.
 */
function sequenceForms(s: CaseSet): void {
  s.form('flag sequence (mixed ALU, inc/dec, shifts, setcc, cmovcc, adc/sbb)', (c) => {
    const out: number[] = [];
    let afUndefined = false;
    const n = c.rng.int(2, 7);
    for (let i = 0; i < n; i++) {
      const size = c.rng.pick(SIZES);
      const w = size === 1 ? 0 : 1;
      const a = c.pickReg(size);
      const b = c.pickReg(size);
      const k = c.rng.int(0, 10);
      if (k <= 2) {
        const op = c.rng.int(0, 8);
        out.push(...osz(size), op * 8 + w, 0xc0 | (b << 3) | a);
        afUndefined = isLogic(op);
      } else if (k === 3) {
        const op = c.rng.int(0, 2);
        out.push(...osz(size), size === 1 ? 0xfe : 0xff, 0xc0 | (op << 3) | a);
        afUndefined = false;
      } else if (k === 4) {
        out.push(...osz(size), size === 1 ? 0xf6 : 0xf7, 0xc0 | (3 << 3) | a); // NEG
        afUndefined = false;
      } else if (k === 5) {
        const op = c.rng.pick([4, 5, 7]);
        out.push(...osz(size), 0xd0 + w, 0xc0 | (op << 3) | a); // shift by 1: AF undefined
        afUndefined = true;
      } else if (k === 6) {
        const cc = c.rng.int(0, 16);
        out.push(0x0f, 0x90 + cc, 0xc0 | a);
      } else if (k === 7) {
        const cc = c.rng.int(0, 16);
        out.push(0x0f, 0x40 + cc, 0xc0 | (c.pickReg(4) << 3) | c.pickReg(4));
      } else if (k === 8) {
        out.push(c.rng.pick([0xf8, 0xf9, 0xf5])); // CLC/STC/CMC
      } else {
        const cc = c.rng.int(0, 16);
        out.push(0x70 + cc, 2, 0xf7, 0xd0 | c.pickReg(4)); // Jcc over NOT r32
      }
      c.setReg(a, size, c.value(size));
    }
    c.undefinedFlags = afUndefined ? AF : 0;
    return out;
  }, s.perForm * 8);
}

function hex8(v: number): string {
  return v.toString(16).padStart(2, '0');
}

/** Every case, in a fixed order for a given seed. `perForm` is the usual number of cases per form. */
export function generateCases(seed: number, perForm = 40): CpuCase[] {
  const s = new CaseSet(seed, perForm);
  aluForms(s);
  incDecNegNotForms(s);
  mulForms(s);
  divForms(s);
  shiftForms(s);
  shldForms(s);
  btForms(s);
  bitScanForms(s);
  exchangeForms(s);
  conversionForms(s);
  conditionForms(s);
  leaForms(s);
  stackForms(s);
  stringForms(s);
  flagAndMiscForms(s);
  moveForms(s);
  controlTransferForms(s);
  bcdForms(s);
  undefinedOpcodeForms(s);
  sequenceForms(s);
  return s.cases;
}

// ---------------------------------------------------------------- shared helpers

/** The data area a case starts from: the base contents with the case's patches applied (into `out`). */
export function initialData(base: Uint8Array, c: CpuCase, out: Uint8Array): Uint8Array {
  out.set(base);
  for (const p of c.patches) out.set(p.bytes, p.offset);
  return out;
}

/** Changed bytes of `now` relative to `was`, in the oracle's " offset:hexbytes" run format. */
export function dataDiff(now: Uint8Array, was: Uint8Array): string {
  const a = new Int32Array(now.buffer, now.byteOffset, now.byteLength >> 2);
  const b = new Int32Array(was.buffer, was.byteOffset, was.byteLength >> 2);
  let out = '';
  let runEnd = -1; // index just past the last changed byte written
  for (let w = 0; w < a.length; w++) {
    if (a[w] === b[w]) continue;
    for (let i = w * 4; i < w * 4 + 4; i++) {
      if (now[i] === was[i]) continue;
      if (i !== runEnd) out += ` ${i.toString(16)}:`;
      out += now[i]!.toString(16).padStart(2, '0');
      runEnd = i + 1;
    }
  }
  return out;
}

export function hex(bytes: Uint8Array | number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
