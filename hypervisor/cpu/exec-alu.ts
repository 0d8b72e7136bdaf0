/**
 * Integer arithmetic and logic: the ALU group, INC/DEC/NEG/NOT, multiply and divide, shifts
 * and rotates, double shifts, bit tests and scans, exchanges, sign/zero extension, SETcc,
 * CMOVcc, MOV and LEA. Operand size comes from `i.osz` (1, 2 or 4 bytes); values of 8 and
 * 16 bits travel zero-extended, 32-bit values as int32.
 */
import type { Cpu } from './cpu.js';
import { fault, ud } from './fault.js';
import type { Insn } from './insn.js';
import { getCF, LazyOp, PARITY_EVEN, settle, testCondition } from './lazy-flags.js';
import { ARITH_FLAGS, Flag, Reg, Vector } from './registers.js';

export function sizeMask(osz: number): number {
  return osz === 4 ? -1 : osz === 2 ? 0xffff : 0xff;
}

function setLazy(c: Cpu, op: LazyOp, osz: number, a: number, b: number, r: number): void {
  c.lop = op;
  c.lsz = osz << 3;
  c.la = a;
  c.lb = b;
  c.lr = r;
}

/** The eight ALU operations (ADD OR ADC SBB AND SUB XOR CMP); returns the result. */
export function alu(c: Cpu, op: number, osz: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case 0:
      r = (a + b) | 0;
      setLazy(c, LazyOp.ADD, osz, a, b, r);
      break;
    case 1:
      r = a | b;
      setLazy(c, LazyOp.LOGIC, osz, a, b, r);
      break;
    case 2: {
      const cin = getCF(c);
      r = (a + b + cin) | 0;
      setLazy(c, LazyOp.ADC, osz, a, b, r);
      c.lcf = cin;
      break;
    }
    case 3: {
      const cin = getCF(c);
      r = (a - b - cin) | 0;
      setLazy(c, LazyOp.SBB, osz, a, b, r);
      c.lcf = cin;
      break;
    }
    case 4:
      r = a & b;
      setLazy(c, LazyOp.LOGIC, osz, a, b, r);
      break;
    case 5:
    case 7:
      r = (a - b) | 0;
      setLazy(c, LazyOp.SUB, osz, a, b, r);
      break;
    default:
      r = a ^ b;
      setLazy(c, LazyOp.LOGIC, osz, a, b, r);
      break;
  }
  return osz === 4 ? r : r & sizeMask(osz);
}

/** op r/m, b: read-modify-write of the r/m operand (CMP, op 7, only reads). */
function aluRM(c: Cpu, i: Insn, op: number, b: number): void {
  if (i.mod === 3) {
    const r = alu(c, op, i.osz, c.getReg(i.rm, i.osz), b);
    if (op !== 7) c.setReg(i.rm, i.osz, r);
  } else {
    const addr = c.ea(i);
    const r = alu(c, op, i.osz, op !== 7 ? c.rdw(addr, i.osz) : c.rd(addr, i.osz), b);
    if (op !== 7) c.wr(addr, i.osz, r);
  }
}

/** op r/m, reg (00, 01, 08, ...). */
export function aluEG(c: Cpu, i: Insn): void {
  aluRM(c, i, (i.op >> 3) & 7, c.getReg(i.reg, i.osz));
}

/** op reg, r/m (02, 03, ...). */
export function aluGE(c: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7;
  const r = alu(c, op, i.osz, c.getReg(i.reg, i.osz), c.readRM(i));
  if (op !== 7) c.setReg(i.reg, i.osz, r);
}

/** op AL/AX/EAX, imm (04, 05, ...). */
export function aluAI(c: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7;
  const r = alu(c, op, i.osz, c.getReg(Reg.EAX, i.osz), i.imm & sizeMask(i.osz));
  if (op !== 7) c.setReg(Reg.EAX, i.osz, r);
}

/** Group 1: op r/m, imm (80, 81, 83). */
export function aluEI(c: Cpu, i: Insn): void {
  aluRM(c, i, i.reg, i.imm & sizeMask(i.osz));
}

export function testEG(c: Cpu, i: Insn): void {
  alu(c, 4, i.osz, c.readRM(i), c.getReg(i.reg, i.osz));
}

export function testAI(c: Cpu, i: Insn): void {
  alu(c, 4, i.osz, c.getReg(Reg.EAX, i.osz), i.imm & sizeMask(i.osz));
}

export function testEI(c: Cpu, i: Insn): void {
  alu(c, 4, i.osz, c.readRM(i), i.imm & sizeMask(i.osz));
}

function incdec(c: Cpu, osz: number, a: number, dec: boolean): number {
  c.lcf = getCF(c);
  const r = dec ? (a - 1) | 0 : (a + 1) | 0;
  setLazy(c, dec ? LazyOp.DEC : LazyOp.INC, osz, a, 1, r);
  return osz === 4 ? r : r & sizeMask(osz);
}

/** INC/DEC reg (40–4F). */
export function incDecReg(c: Cpu, i: Insn): void {
  const r = i.op & 7;
  c.setReg(r, i.osz, incdec(c, i.osz, c.getReg(r, i.osz), (i.op & 8) !== 0));
}

/** INC/DEC r/m (FE/FF /0 /1). */
export function incDecE(c: Cpu, i: Insn): void {
  const dec = i.reg === 1;
  if (i.mod === 3) c.setReg(i.rm, i.osz, incdec(c, i.osz, c.getReg(i.rm, i.osz), dec));
  else {
    const addr = c.ea(i);
    c.wr(addr, i.osz, incdec(c, i.osz, c.rdw(addr, i.osz), dec));
  }
}

export function notE(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.setReg(i.rm, i.osz, ~c.getReg(i.rm, i.osz));
  else {
    const addr = c.ea(i);
    c.wr(addr, i.osz, ~c.rdw(addr, i.osz));
  }
}

export function negE(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.setReg(i.rm, i.osz, alu(c, 5, i.osz, 0, c.getReg(i.rm, i.osz)));
  else {
    const addr = c.ea(i);
    c.wr(addr, i.osz, alu(c, 5, i.osz, 0, c.rdw(addr, i.osz)));
  }
}

// ---------------------------------------------------------------- multiply and divide

/** Unsigned 32×32 → 64: returns the high half; the low half is Math.imul(a, b). */
export function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lo = a0 * b0;
  const m1 = a1 * b0;
  const m2 = a0 * b1;
  const mid = (lo >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + Math.floor(mid / 65536)) | 0;
}

/** Signed 32×32 → 64: the high half. */
export function mulHighS32(a: number, b: number): number {
  let hi = mulHighU32(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

/**
 * Flags after a multiply: CF = OF = `overflow`. SF, ZF, AF and PF are undefined in the SDM;
 * this follows the Intel cores the native test runs on: ZF and AF cleared, SF and PF from
 * the low half of the result.
 */
function mulFlags(c: Cpu, osz: number, low: number, overflow: boolean): void {
  const bits = osz << 3;
  const o = overflow ? 1 : 0;
  c.flags =
    (c.flags & ~ARITH_FLAGS) | o | (o << 11) | (PARITY_EVEN[low & 0xff]! << 2) | (((low >>> (bits - 1)) & 1) << 7);
  c.lop = LazyOp.NONE;
}

/** MUL r/m (F6/F7 /4). */
export function mulE(c: Cpu, i: Insn): void {
  const src = c.readRM(i);
  const regs = c.regs;
  if (i.osz === 1) {
    const r = (regs[Reg.EAX]! & 0xff) * src;
    c.setReg(Reg.EAX, 2, r);
    mulFlags(c, 1, r, r > 0xff);
  } else if (i.osz === 2) {
    const r = (regs[Reg.EAX]! & 0xffff) * src;
    c.setReg(Reg.EAX, 2, r);
    c.setReg(Reg.EDX, 2, r >>> 16);
    mulFlags(c, 2, r, r > 0xffff);
  } else {
    const a = regs[Reg.EAX]!;
    const lo = Math.imul(a, src);
    const hi = mulHighU32(a, src);
    regs[Reg.EAX] = lo;
    regs[Reg.EDX] = hi;
    mulFlags(c, 4, lo, hi !== 0);
  }
}

/** IMUL r/m (F6/F7 /5): one operand, double-width result. */
export function imulE(c: Cpu, i: Insn): void {
  const regs = c.regs;
  if (i.osz === 1) {
    const r = ((regs[Reg.EAX]! << 24) >> 24) * ((c.readRM(i) << 24) >> 24);
    c.setReg(Reg.EAX, 2, r);
    mulFlags(c, 1, r, r !== (r << 24) >> 24);
  } else if (i.osz === 2) {
    const r = ((regs[Reg.EAX]! << 16) >> 16) * ((c.readRM(i) << 16) >> 16);
    c.setReg(Reg.EAX, 2, r);
    c.setReg(Reg.EDX, 2, r >> 16);
    mulFlags(c, 2, r, r !== (r << 16) >> 16);
  } else {
    const a = regs[Reg.EAX]!;
    const b = c.readRM(i);
    const lo = Math.imul(a, b);
    const hi = mulHighS32(a, b);
    regs[Reg.EAX] = lo;
    regs[Reg.EDX] = hi;
    mulFlags(c, 4, lo, hi !== lo >> 31);
  }
}

function imulTrunc(c: Cpu, osz: number, a: number, b: number): number {
  if (osz === 2) {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    mulFlags(c, 2, r, r !== (r << 16) >> 16);
    return r & 0xffff;
  }
  const lo = Math.imul(a, b);
  mulFlags(c, 4, lo, mulHighS32(a, b) !== lo >> 31);
  return lo;
}

/** IMUL reg, r/m (0F AF). */
export function imulGE(c: Cpu, i: Insn): void {
  c.setReg(i.reg, i.osz, imulTrunc(c, i.osz, c.getReg(i.reg, i.osz), c.readRM(i)));
}

/** IMUL reg, r/m, imm (69, 6B). */
export function imulGEI(c: Cpu, i: Insn): void {
  c.setReg(i.reg, i.osz, imulTrunc(c, i.osz, c.readRM(i), i.imm));
}

/**
 * 64-by-32 unsigned division with hi < d (so the quotient fits 32 bits), exact in doubles:
 * two steps of 16 bits keep every intermediate below 2^48.
 */
function divU64(hi: number, lo: number, d: number): [number, number] {
  const n1 = hi * 65536 + (lo >>> 16);
  const q1 = Math.floor(n1 / d);
  const r1 = n1 - q1 * d;
  const n0 = r1 * 65536 + (lo & 0xffff);
  const q0 = Math.floor(n0 / d);
  return [q1 * 65536 + q0, n0 - q0 * d];
}

/** DIV r/m (F6/F7 /6). */
export function divE(c: Cpu, i: Insn): void {
  const d = c.readRM(i) >>> 0;
  if (d === 0) fault(Vector.DE);
  const regs = c.regs;
  if (i.osz === 1) {
    const n = regs[Reg.EAX]! & 0xffff;
    const q = Math.floor(n / d);
    if (q > 0xff) fault(Vector.DE);
    c.setReg(Reg.EAX, 2, ((n - q * d) << 8) | q);
  } else if (i.osz === 2) {
    const n = ((regs[Reg.EDX]! & 0xffff) * 65536 + (regs[Reg.EAX]! & 0xffff)) >>> 0;
    const q = Math.floor(n / d);
    if (q > 0xffff) fault(Vector.DE);
    c.setReg(Reg.EAX, 2, q);
    c.setReg(Reg.EDX, 2, n - q * d);
  } else {
    const hi = regs[Reg.EDX]! >>> 0;
    const lo = regs[Reg.EAX]! >>> 0;
    if (hi >= d) fault(Vector.DE);
    if (hi === 0) {
      const q = Math.floor(lo / d);
      regs[Reg.EAX] = q;
      regs[Reg.EDX] = lo - q * d;
    } else {
      const [q, r] = divU64(hi, lo, d);
      regs[Reg.EAX] = q;
      regs[Reg.EDX] = r;
    }
  }
  divFlags(c);
}

/** IDIV r/m (F6/F7 /7). */
export function idivE(c: Cpu, i: Insn): void {
  const regs = c.regs;
  if (i.osz === 1) {
    const d = (c.readRM(i) << 24) >> 24;
    if (d === 0) fault(Vector.DE);
    const n = (regs[Reg.EAX]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) fault(Vector.DE);
    c.setReg(Reg.EAX, 2, (((n - q * d) & 0xff) << 8) | (q & 0xff));
  } else if (i.osz === 2) {
    const d = (c.readRM(i) << 16) >> 16;
    if (d === 0) fault(Vector.DE);
    const n = ((regs[Reg.EDX]! & 0xffff) << 16) | (regs[Reg.EAX]! & 0xffff);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) fault(Vector.DE);
    c.setReg(Reg.EAX, 2, q);
    c.setReg(Reg.EDX, 2, n - q * d);
  } else {
    const d = c.readRM(i);
    if (d === 0) fault(Vector.DE);
    let hi = regs[Reg.EDX]!;
    let lo = regs[Reg.EAX]!;
    const negN = hi < 0;
    if (negN) {
      // Two's-complement negate the 64-bit dividend.
      lo = -lo | 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
    }
    const ad = Math.abs(d);
    const uhi = hi >>> 0;
    const ulo = lo >>> 0;
    if (uhi >= ad) fault(Vector.DE);
    const [uq, ur] = uhi === 0 ? [Math.floor(ulo / ad), ulo % ad] : divU64(uhi, ulo, ad);
    const q = negN !== d < 0 ? -uq : uq;
    if (q > 0x7fffffff || q < -0x80000000) fault(Vector.DE);
    regs[Reg.EAX] = q;
    regs[Reg.EDX] = negN ? -ur : ur;
  }
  divFlags(c);
}

/** DIV/IDIV leave all arithmetic flags undefined; this CPU leaves them unchanged. */
function divFlags(_c: Cpu): void {}

// ---------------------------------------------------------------- shifts and rotates

/** Rotates change only CF and OF: settle the lazy flags, then set those two. */
function setCarryOverflow(c: Cpu, cf: number, of: number): void {
  settle(c);
  c.flags = (c.flags & ~(Flag.CF | Flag.OF)) | cf | (of << 11);
}

/**
 * Shift/rotate group 2 (C0/C1 imm, D0/D1 by 1, D2/D3 by CL). Arithmetic flags follow the
 * SDM; where it says "undefined", this follows what the native differential test observed.
 */
function shift(c: Cpu, kind: number, osz: number, a: number, count: number): number {
  const bits = osz << 3;
  const m = sizeMask(osz);
  count &= 31;
  if (count === 0) return a;
  a &= m;
  const msb = bits - 1;
  switch (kind) {
    case 0: {
      // ROL
      const n = count % bits;
      const r = n === 0 ? a : ((a << n) | (a >>> (bits - n))) & m;
      const cf = r & 1;
      setCarryOverflow(c, cf, ((r >>> msb) & 1) ^ cf);
      return r;
    }
    case 1: {
      // ROR
      const n = count % bits;
      const r = n === 0 ? a : ((a >>> n) | (a << (bits - n))) & m;
      const cf = (r >>> msb) & 1;
      setCarryOverflow(c, cf, cf ^ ((r >>> (msb - 1)) & 1));
      return r;
    }
    case 2: {
      // RCL: rotate through carry, bits+1 positions.
      const n = osz === 4 ? count : count % (bits + 1);
      settle(c);
      let cf = c.flags & 1;
      let r = a;
      for (let k = 0; k < n; k++) {
        const out = (r >>> msb) & 1;
        r = ((r << 1) | cf) & m;
        cf = out;
      }
      setCarryOverflow(c, cf, ((r >>> msb) & 1) ^ cf);
      return r;
    }
    case 3: {
      // RCR
      const n = osz === 4 ? count : count % (bits + 1);
      settle(c);
      let cf = c.flags & 1;
      let r = a;
      for (let k = 0; k < n; k++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf << msb)) & m;
        cf = out;
      }
      setCarryOverflow(c, cf, ((r >>> msb) & 1) ^ ((r >>> (msb - 1)) & 1));
      return r;
    }
    case 4:
    case 6: {
      // SHL/SAL
      const r = count >= 32 ? 0 : (a << count) & m;
      const cf = count > bits ? 0 : (a >>> (bits - count)) & 1;
      shiftFlags(c, osz, r, cf, ((r >>> msb) & 1) ^ cf);
      return r;
    }
    case 5: {
      // SHR
      const r = a >>> count;
      const cf = count > bits ? 0 : (a >>> (count - 1)) & 1;
      shiftFlags(c, osz, r, cf, count === 1 ? (a >>> msb) & 1 : 0);
      return r;
    }
    default: {
      // SAR
      const sa = (a << (32 - bits)) >> (32 - bits);
      const r = (count >= bits ? sa >> msb : sa >> count) & m;
      const cf = count >= bits ? (sa >>> 31) & 1 : (sa >> (count - 1)) & 1;
      shiftFlags(c, osz, r, cf, 0);
      return r;
    }
  }
}

function shiftFlags(c: Cpu, osz: number, r: number, cf: number, of: number): void {
  c.lop = LazyOp.RESULT;
  c.lsz = osz << 3;
  c.lr = r;
  c.lcf = cf;
  c.lof = of;
  c.laf = 0;
}

function shiftE(c: Cpu, i: Insn, count: number): void {
  if (i.mod === 3) {
    const v = c.getReg(i.rm, i.osz);
    const r = shift(c, i.reg, i.osz, v, count);
    c.setReg(i.rm, i.osz, r);
  } else {
    const addr = c.ea(i);
    const r = shift(c, i.reg, i.osz, count & 31 ? c.rdw(addr, i.osz) : c.rd(addr, i.osz), count);
    if (count & 31) c.wr(addr, i.osz, r);
  }
}

export function shiftE1(c: Cpu, i: Insn): void {
  shiftE(c, i, 1);
}

export function shiftECL(c: Cpu, i: Insn): void {
  shiftE(c, i, c.regs[Reg.ECX]! & 0xff);
}

export function shiftEI(c: Cpu, i: Insn): void {
  shiftE(c, i, i.imm);
}

/** SHLD/SHRD (0F A4/A5/AC/AD): shift r/m, filling from reg. */
function doubleShift(c: Cpu, i: Insn, count: number, left: boolean): void {
  count &= 31;
  if (count === 0) return;
  const osz = i.osz;
  const bits = osz << 3;
  const addr = i.mod === 3 ? 0 : c.ea(i);
  const a = i.mod === 3 ? c.getReg(i.rm, osz) : c.rdw(addr, osz);
  const b = c.getReg(i.reg, osz);
  let r: number;
  let cf: number;
  if (osz === 4) {
    if (left) {
      r = (a << count) | (b >>> (32 - count));
      cf = (a >>> (32 - count)) & 1;
    } else {
      r = (a >>> count) | (b << (32 - count));
      cf = (a >>> (count - 1)) & 1;
    }
  } else {
    // 16-bit. Counts above 16 are undefined in the SDM; Intel hardware shifts the 48-bit
    // pattern dest:src:dest, which the expression below reproduces.
    const a16 = a & 0xffff;
    const b16 = b & 0xffff;
    if (left) {
      const w = a16 * 0x100000000 + b16 * 0x10000 + a16; // dest:src:dest
      r = Math.floor(w / 2 ** (32 - count)) & 0xffff;
      cf = Math.floor(w / 2 ** (48 - count)) & 1;
    } else {
      const w = a16 * 0x100000000 + b16 * 0x10000 + a16; // dest:src:dest, taken from the bottom
      r = Math.floor(w / 2 ** count) & 0xffff;
      cf = Math.floor(w / 2 ** (count - 1)) & 1;
    }
  }
  const msb = bits - 1;
  const of = ((r >>> msb) & 1) ^ ((a >>> msb) & 1);
  c.lop = LazyOp.RESULT;
  c.lsz = bits;
  c.lr = r;
  c.lcf = cf;
  c.lof = of;
  c.laf = 0;
  if (i.mod === 3) c.setReg(i.rm, osz, r);
  else c.wr(addr, osz, r);
}

export function shldI(c: Cpu, i: Insn): void {
  doubleShift(c, i, i.imm, true);
}

export function shldCL(c: Cpu, i: Insn): void {
  doubleShift(c, i, c.regs[Reg.ECX]!, true);
}

export function shrdI(c: Cpu, i: Insn): void {
  doubleShift(c, i, i.imm, false);
}

export function shrdCL(c: Cpu, i: Insn): void {
  doubleShift(c, i, c.regs[Reg.ECX]!, false);
}

// ---------------------------------------------------------------- bit tests and scans

/** BT/BTS/BTR/BTC: kind 0 test, 1 set, 2 reset, 3 complement. */
function bitOp(c: Cpu, i: Insn, kind: number, offset: number, fromReg: boolean): void {
  const bits = i.osz << 3;
  let addr = 0;
  let v: number;
  let bit: number;
  if (i.mod === 3) {
    bit = offset & (bits - 1);
    v = c.getReg(i.rm, i.osz);
  } else {
    if (fromReg) {
      // The register offset is signed and may reach outside the addressed operand.
      const off = i.osz === 2 ? (offset << 16) >> 16 : offset | 0;
      const unit = Math.floor(off / bits);
      bit = off - unit * bits;
      addr = (c.ea(i) + unit * i.osz) | 0;
    } else {
      bit = offset & (bits - 1);
      addr = c.ea(i);
    }
    v = kind === 0 ? c.rd(addr, i.osz) : c.rdw(addr, i.osz);
  }
  settle(c);
  const cf = (v >>> bit) & 1;
  c.flags = (c.flags & ~Flag.CF) | cf;
  if (kind === 0) return;
  const r = kind === 1 ? v | (1 << bit) : kind === 2 ? v & ~(1 << bit) : v ^ (1 << bit);
  if (i.mod === 3) c.setReg(i.rm, i.osz, r);
  else c.wr(addr, i.osz, r);
}

const BT_KIND: Record<number, number> = { 0x1a3: 0, 0x1ab: 1, 0x1b3: 2, 0x1bb: 3 };

/** BT/BTS/BTR/BTC r/m, reg. */
export function btEG(c: Cpu, i: Insn): void {
  bitOp(c, i, BT_KIND[i.op]!, c.getReg(i.reg, i.osz), true);
}

/** Group 8 (0F BA /4–/7): BT/BTS/BTR/BTC r/m, imm8. */
export function btEI(c: Cpu, i: Insn): void {
  bitOp(c, i, i.reg - 4, i.imm, false);
}

/** BSF/BSR leave CF, OF, SF and AF undefined; Intel cores clear them (PF is left as it was). */
function scanFlags(c: Cpu): void {
  settle(c);
  c.flags &= ~(Flag.CF | Flag.OF | Flag.SF | Flag.AF);
}

export function bsf(c: Cpu, i: Insn): void {
  const v = c.readRM(i);
  scanFlags(c);
  if (v === 0) {
    c.flags |= Flag.ZF;
    return;
  }
  c.flags &= ~Flag.ZF;
  c.setReg(i.reg, i.osz, 31 - Math.clz32(v & -v));
}

export function bsr(c: Cpu, i: Insn): void {
  const v = c.readRM(i);
  scanFlags(c);
  if (v === 0) {
    c.flags |= Flag.ZF;
    return;
  }
  c.flags &= ~Flag.ZF;
  c.setReg(i.reg, i.osz, 31 - Math.clz32(v));
}

export function bswap(c: Cpu, i: Insn): void {
  const r = i.op & 7;
  const v = c.regs[r]!;
  if (i.osz === 2) {
    c.setReg(r, 2, 0); // BSWAP r16 is undefined; hardware clears the low word
    return;
  }
  c.regs[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

// ---------------------------------------------------------------- exchanges

export function xchgEG(c: Cpu, i: Insn): void {
  const g = c.getReg(i.reg, i.osz);
  if (i.mod === 3) {
    c.setReg(i.reg, i.osz, c.getReg(i.rm, i.osz));
    c.setReg(i.rm, i.osz, g);
  } else {
    const addr = c.ea(i);
    const m = c.rdw(addr, i.osz);
    c.wr(addr, i.osz, g);
    c.setReg(i.reg, i.osz, m);
  }
}

/** XCHG eAX, reg (91–97). */
export function xchgAReg(c: Cpu, i: Insn): void {
  const r = i.op & 7;
  const a = c.getReg(Reg.EAX, i.osz);
  c.setReg(Reg.EAX, i.osz, c.getReg(r, i.osz));
  c.setReg(r, i.osz, a);
}

export function cmpxchg(c: Cpu, i: Insn): void {
  const addr = i.mod === 3 ? 0 : c.ea(i);
  const dest = i.mod === 3 ? c.getReg(i.rm, i.osz) : c.rdw(addr, i.osz);
  const acc = c.getReg(Reg.EAX, i.osz);
  alu(c, 7, i.osz, acc, dest);
  const equal = (acc & sizeMask(i.osz)) === (dest & sizeMask(i.osz));
  // The destination is always written (with its old value on failure), as on hardware.
  const out = equal ? c.getReg(i.reg, i.osz) : dest;
  if (i.mod === 3) c.setReg(i.rm, i.osz, out);
  else c.wr(addr, i.osz, out);
  if (!equal) c.setReg(Reg.EAX, i.osz, dest);
}

/** CMPXCHG8B m64 (0F C7 /1). */
export function cmpxchg8b(c: Cpu, i: Insn): void {
  if (i.mod === 3) ud();
  const addr = c.ea(i);
  const lo = c.rd32(addr);
  const hi = c.rd32(addr + 4);
  const regs = c.regs;
  settle(c);
  if (lo === regs[Reg.EAX] && hi === regs[Reg.EDX]) {
    c.wr32(addr, regs[Reg.EBX]!);
    c.wr32(addr + 4, regs[Reg.ECX]!);
    c.flags |= Flag.ZF;
  } else {
    c.wr32(addr, lo);
    c.wr32(addr + 4, hi);
    regs[Reg.EAX] = lo;
    regs[Reg.EDX] = hi;
    c.flags &= ~Flag.ZF;
  }
}

export function xadd(c: Cpu, i: Insn): void {
  const src = c.getReg(i.reg, i.osz);
  if (i.mod === 3) {
    const dst = c.getReg(i.rm, i.osz);
    const sum = alu(c, 0, i.osz, dst, src);
    c.setReg(i.reg, i.osz, dst);
    c.setReg(i.rm, i.osz, sum);
  } else {
    const addr = c.ea(i);
    const dst = c.rdw(addr, i.osz);
    const sum = alu(c, 0, i.osz, dst, src);
    c.wr(addr, i.osz, sum);
    c.setReg(i.reg, i.osz, dst);
  }
}

// ---------------------------------------------------------------- conversions and moves

/** CBW / CWDE (98). */
export function cbw(c: Cpu, i: Insn): void {
  const regs = c.regs;
  if (i.osz === 2) c.setReg(Reg.EAX, 2, (regs[Reg.EAX]! << 24) >> 24);
  else regs[Reg.EAX] = (regs[Reg.EAX]! << 16) >> 16;
}

/** CWD / CDQ (99). */
export function cwd(c: Cpu, i: Insn): void {
  const regs = c.regs;
  if (i.osz === 2) c.setReg(Reg.EDX, 2, (regs[Reg.EAX]! << 16) >> 31);
  else regs[Reg.EDX] = regs[Reg.EAX]! >> 31;
}

/** MOVZX (0F B6 byte source, 0F B7 word source). */
export function movzx(c: Cpu, i: Insn): void {
  const ssz = i.op === 0x1b6 ? 1 : 2;
  const v = i.mod === 3 ? c.getReg(i.rm, ssz) : c.rd(c.ea(i), ssz);
  c.setReg(i.reg, i.osz, v);
}

export function movsx(c: Cpu, i: Insn): void {
  const ssz = i.op === 0x1be ? 1 : 2;
  const v = i.mod === 3 ? c.getReg(i.rm, ssz) : c.rd(c.ea(i), ssz);
  c.setReg(i.reg, i.osz, ssz === 1 ? (v << 24) >> 24 : (v << 16) >> 16);
}

export function setcc(c: Cpu, i: Insn): void {
  const v = testCondition(c, i.op & 0xf) ? 1 : 0;
  if (i.mod === 3) c.setReg8(i.rm, v);
  else c.wr8(c.ea(i), v);
}

export function cmovcc(c: Cpu, i: Insn): void {
  // The source is read even when the condition is false (a bad address faults either way).
  const v = c.readRM(i);
  if (testCondition(c, i.op & 0xf)) c.setReg(i.reg, i.osz, v);
  else if (i.osz === 4) c.regs[i.reg] = c.regs[i.reg]!; // 32-bit CMOV never changes the register
}

export function lea(c: Cpu, i: Insn): void {
  if (i.mod === 3) ud();
  c.setReg(i.reg, i.osz, c.eaOffset(i));
}

export function movEG(c: Cpu, i: Insn): void {
  const v = c.getReg(i.reg, i.osz);
  if (i.mod === 3) c.setReg(i.rm, i.osz, v);
  else c.wr(c.ea(i), i.osz, v);
}

export function movGE(c: Cpu, i: Insn): void {
  c.setReg(i.reg, i.osz, c.readRM(i));
}

/** MOV reg, imm (B0–BF). */
export function movRegImm(c: Cpu, i: Insn): void {
  c.setReg(i.op & 7, i.osz, i.imm);
}

/** MOV r/m, imm (C6/C7 /0). */
export function movEI(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.setReg(i.rm, i.osz, i.imm);
  else c.wr(c.ea(i), i.osz, i.imm);
}

/** MOV AL/eAX, moffs (A0/A1). */
export function movAMoffs(c: Cpu, i: Insn): void {
  c.setReg(Reg.EAX, i.osz, c.rd(c.ea(i), i.osz));
}

/** MOV moffs, AL/eAX (A2/A3). */
export function movMoffsA(c: Cpu, i: Insn): void {
  c.wr(c.ea(i), i.osz, c.getReg(Reg.EAX, i.osz));
}

export function nop(_c: Cpu, _i: Insn): void {}

// ---------------------------------------------------------------- flag instructions

export function lahf(c: Cpu, _i: Insn): void {
  const f = c.getEflags();
  c.setReg8(4, (f & 0xd5) | 2); // AH = SF ZF 0 AF 0 PF 1 CF
}

export function sahf(c: Cpu, _i: Insn): void {
  settle(c);
  const ah = c.getReg8(4);
  c.flags = (c.flags & ~0xd5) | (ah & 0xd5);
}

export function clc(c: Cpu, _i: Insn): void {
  settle(c);
  c.flags &= ~Flag.CF;
}

export function stc(c: Cpu, _i: Insn): void {
  settle(c);
  c.flags |= Flag.CF;
}

export function cmc(c: Cpu, _i: Insn): void {
  settle(c);
  c.flags ^= Flag.CF;
}

export function cld(c: Cpu, _i: Insn): void {
  c.flags &= ~Flag.DF;
}

export function std(c: Cpu, _i: Insn): void {
  c.flags |= Flag.DF;
}

/** XLAT (D7): AL = [seg:EBX + AL]. */
export function xlat(c: Cpu, i: Insn): void {
  const regs = c.regs;
  let off = (regs[Reg.EBX]! + (regs[Reg.EAX]! & 0xff)) | 0;
  if (i.asz16) off &= 0xffff;
  c.setReg8(0, c.rd8(off + c.segBase[i.seg]!));
}
