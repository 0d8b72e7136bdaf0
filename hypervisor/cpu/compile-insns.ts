/**
 * JavaScript for the common instructions, chosen by the interpreter handler the decoder picked
 * (so #UD encodings, LOCK misuse and group members without an inline form keep their handler).
 * Each generator either emits code that does exactly what its handler does, in the same order
 * of memory accesses, register writes and flag updates, or returns false to have the handler
 * called. Temporaries: `a` address, `v` `u` `t` `p` `q` `w` `x` `y` `z` values; `fa fb fr fc fo ff` flags.
 */
import * as A from './exec-alu.js';
import * as C from './exec-control.js';
import type { BlockContext, Expr } from './compile-context.js';
import { carry, condition } from './compile-flags.js';
import type { Exec, Insn } from './insn.js';
import { LazyOp } from './lazy-flags.js';
import { Reg, Seg, Vector } from './registers.js';

/** Emit the instruction inline; false = not handled, call the interpreter handler. */
export type InsnGenerator = (ctx: BlockContext, i: Insn, last: boolean) => boolean;

const lit = (n: number): string => (n < 0 ? `(${n})` : String(n));

function sizeMask(osz: number): number {
  return osz === 4 ? -1 : osz === 2 ? 0xffff : 0xff;
}

/** The r/m operand: a register expression, or `dst` after a memory read. */
function readRM(ctx: BlockContext, i: Insn, osz: number, dst: string): Expr {
  if (i.mod === 3) return ctx.reg(i.rm, osz);
  ctx.emitAddress(i);
  ctx.read(dst, osz);
  return dst;
}

/** A result masked to the operand size (32-bit results are already int32). */
function sized(x: string, osz: number): Expr {
  return osz === 4 ? x : `(${x} & ${sizeMask(osz)})`;
}

/** ALU operation `op` (ADD OR ADC SBB AND SUB XOR CMP): sets the flag locals, returns the sized result. */
function alu(ctx: BlockContext, op: number, osz: number, a: Expr, b: Expr): Expr {
  switch (op) {
    case 0:
      ctx.emit(`fa = ${a}; fb = ${b}; fr = (fa + fb) | 0;`);
      ctx.setLazy(LazyOp.ADD, osz);
      break;
    case 2:
      ctx.emit(`fc = ${carry(ctx)}; fa = ${a}; fb = ${b}; fr = (fa + fb + fc) | 0;`);
      ctx.setLazy(LazyOp.ADC, osz);
      break;
    case 3:
      ctx.emit(`fc = ${carry(ctx)}; fa = ${a}; fb = ${b}; fr = (fa - fb - fc) | 0;`);
      ctx.setLazy(LazyOp.SBB, osz);
      break;
    case 5:
    case 7:
      ctx.emit(`fa = ${a}; fb = ${b}; fr = (fa - fb) | 0;`);
      ctx.setLazy(LazyOp.SUB, osz);
      break;
    default: {
      const sym = op === 1 ? '|' : op === 4 ? '&' : '^';
      ctx.emit(`fa = ${a}; fb = ${b}; fr = fa ${sym} fb;`);
      ctx.setLazy(LazyOp.LOGIC, osz);
    }
  }
  return sized('fr', osz);
}

/** op r/m, imm-or-reg: the shared body of ALU E,G and ALU E,I. */
function aluE(ctx: BlockContext, i: Insn, op: number, b: () => Expr): void {
  const osz = i.osz;
  if (i.mod === 3) {
    const r = alu(ctx, op, osz, ctx.reg(i.rm, osz), b());
    if (op !== 7) ctx.setReg(i.rm, osz, r);
    return;
  }
  ctx.emitAddress(i);
  ctx.read('v', osz, op !== 7);
  const r = alu(ctx, op, osz, 'v', b());
  if (op !== 7) ctx.write(r, osz);
}

function incDec(ctx: BlockContext, osz: number, a: Expr, dec: boolean): Expr {
  ctx.emit(`fc = ${carry(ctx)}; fa = ${a}; fb = 1; fr = (fa ${dec ? '-' : '+'} 1) | 0;`);
  ctx.setLazy(dec ? LazyOp.DEC : LazyOp.INC, osz);
  return sized('fr', osz);
}

/** Shift `x` (already sized) by a constant count 1..31: SHL/SAL, SHR, SAR. Returns the sized result, or null. */
function shiftByConst(ctx: BlockContext, kind: number, osz: number, x: Expr, count: number): Expr | null {
  const bits = osz << 3;
  const msb = bits - 1;
  const m = sizeMask(osz);
  ctx.emit(`t = ${x};`);
  switch (kind) {
    case 4:
    case 6: {
      const r = osz === 4 ? `t << ${count}` : `(t << ${count}) & ${m}`;
      const cf = count > bits ? '0' : `(t >>> ${bits - count}) & 1`;
      ctx.emit(`fr = ${r}; fc = ${cf}; fo = ((fr >>> ${msb}) & 1) ^ fc;`);
      break;
    }
    case 5: {
      const cf = count > bits ? '0' : `(t >>> ${count - 1}) & 1`;
      const of = count === 1 ? `(t >>> ${msb}) & 1` : '0';
      ctx.emit(`fr = t >>> ${count}; fc = ${cf}; fo = ${of};`);
      break;
    }
    case 7: {
      const sa = osz === 4 ? 't' : `((t << ${32 - bits}) >> ${32 - bits})`;
      const r = count >= bits ? `(${sa} >> ${msb}) & ${m}` : `(${sa} >> ${count}) & ${m}`;
      const cf = count >= bits ? `(${sa} >>> 31) & 1` : `(${sa} >> ${count - 1}) & 1`;
      ctx.emit(`fr = ${r}; fc = ${cf}; fo = 0;`);
      break;
    }
    default:
      return null;
  }
  ctx.emit('fa = 0; fb = 0;');
  ctx.setLazy(LazyOp.RESULT, osz);
  return 'fr';
}

/** Shift group with a constant count (C0/C1 imm8, D0/D1 by one). */
function shiftConst(ctx: BlockContext, i: Insn, count: number): boolean {
  const kind = i.reg;
  count &= 31;
  if (count === 0 || (kind !== 4 && kind !== 5 && kind !== 6 && kind !== 7)) return false;
  const osz = i.osz;
  if (i.mod === 3) {
    const r = shiftByConst(ctx, kind, osz, ctx.reg(i.rm, osz), count)!;
    ctx.setReg(i.rm, osz, r);
  } else {
    ctx.emitAddress(i);
    ctx.read('v', osz, true);
    const r = shiftByConst(ctx, kind, osz, 'v', count)!;
    ctx.write(r, osz);
  }
  return true;
}

/**
 * 32-bit register shift by CL. The count is known only at run time and a zero count leaves
 * the flags alone, so the flags go to the Cpu object first and the shift updates them there.
 */
function shiftCL32(ctx: BlockContext, i: Insn): boolean {
  const kind = i.reg;
  if (i.mod !== 3 || i.osz !== 4 || (kind !== 4 && kind !== 5 && kind !== 6 && kind !== 7)) return false;
  const x = ctx.reg(i.rm, 4);
  ctx.flushFlagsNow();
  ctx.emit(`u = ${ctx.reg(Reg.ECX, 4)} & 31; if (u !== 0) { t = ${x};`);
  if (kind === 4 || kind === 6) ctx.emit('v = t << u; fc = (t >>> (32 - u)) & 1; fo = ((v >>> 31) & 1) ^ fc;');
  else if (kind === 5) ctx.emit('v = (t >>> u) | 0; fc = (t >>> (u - 1)) & 1; fo = u === 1 ? (t >>> 31) & 1 : 0;');
  else ctx.emit('v = t >> u; fc = (t >> (u - 1)) & 1; fo = 0;');
  ctx.emit(`c.lop = ${LazyOp.RESULT}; c.lsz = 32; c.lr = v; c.lcf = fc; c.lof = fo; c.laf = 0;`);
  ctx.setReg(i.rm, 4, 'v');
  ctx.emit('}');
  return true;
}

/** Push `v` (a local or constant) at the operand size; ESP moves after the write, as push32 does. */
function push(ctx: BlockContext, osz: number, v: Expr): void {
  const n = osz === 2 ? 2 : 4;
  ctx.emitStackAddress(-n);
  ctx.write(v, n);
  ctx.setReg(Reg.ESP, 4, `(r4 - ${n}) | 0`);
}

/** Pop into `dst`; ESP moves after the read. */
function pop(ctx: BlockContext, osz: number, dst: string): void {
  const n = osz === 2 ? 2 : 4;
  ctx.emitStackAddress(0);
  ctx.read(dst, n);
  ctx.setReg(Reg.ESP, 4, `(r4 + ${n}) | 0`);
}

/** EIP value for a near transfer to `x`: cut to 16 bits at a 16-bit operand size. */
function near(x: Expr, osz: number): Expr {
  return osz === 2 ? `(${x} & 65535)` : x;
}

/** IMUL's truncated product into `t`, flags materialised into `ff` (as mulFlags). `a` may be `v`, `b` never `u`. */
function imul(ctx: BlockContext, osz: number, a: Expr, b: Expr): Expr | null {
  if (osz === 4) {
    ctx.emit(`u = ${b}; v = ${a}; t = Math.imul(v, u);`); // b first: a memory operand may be in v
    ctx.emit('ff = (v * u !== t ? 2049 : 0) | (PE[t & 255] << 2) | ((t >>> 24) & 128);');
  } else if (osz === 2) {
    ctx.emit(`t = ((${a} << 16) >> 16) * ((${b} << 16) >> 16);`);
    ctx.emit('ff = (t !== ((t << 16) >> 16) ? 2049 : 0) | (PE[t & 255] << 2) | (((t >>> 15) & 1) << 7);');
  } else {
    return null;
  }
  ctx.setArith();
  return sized('t', osz);
}

/**
 * Unsigned 64-by-32 division of x:y by u, x < u (the quotient fits 32 bits), into q and the
 * remainder w, exact in doubles: two 16-bit steps, as divU64 does (without its array).
 */
function divide64(ctx: BlockContext): void {
  ctx.emit(
    'if (x === 0) { q = Math.floor(y / u); w = y - q * u; } else { ' +
      't = x * 65536 + (y >>> 16); p = Math.floor(t / u); v = (t - p * u) * 65536 + (y & 65535); ' +
      't = Math.floor(v / u); q = p * 65536 + t; w = v - t * u; }',
  );
}

/** DIV r32 (F7 /6, register operand): EDX:EAX / r32, #DE for a zero divisor or a quotient over 32 bits. */
function div32(ctx: BlockContext, i: Insn): boolean {
  if (i.osz !== 4 || i.mod !== 3) return false;
  ctx.emit(`u = ${ctx.reg(i.rm, 4)} >>> 0; x = ${ctx.reg(Reg.EDX, 4)} >>> 0; y = ${ctx.reg(Reg.EAX, 4)} >>> 0;`);
  ctx.emit(`if (u === 0 || x >= u) { ${ctx.faultCode(Vector.DE)} }`);
  divide64(ctx);
  ctx.setReg(Reg.EAX, 4, 'q | 0');
  ctx.setReg(Reg.EDX, 4, 'w | 0');
  return true;
}

/** IDIV r32 (F7 /7, register operand): signed, through the unsigned division of the magnitudes (as idivE). */
function idiv32(ctx: BlockContext, i: Insn): boolean {
  if (i.osz !== 4 || i.mod !== 3) return false;
  const de = ctx.faultCode(Vector.DE);
  // z: the divisor; a: the dividend is negative (no address is needed: the operand is a register).
  ctx.emit(`z = ${ctx.reg(i.rm, 4)}; if (z === 0) { ${de} }`);
  ctx.emit(`x = ${ctx.reg(Reg.EDX, 4)}; y = ${ctx.reg(Reg.EAX, 4)}; a = x < 0 ? 1 : 0;`);
  ctx.emit('if (a !== 0) { y = -y | 0; x = (~x + (y === 0 ? 1 : 0)) | 0; }');
  ctx.emit(`u = Math.abs(z); x = x >>> 0; y = y >>> 0; if (x >= u) { ${de} }`);
  divide64(ctx);
  ctx.emit(`q = (a !== 0) !== (z < 0) ? -q : q; if (q > 2147483647 || q < -2147483648) { ${de} }`);
  ctx.setReg(Reg.EAX, 4, 'q | 0');
  ctx.setReg(Reg.EDX, 4, '(a !== 0 ? -w : w) | 0');
  return true;
}

/** MUL r/m32 (F7 /4): EDX:EAX = EAX * src, unsigned; flags as mulFlags. */
function mul32(ctx: BlockContext, i: Insn): boolean {
  if (i.osz !== 4) return false;
  ctx.emit(`u = ${readRM(ctx, i, 4, 'v')}; v = ${ctx.reg(Reg.EAX, 4)}; t = Math.imul(v, u); w = MHU(v, u);`);
  ctx.emit('ff = (w !== 0 ? 2049 : 0) | (PE[t & 255] << 2) | ((t >>> 24) & 128);');
  ctx.setArith();
  ctx.setReg(Reg.EAX, 4, 't');
  ctx.setReg(Reg.EDX, 4, 'w');
  return true;
}

/** The SHLD/SHRD result, CF and OF of t (destination) and u (source) for a count n (1..31): flag locals set. */
function doubleShiftCode(left: boolean, n: string): string {
  return left
    ? `fr = (t << ${n}) | (u >>> (32 - ${n})); fc = (t >>> (32 - ${n})) & 1; fo = ((fr >>> 31) & 1) ^ ((t >>> 31) & 1);`
    : `fr = (t >>> ${n}) | (u << (32 - ${n})); fc = (t >>> (${n} - 1)) & 1; fo = ((fr >>> 31) & 1) ^ ((t >>> 31) & 1);`;
}

/** SHLD/SHRD r/m32, r32, imm8: a zero count does nothing at all (not even the memory read). */
function doubleShiftImm(ctx: BlockContext, i: Insn, left: boolean): boolean {
  if (i.osz !== 4) return false;
  const n = i.imm & 31;
  if (n === 0) return true;
  ctx.emit(`t = ${readRM(ctx, i, 4, 'v')}; u = ${ctx.reg(i.reg, 4)};`);
  ctx.emit(`${doubleShiftCode(left, String(n))} fa = 0; fb = 0;`);
  ctx.setLazy(LazyOp.RESULT, 4);
  if (i.mod === 3) ctx.setReg(i.rm, 4, 'fr');
  else ctx.write('fr', 4);
  return true;
}

/** SHLD/SHRD r32, r32, CL: the flags go to the Cpu first (a zero count leaves them), as for shifts by CL. */
function doubleShiftCL(ctx: BlockContext, i: Insn, left: boolean): boolean {
  if (i.osz !== 4 || i.mod !== 3) return false;
  const dst = ctx.reg(i.rm, 4);
  const src = ctx.reg(i.reg, 4);
  ctx.flushFlagsNow();
  ctx.emit(`y = ${ctx.reg(Reg.ECX, 4)} & 31; if (y !== 0) { t = ${dst}; u = ${src}; ${doubleShiftCode(left, 'y')}`);
  ctx.emit(`c.lop = ${LazyOp.RESULT}; c.lsz = 32; c.lr = fr; c.lcf = fc; c.lof = fo; c.laf = 0;`);
  ctx.setReg(i.rm, 4, 'fr');
  ctx.emit('}');
  return true;
}

const GENERATORS = new Map<Exec, InsnGenerator>([
  // ---- MOV, LEA, extensions, exchanges
  [A.movEG, (ctx, i) => {
    const v = ctx.reg(i.reg, i.osz);
    if (i.mod === 3) ctx.setReg(i.rm, i.osz, v);
    else {
      ctx.emitAddress(i);
      ctx.write(v, i.osz);
    }
    return true;
  }],
  [A.movGE, (ctx, i) => {
    ctx.setReg(i.reg, i.osz, readRM(ctx, i, i.osz, 'v'));
    return true;
  }],
  [A.movRegImm, (ctx, i) => {
    ctx.setReg(i.op & 7, i.osz, lit(i.imm));
    return true;
  }],
  [A.movEI, (ctx, i) => {
    if (i.mod === 3) ctx.setReg(i.rm, i.osz, lit(i.imm));
    else {
      ctx.emitAddress(i);
      ctx.write(lit(i.imm), i.osz);
    }
    return true;
  }],
  [A.movAMoffs, (ctx, i) => {
    ctx.emitAddress(i);
    ctx.read('v', i.osz);
    ctx.setReg(Reg.EAX, i.osz, 'v');
    return true;
  }],
  [A.movMoffsA, (ctx, i) => {
    ctx.emitAddress(i);
    ctx.write(ctx.reg(Reg.EAX, i.osz), i.osz);
    return true;
  }],
  [A.lea, (ctx, i) => {
    if (i.mod === 3) return false; // #UD
    ctx.setReg(i.reg, i.osz, ctx.offset(i));
    return true;
  }],
  [A.movzx, (ctx, i) => {
    const ssz = i.op === 0x1b6 ? 1 : 2;
    ctx.setReg(i.reg, i.osz, readRM(ctx, i, ssz, 'v'));
    return true;
  }],
  [A.movsx, (ctx, i) => {
    const ssz = i.op === 0x1be ? 1 : 2;
    const v = readRM(ctx, i, ssz, 'v');
    ctx.setReg(i.reg, i.osz, ssz === 1 ? `((${v} << 24) >> 24)` : `((${v} << 16) >> 16)`);
    return true;
  }],
  [A.xchgEG, (ctx, i) => {
    const osz = i.osz;
    ctx.emit(`t = ${ctx.reg(i.reg, osz)};`);
    if (i.mod === 3) {
      ctx.setReg(i.reg, osz, ctx.reg(i.rm, osz));
      ctx.setReg(i.rm, osz, 't');
    } else {
      ctx.emitAddress(i);
      ctx.read('v', osz, true);
      ctx.write('t', osz);
      ctx.setReg(i.reg, osz, 'v');
    }
    return true;
  }],
  [A.xchgAReg, (ctx, i) => {
    const r = i.op & 7;
    ctx.emit(`t = ${ctx.reg(Reg.EAX, i.osz)};`);
    ctx.setReg(Reg.EAX, i.osz, ctx.reg(r, i.osz));
    ctx.setReg(r, i.osz, 't');
    return true;
  }],
  [A.cbw, (ctx, i) => {
    if (i.osz === 2) ctx.setReg(Reg.EAX, 2, '((r0 << 24) >> 24)');
    else ctx.setReg(Reg.EAX, 4, '((r0 << 16) >> 16)');
    ctx.reg(Reg.EAX, 4);
    return true;
  }],
  [A.cwd, (ctx, i) => {
    ctx.reg(Reg.EAX, 4);
    if (i.osz === 2) ctx.setReg(Reg.EDX, 2, '((r0 << 16) >> 31)');
    else ctx.setReg(Reg.EDX, 4, '(r0 >> 31)');
    return true;
  }],
  [A.nop, () => true],

  // ---- ALU, TEST, INC/DEC, NOT/NEG, shifts, IMUL
  [A.aluEG, (ctx, i) => {
    aluE(ctx, i, (i.op >> 3) & 7, () => ctx.reg(i.reg, i.osz));
    return true;
  }],
  [A.aluGE, (ctx, i) => {
    const op = (i.op >> 3) & 7;
    const b = readRM(ctx, i, i.osz, 'v');
    const r = alu(ctx, op, i.osz, ctx.reg(i.reg, i.osz), b);
    if (op !== 7) ctx.setReg(i.reg, i.osz, r);
    return true;
  }],
  [A.aluAI, (ctx, i) => {
    const op = (i.op >> 3) & 7;
    const r = alu(ctx, op, i.osz, ctx.reg(Reg.EAX, i.osz), lit(i.imm & sizeMask(i.osz)));
    if (op !== 7) ctx.setReg(Reg.EAX, i.osz, r);
    return true;
  }],
  [A.aluEI, (ctx, i) => {
    aluE(ctx, i, i.reg, () => lit(i.imm & sizeMask(i.osz)));
    return true;
  }],
  [A.testEG, (ctx, i) => {
    const a = readRM(ctx, i, i.osz, 'v');
    alu(ctx, 4, i.osz, a, ctx.reg(i.reg, i.osz));
    return true;
  }],
  [A.testAI, (ctx, i) => {
    alu(ctx, 4, i.osz, ctx.reg(Reg.EAX, i.osz), lit(i.imm & sizeMask(i.osz)));
    return true;
  }],
  [A.testEI, (ctx, i) => {
    alu(ctx, 4, i.osz, readRM(ctx, i, i.osz, 'v'), lit(i.imm & sizeMask(i.osz)));
    return true;
  }],
  [A.incDecReg, (ctx, i) => {
    const r = i.op & 7;
    ctx.setReg(r, i.osz, incDec(ctx, i.osz, ctx.reg(r, i.osz), (i.op & 8) !== 0));
    return true;
  }],
  [A.incDecE, (ctx, i) => {
    const dec = i.reg === 1;
    if (i.mod === 3) ctx.setReg(i.rm, i.osz, incDec(ctx, i.osz, ctx.reg(i.rm, i.osz), dec));
    else {
      ctx.emitAddress(i);
      ctx.read('v', i.osz, true);
      ctx.write(incDec(ctx, i.osz, 'v', dec), i.osz);
    }
    return true;
  }],
  [A.notE, (ctx, i) => {
    if (i.mod === 3) ctx.setReg(i.rm, i.osz, `~${ctx.reg(i.rm, i.osz)}`);
    else {
      ctx.emitAddress(i);
      ctx.read('v', i.osz, true);
      ctx.write('~v', i.osz);
    }
    return true;
  }],
  [A.negE, (ctx, i) => {
    if (i.mod === 3) ctx.setReg(i.rm, i.osz, alu(ctx, 5, i.osz, '0', ctx.reg(i.rm, i.osz)));
    else {
      ctx.emitAddress(i);
      ctx.read('v', i.osz, true);
      ctx.write(alu(ctx, 5, i.osz, '0', 'v'), i.osz);
    }
    return true;
  }],
  [A.shiftEI, (ctx, i) => shiftConst(ctx, i, i.imm)],
  [A.shiftE1, (ctx, i) => shiftConst(ctx, i, 1)],
  [A.shiftECL, (ctx, i) => shiftCL32(ctx, i)],
  [A.imulGE, (ctx, i) => {
    if (i.osz === 1) return false;
    const b = readRM(ctx, i, i.osz, 'v');
    const r = imul(ctx, i.osz, ctx.reg(i.reg, i.osz), b)!;
    ctx.setReg(i.reg, i.osz, r);
    return true;
  }],
  [A.imulGEI, (ctx, i) => {
    if (i.osz === 1) return false;
    const a = readRM(ctx, i, i.osz, 'v');
    const r = imul(ctx, i.osz, a, lit(i.imm))!;
    ctx.setReg(i.reg, i.osz, r);
    return true;
  }],

  [A.divE, (ctx, i) => div32(ctx, i)],
  [A.idivE, (ctx, i) => idiv32(ctx, i)],
  [A.mulE, (ctx, i) => mul32(ctx, i)],
  [A.shldI, (ctx, i) => doubleShiftImm(ctx, i, true)],
  [A.shrdI, (ctx, i) => doubleShiftImm(ctx, i, false)],
  [A.shldCL, (ctx, i) => doubleShiftCL(ctx, i, true)],
  [A.shrdCL, (ctx, i) => doubleShiftCL(ctx, i, false)],

  // ---- SETcc, CMOVcc
  [A.setcc, (ctx, i) => {
    const v = `(${condition(ctx, i.op & 0xf)} ? 1 : 0)`;
    if (i.mod === 3) ctx.setReg(i.rm, 1, v);
    else {
      ctx.emit(`u = ${v};`);
      ctx.emitAddress(i);
      ctx.write('u', 1);
    }
    return true;
  }],
  [A.cmovcc, (ctx, i) => {
    const v = readRM(ctx, i, i.osz, 'v');
    ctx.emit(`if (${condition(ctx, i.op & 0xf)}) {`);
    ctx.setReg(i.reg, i.osz, v);
    ctx.emit('}');
    return true;
  }],

  // ---- stack
  [C.pushReg, (ctx, i) => {
    ctx.emit(`u = ${ctx.reg(i.op & 7, i.osz)};`);
    push(ctx, i.osz, 'u');
    return true;
  }],
  [C.popReg, (ctx, i) => {
    pop(ctx, i.osz, 'v');
    ctx.setReg(i.op & 7, i.osz, 'v');
    return true;
  }],
  [C.pushImm, (ctx, i) => {
    push(ctx, i.osz, lit(i.osz === 2 ? i.imm & 0xffff : i.imm));
    return true;
  }],
  [C.pushE, (ctx, i) => {
    ctx.emit(`u = ${readRM(ctx, i, i.osz, 'v')};`);
    push(ctx, i.osz, 'u');
    return true;
  }],
  [C.leave, (ctx, i) => {
    ctx.emit(`a = (${ctx.reg(Reg.EBP, 4)} + ${ctx.segBase(Seg.SS)}) >>> 0;`);
    ctx.read('v', i.osz);
    ctx.setReg(Reg.ESP, 4, `(r5 + ${i.osz}) | 0`);
    ctx.setReg(Reg.EBP, i.osz, 'v');
    return true;
  }],

  // ---- control transfers (each ends its block)
  [C.jcc, (ctx, i) => {
    const cond = condition(ctx, i.op & 0xf);
    ctx.exitEip = `(${cond} ? ${ctx.branchTarget(i.imm, i.osz)} : ${ctx.eip(ctx.nextOff)})`;
    if (i.osz === 4) {
      ctx.branchCond = cond;
      ctx.branchOff = ctx.nextOff + i.imm;
    }
    return true;
  }],
  [C.jmpRel, (ctx, i) => {
    ctx.exitEip = ctx.branchTarget(i.imm, i.osz);
    if (i.osz === 4) {
      ctx.branchCond = 'true';
      ctx.branchOff = ctx.nextOff + i.imm;
    }
    return true;
  }],
  [C.callRel, (ctx, i) => {
    ctx.emit(`u = ${ctx.eip(ctx.nextOff)};`);
    push(ctx, i.osz, i.osz === 2 ? '(u & 65535)' : 'u');
    ctx.exitEip = ctx.branchTarget(i.imm, i.osz);
    if (i.osz === 4) {
      ctx.branchCond = 'true';
      ctx.branchOff = ctx.nextOff + i.imm;
    }
    return true;
  }],
  [C.ret, (ctx, i) => {
    pop(ctx, i.osz, 'v');
    ctx.exitEip = near('v', i.osz);
    return true;
  }],
  [C.retImm, (ctx, i) => {
    pop(ctx, i.osz, 'v');
    ctx.setReg(Reg.ESP, 4, `(r4 + ${i.imm}) | 0`);
    ctx.exitEip = near('v', i.osz);
    return true;
  }],
  [C.jmpE, (ctx, i) => {
    ctx.emit(`t = ${readRM(ctx, i, i.osz, 'v')};`);
    ctx.exitEip = near('t', i.osz);
    return true;
  }],
  [C.callE, (ctx, i) => {
    ctx.emit(`t = ${readRM(ctx, i, i.osz, 'v')}; u = ${ctx.eip(ctx.nextOff)};`);
    push(ctx, i.osz, i.osz === 2 ? '(u & 65535)' : 'u');
    ctx.exitEip = near('t', i.osz);
    return true;
  }],
]);

/** The generator for an instruction, if it has an inline form. */
export function generatorFor(i: Insn): InsnGenerator | undefined {
  return GENERATORS.get(i.exec);
}
