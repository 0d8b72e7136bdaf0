/**
 * The x87 instructions: escape opcodes D8–DF (SDM Vol. 2, "FADD" … "FYL2XP1"; the opcode map
 * in Vol. 2 appendix A.4), FWAIT (9B) and FXSAVE/FXRSTOR (0F AE /0, /1). One handler decodes
 * the ModRM form; the arithmetic is in float80-*.ts, the state in x87-state.ts.
 *
 * Before anything: CR0.EM or CR0.TS raise #NM (FWAIT: only TS with MP), the lazy FPU switch
 * kernels rely on (SDM Vol. 3 §2.5, table 2-2). A waiting instruction with an unmasked
 * exception pending raises #MF when CR0.NE = 1; with NE = 0 the exception was reported on
 * FERR# (IRQ 13 through the PIC, x87-state.ts) when it was raised and the instruction runs on,
 * as a PC chipset's IGNNE# lets it.
 *
 * Memory operands go through x87-memory.ts. Every instruction reads its memory operand before
 * it changes any state, and stores before it commits flags and pops, so a fault leaves the
 * FPU as it was.
 */
import type { Cpu } from '../cpu.js';
import { fault, ud } from '../fault.js';
import type { Insn } from '../insn.js';
import { Cr0, Flag, Reg, Seg, Vector } from '../registers.js';
import { classify, Exc, F80, INDEFINITE, Kind, RoundInfo, ZERO, ONE, quiet } from './float80.js';
import * as A from './float80-arith.js';
import * as V from './float80-convert.js';
import * as T from './float80-transcendental.js';
import { CONSTANTS } from './float80-constants.js';
import { fldenv, frstor, fsave, fstenv, fxrstor, fxsave } from './x87-env.js';
import { rd64, rdBytes, wr64, wrBytes } from './x87-memory.js';
import { Sw, type X87State } from './x87-state.js';

const info = new RoundInfo();

/** #NM for an x87 instruction (EM or TS). */
function checkNm(c: Cpu): void {
  if (c.cr0 & (Cr0.EM | Cr0.TS)) fault(Vector.NM);
}

/**
 * A waiting instruction meets a pending unmasked exception: #MF with CR0.NE = 1; with NE = 0,
 * FERR# (held until ES clears) and the instruction goes on, as QEMU's fpu_raise_exception
 * does (the PC's IRQ 13 and IGNNE# wiring).
 */
function checkPending(c: Cpu, f: X87State): void {
  if (!f.pending) return;
  if (c.cr0 & Cr0.NE) fault(Vector.MF);
  if (!f.ferr) {
    f.ferr = true;
    f.ferrRequest = true;
    c.requestStop(); // the vCPU loop routes it to the PIC before the next instruction
  }
}

/** The control instructions, which neither wait nor record FIP/FOP. */
function isNonWaiting(i: Insn): boolean {
  const op = i.op;
  if (op === 0xd9 && i.mod !== 3) return i.reg === 4 || i.reg === 6 || i.reg === 7; // FLDENV, FNSTENV, FNSTCW
  if (op === 0xdb && i.mod === 3 && i.reg === 4) return true; // FNENI, FNDISI, FNCLEX, FNINIT, FNSETPM
  if (op === 0xdd && i.mod !== 3) return i.reg === 6 || i.reg === 7 || i.reg === 4; // FNSAVE, FNSTSW, FRSTOR
  if (op === 0xdf && i.mod === 3 && i.reg === 4) return true; // FNSTSW AX
  return false;
}

function isControl(i: Insn): boolean {
  if (isNonWaiting(i)) return true;
  return i.op === 0xd9 && i.mod !== 3 && i.reg === 5; // FLDCW
}

export function fwait(c: Cpu, _i: Insn): void {
  if ((c.cr0 & (Cr0.TS | Cr0.MP)) === (Cr0.TS | Cr0.MP)) fault(Vector.NM);
  checkPending(c, c.fpu);
}

/** Merge `info` into the status word; returns true if an unmasked IE, ZE or DE suppresses the result. */
function commit(_c: Cpu, f: X87State, ex: number): boolean {
  const unmasked = f.raise(ex);
  return unmasked && (ex & ~f.cw & (Exc.IE | Exc.DE | Exc.ZE)) !== 0;
}

function setC1(f: X87State, v: number | boolean): void {
  if (v) f.sw |= Sw.C1;
  else f.sw &= ~Sw.C1;
}

/** C1 after a rounding operation: set when the magnitude was rounded up (PE), else clear. */
function roundedC1(f: X87State, r: RoundInfo): void {
  setC1(f, (r.exc & Exc.PE) !== 0 && r.up !== 0);
}

function setCC(f: X87State, c3: number, c2: number, c1: number, c0: number): void {
  f.sw = (f.sw & ~(Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3)) | (c3 ? Sw.C3 : 0) | (c2 ? Sw.C2 : 0) | (c1 ? Sw.C1 : 0) | (c0 ? Sw.C0 : 0);
}

/** Stack underflow (an empty register read): IE and SF with C1 = 0. Returns true when masked. */
function underflow(c: Cpu, f: X87State): boolean {
  commit(c, f, Exc.IE | Exc.SF);
  setC1(f, 0);
  return (f.cw & Exc.IE) !== 0;
}

/** A compare with an empty operand: unordered whether or not IE is masked; the pops only when masked. */
function compareUnderflow(c: Cpu, f: X87State, pops: number): void {
  const masked = underflow(c, f);
  setCC(f, 1, 1, 0, 1);
  if (masked) for (let k = 0; k < pops; k++) f.pop();
}

/** Stack overflow (a push onto a full register): IE and SF with C1 = 1. Returns true when masked. */
function overflow(c: Cpu, f: X87State): boolean {
  commit(c, f, Exc.IE | Exc.SF);
  setC1(f, 1);
  return (f.cw & Exc.IE) !== 0;
}

/** Push `v`, or handle a full stack (the masked response pushes the indefinite). */
function pushValue(c: Cpu, f: X87State, v: F80): boolean {
  if (!f.isEmpty(7)) {
    if (overflow(c, f)) f.push(INDEFINITE);
    return false;
  }
  f.push(v);
  return true;
}

/** Record FIP/FCS/FOP (and FDP/FDS for a memory operand) of a non-control instruction. */
function recordPointers(c: Cpu, f: X87State, i: Insn): void {
  f.fip = c.curEip >>> 0;
  f.fcs = c.segSel[Seg.CS]!;
  f.fop = ((i.op & 7) << 8) | ((i.mod & 3) << 6) | ((i.reg & 7) << 3) | (i.rm & 7);
  if (i.mod !== 3) {
    f.fdp = c.eaOffset(i) >>> 0;
    f.fds = c.segSel[i.seg]!;
  }
}

/** ESC D8–DF. */
export function x87(c: Cpu, i: Insn): void {
  checkNm(c);
  const f = c.fpu;
  if (!isNonWaiting(i)) checkPending(c, f);
  if (i.mod === 3) execRegister(c, f, i);
  else execMemory(c, f, i, c.ea(i));
  if (!isControl(i)) recordPointers(c, f, i);
  if (!f.pending) f.ferr = false;
}

// ---------------------------------------------------------------- arithmetic

/** The D8 operation `reg` on (ST(0), x): ST(0)+x, ST(0)*x, compare, ST(0)-x, x-ST(0), ST(0)/x, x/ST(0). */
function arith(reg: number, a: F80, x: F80, cw: number, xDen: boolean): F80 {
  // xDen: x came from a denormal memory operand (exact now, but still a denormal operand).
  const second = xDen ? 2 : 0;
  const first = xDen ? 1 : 0;
  switch (reg) {
    case 0:
      return A.add(a, x, false, cw, info, second);
    case 1:
      return A.mul(a, x, cw, info, second);
    case 4:
      return A.add(a, x, true, cw, info, second);
    case 5:
      return A.add(x, a, true, cw, info, first);
    case 6:
      return A.div(a, x, cw, info, second);
    default:
      return A.div(x, a, cw, info, first);
  }
}

/** ST(dst) = ST(0) op x (or the compare forms), popping when asked. `srcExc` carries a memory operand's load flags. */
function arithStore(c: Cpu, f: X87State, reg: number, x: F80 | null, xi: number, dst: number, popAfter: boolean, srcExc = 0): void {
  if (f.isEmpty(0) || (x === null && f.isEmpty(xi))) {
    if (reg === 2 || reg === 3) {
      compareUnderflow(c, f, reg === 3 || popAfter ? 1 : 0);
      return;
    }
    if (underflow(c, f)) {
      f.setSt(dst, INDEFINITE);
      if (popAfter) f.pop();
    }
    return;
  }
  const a = f.st(0);
  const b = x ?? f.st(xi);
  info.reset();
  const xDen = (srcExc & Exc.DE) !== 0;
  if (reg === 2 || reg === 3) {
    const suppressed = compareInto(c, f, a, b, true, xDen ? 2 : 0);
    if ((reg === 3 || popAfter) && !suppressed) f.pop();
    return;
  }
  const r = arith(reg, a, b, f.cw, xDen);
  if (commit(c, f, info.exc | (srcExc & ~Exc.DE))) {
    roundedC1(f, info);
    return;
  }
  roundedC1(f, info);
  f.setSt(dst, r);
  if (popAfter) f.pop();
}

/** Compare into C3, C2, C0. Returns true when an unmasked exception suppresses the pops. */
function compareInto(c: Cpu, f: X87State, a: F80, b: F80, ordered: boolean, denMask = 0): boolean {
  // The condition codes are written even when an unmasked IE or DE is raised (as the host does).
  const rel = A.compare(a, b, ordered, f.cw, info, denMask);
  const suppressed = commit(c, f, info.exc);
  ccFromRel(f, rel);
  return suppressed;
}

function ccFromRel(f: X87State, rel: A.Rel): void {
  switch (rel) {
    case A.Rel.GT:
      setCC(f, 0, 0, 0, 0);
      break;
    case A.Rel.LT:
      setCC(f, 0, 0, 0, 1);
      break;
    case A.Rel.EQ:
      setCC(f, 1, 0, 0, 0);
      break;
    default:
      setCC(f, 1, 1, 0, 1);
  }
}

/** FCOMI/FUCOMI(P): ZF, PF, CF from the comparison; OF, SF, AF cleared. */
function comi(c: Cpu, f: X87State, i: Insn, ordered: boolean, popAfter: boolean): void {
  const setFlags = (zf: number, pf: number, cf: number): void => {
    const e = c.getEflags() & ~(Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF);
    c.setEflags(e | (zf ? Flag.ZF : 0) | (pf ? Flag.PF : 0) | (cf ? Flag.CF : 0));
  };
  if (f.isEmpty(0) || f.isEmpty(i.rm)) {
    // Unordered whether or not IE is masked; the pop only when masked (host).
    const masked = underflow(c, f);
    setFlags(1, 1, 1);
    if (popAfter && masked) f.pop();
    return;
  }
  info.reset();
  const rel = A.compare(f.st(0), f.st(i.rm), ordered, f.cw, info);
  const suppressed = commit(c, f, info.exc);
  if (rel === A.Rel.GT) setFlags(0, 0, 0);
  else if (rel === A.Rel.LT) setFlags(0, 0, 1);
  else if (rel === A.Rel.EQ) setFlags(1, 0, 0);
  else setFlags(1, 1, 1);
  if (popAfter && !suppressed) f.pop();
}

// ---------------------------------------------------------------- memory forms

function readReal(c: Cpu, lin: number, bits: 32 | 64): { v: F80; exc: number } {
  const raw = bits === 32 ? BigInt(c.rd32(lin) >>> 0) : rd64(c, lin);
  info.reset();
  const v = V.fromIeee(raw, bits, info, false);
  return { v, exc: info.exc };
}

function readInt(c: Cpu, lin: number, bits: number): F80 {
  if (bits === 16) return V.fromInt(BigInt((c.rd16(lin) << 16) >> 16));
  if (bits === 32) return V.fromInt(BigInt(c.rd32(lin) | 0));
  return V.fromInt(BigInt.asIntN(64, rd64(c, lin)));
}

function writeInt(c: Cpu, lin: number, bits: number, v: bigint): void {
  if (bits === 16) c.wr16(lin, Number(BigInt.asUintN(16, v)));
  else if (bits === 32) c.wr32(lin, Number(BigInt.asIntN(32, v)));
  else wr64(c, lin, BigInt.asUintN(64, v));
}

function execMemory(c: Cpu, f: X87State, i: Insn, lin: number): void {
  const reg = i.reg;
  switch (i.op) {
    case 0xd8:
    case 0xdc: {
      const { v, exc } = readReal(c, lin, i.op === 0xd8 ? 32 : 64);
      arithStore(c, f, reg, v, 0, 0, false, exc);
      return;
    }
    case 0xda:
    case 0xde:
      arithStore(c, f, reg, readInt(c, lin, i.op === 0xda ? 32 : 16), 0, 0, false);
      return;
    case 0xd9:
      switch (reg) {
        case 0:
          return loadReal(c, f, lin, 32);
        case 2:
          return storeReal(c, f, lin, 32, false);
        case 3:
          return storeReal(c, f, lin, 32, true);
        case 4:
          return fldenv(c, f, lin, i.osz);
        case 5:
          f.cw = (c.rd16(lin) & 0x1f3f) | 0x40;
          return updateAfterCw(c, f);
        case 6:
          return fstenv(c, f, lin, i.osz);
        case 7:
          return c.wr16(lin, f.cw);
        default:
          ud();
      }
    // falls through (ud() never returns)
    case 0xdb:
      switch (reg) {
        case 0:
          return loadInt(c, f, lin, 32);
        case 2:
          return storeInt(c, f, lin, 32, false);
        case 3:
          return storeInt(c, f, lin, 32, true);
        case 5: {
          const b = rdBytes(c, lin, 10);
          pushValue(c, f, F80.fromBytes(b));
          setC1IfPushed(f);
          return;
        }
        case 7:
          return storeExtended(c, f, lin);
        default:
          ud(); // FISTTP (SSE3) and the reserved forms
      }
    // falls through
    case 0xdd:
      switch (reg) {
        case 0:
          return loadReal(c, f, lin, 64);
        case 2:
          return storeReal(c, f, lin, 64, false);
        case 3:
          return storeReal(c, f, lin, 64, true);
        case 4:
          return frstor(c, f, lin, i.osz);
        case 6:
          return fsave(c, f, lin, i.osz);
        case 7:
          return c.wr16(lin, f.status());
        default:
          ud();
      }
    // falls through
    default: // 0xdf
      switch (reg) {
        case 0:
          return loadInt(c, f, lin, 16);
        case 2:
          return storeInt(c, f, lin, 16, false);
        case 3:
          return storeInt(c, f, lin, 16, true);
        case 4: {
          const b = rdBytes(c, lin, 10);
          pushValue(c, f, V.fromBcd(b));
          setC1IfPushed(f);
          return;
        }
        case 5:
          return loadInt(c, f, lin, 64);
        case 6:
          return storeBcd(c, f, lin);
        case 7:
          return storeInt(c, f, lin, 64, true);
        default:
          ud();
      }
  }
}

/** After a load that did not overflow the stack, C1 is 0 (overflow set it to 1). */
function setC1IfPushed(f: X87State): void {
  if (!(f.sw & Exc.SF) || !(f.sw & Sw.C1)) setC1(f, 0);
}

function updateAfterCw(_c: Cpu, f: X87State): void {
  f.updateEs();
}

function loadReal(c: Cpu, f: X87State, lin: number, bits: 32 | 64): void {
  const { v, exc } = readReal(c, lin, bits);
  if (!f.isEmpty(7)) {
    if (overflow(c, f)) f.push(INDEFINITE);
    return;
  }
  const k = classify(v);
  let e = exc;
  let val = v;
  if (k === Kind.SNAN) {
    e |= Exc.IE;
    val = quiet(v);
  }
  // An unmasked IE (SNaN) stops the load; an unmasked DE does not (host).
  commit(c, f, e);
  setC1(f, 0);
  if (e & ~f.cw & Exc.IE) return;
  f.push(val);
}

function loadInt(c: Cpu, f: X87State, lin: number, bits: number): void {
  const v = readInt(c, lin, bits);
  if (pushValue(c, f, v)) setC1(f, 0);
}

function storeReal(c: Cpu, f: X87State, lin: number, bits: 32 | 64, popAfter: boolean): void {
  let raw: bigint;
  info.reset();
  let ex: number;
  if (f.isEmpty(0)) {
    ex = Exc.IE | Exc.SF;
    raw = V.ieeeIndefinite(bits);
  } else {
    raw = V.toIeee(f.st(0), bits, f.cw, info);
    ex = info.exc;
  }
  const unmaskedStops = ex & ~f.cw & (Exc.IE | Exc.DE | Exc.OE | Exc.UE);
  if (!unmaskedStops) {
    if (bits === 32) c.wr32(lin, Number(raw));
    else wr64(c, lin, raw);
  }
  commit(c, f, ex);
  if (ex & Exc.SF) setC1(f, 0);
  else roundedC1(f, info);
  if (popAfter && !unmaskedStops) f.pop();
}

function storeInt(c: Cpu, f: X87State, lin: number, bits: number, popAfter: boolean): void {
  info.reset();
  let ex: number;
  let v: bigint;
  if (f.isEmpty(0)) {
    ex = Exc.IE | Exc.SF;
    v = V.intIndefinite(bits);
  } else {
    v = V.toInt(f.st(0), bits, f.cw, info);
    ex = info.exc;
  }
  const stops = ex & ~f.cw & (Exc.IE | Exc.DE);
  if (!stops) writeInt(c, lin, bits, v);
  commit(c, f, ex);
  if (ex & Exc.SF) setC1(f, 0);
  else roundedC1(f, info);
  if (popAfter && !stops) f.pop();
}

function storeExtended(c: Cpu, f: X87State, lin: number): void {
  const empty = f.isEmpty(0);
  if (empty && !(f.cw & Exc.IE)) {
    underflow(c, f);
    return;
  }
  const b: number[] = [];
  (empty ? INDEFINITE : f.st(0)).toBytes(b);
  c.probeWrite(lin, 10);
  wrBytes(c, lin, b);
  if (empty) underflow(c, f);
  else setC1(f, 0);
  f.pop();
}

function storeBcd(c: Cpu, f: X87State, lin: number): void {
  info.reset();
  let ex: number;
  let b: number[];
  if (f.isEmpty(0)) {
    ex = Exc.IE | Exc.SF;
    b = V.bcdIndefinite();
  } else {
    b = V.toBcd(f.st(0), f.cw, info);
    ex = info.exc;
  }
  const stops = ex & ~f.cw & (Exc.IE | Exc.DE);
  if (!stops) {
    c.probeWrite(lin, 10);
    wrBytes(c, lin, b);
  }
  commit(c, f, ex);
  if (ex & Exc.SF) setC1(f, 0);
  else roundedC1(f, info);
  if (!stops) f.pop();
}

// ---------------------------------------------------------------- register forms

function execRegister(c: Cpu, f: X87State, i: Insn): void {
  const reg = i.reg;
  const rm = i.rm;
  switch (i.op) {
    case 0xd8:
      return arithStore(c, f, reg, null, rm, 0, false);
    case 0xdc:
      return arithStore(c, f, reg, null, rm, reg === 2 || reg === 3 ? 0 : rm, false);
    case 0xde:
      if (reg === 3 && rm !== 1) ud();
      if (reg === 3) return fcompp(c, f, true);
      return arithStore(c, f, reg, null, rm, reg === 2 ? 0 : rm, true);
    case 0xd9:
      return execD9(c, f, reg, rm);
    case 0xda:
      if (reg < 4) return fcmov(c, f, reg, rm, false);
      if (reg === 5 && rm === 1) return fcompp(c, f, false);
      ud();
    // falls through
    case 0xdb:
      if (reg < 4) return fcmov(c, f, reg, rm, true);
      if (reg === 4) {
        if (rm === 2) {
          f.sw &= ~(0x7f | Sw.ES);
          clearFerr(f);
          return;
        }
        if (rm === 3) {
          f.init();
          clearFerr(f);
          return;
        }
        if (rm === 0 || rm === 1 || rm === 4) return; // FNENI, FNDISI, FNSETPM: no-ops since the 387
        ud();
      }
      if (reg === 5) return comi(c, f, i, false, false);
      if (reg === 6) return comi(c, f, i, true, false);
      ud();
    // falls through
    case 0xdd:
      switch (reg) {
        case 0: // FFREE
          f.empty[f.phys(rm)] = 1;
          setC1(f, 0);
          return;
        case 1:
          return fxch(c, f, rm);
        case 2:
          return fstReg(c, f, rm, false);
        case 3:
          return fstReg(c, f, rm, true);
        case 4:
        case 5:
          return fucom(c, f, rm, reg === 5);
        default:
          ud();
      }
    // falls through
    default: // 0xdf
      switch (reg) {
        case 0: // FFREEP
          f.empty[f.phys(rm)] = 1;
          f.pop();
          return;
        case 1:
          return fxch(c, f, rm);
        case 2:
        case 3:
          return fstReg(c, f, rm, true);
        case 4:
          if (rm !== 0) ud();
          c.setReg(Reg.EAX, 2, f.status());
          return;
        case 5:
          return comi(c, f, i, false, true);
        case 6:
          return comi(c, f, i, true, true);
        default:
          ud();
      }
  }
}

function clearFerr(f: X87State): void {
  f.ferr = false;
}

function fucom(c: Cpu, f: X87State, rm: number, popAfter: boolean): void {
  if (f.isEmpty(0) || f.isEmpty(rm)) {
    compareUnderflow(c, f, popAfter ? 1 : 0);
    return;
  }
  info.reset();
  if (!compareInto(c, f, f.st(0), f.st(rm), false) && popAfter) f.pop();
}

/** FCOMPP (DE D9) and FUCOMPP (DA E9): compare ST(0) with ST(1), pop twice. */
function fcompp(c: Cpu, f: X87State, ordered: boolean): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    compareUnderflow(c, f, 2);
    return;
  }
  info.reset();
  if (compareInto(c, f, f.st(0), f.st(1), ordered)) return;
  f.pop();
  f.pop();
}

function fxch(c: Cpu, f: X87State, rm: number): void {
  if (f.isEmpty(0) || f.isEmpty(rm)) {
    if (!underflow(c, f)) return;
    if (f.isEmpty(0)) f.setSt(0, INDEFINITE);
    if (f.isEmpty(rm)) f.setSt(rm, INDEFINITE);
  } else setC1(f, 0);
  const a = f.st(0);
  f.setSt(0, f.st(rm));
  f.setSt(rm, a);
}

function fstReg(c: Cpu, f: X87State, rm: number, popAfter: boolean): void {
  if (f.isEmpty(0)) {
    if (!underflow(c, f)) return;
    f.setSt(rm, INDEFINITE);
  } else {
    setC1(f, 0);
    f.setSt(rm, f.st(0));
  }
  if (popAfter) f.pop();
}

/** FCMOVcc: B, E, BE, U and (negated) NB, NE, NBE, NU on CF, ZF, PF. */
function fcmov(c: Cpu, f: X87State, cc: number, rm: number, negate: boolean): void {
  const fl = c.getEflags();
  let t: boolean;
  if (cc === 0) t = (fl & Flag.CF) !== 0;
  else if (cc === 1) t = (fl & Flag.ZF) !== 0;
  else if (cc === 2) t = (fl & (Flag.CF | Flag.ZF)) !== 0;
  else t = (fl & Flag.PF) !== 0;
  if (negate) t = !t;
  if (f.isEmpty(0) || f.isEmpty(rm)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    return;
  }
  if (t) f.setSt(0, f.st(rm)); // C1 is left as it was (host)
}

/** One-operand operation on ST(0) that stores a rounded result in place. */
function unaryInPlace(c: Cpu, f: X87State, op: (a: F80) => F80): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    return;
  }
  info.reset();
  const r = op(f.st(0));
  const suppressed = commit(c, f, info.exc);
  roundedC1(f, info);
  if (!suppressed) f.setSt(0, r);
}

/** Two-operand operation writing ST(1) from ST(0) and ST(1), then popping (FPATAN, FYL2X, FYL2XP1). */
function binaryPop(c: Cpu, f: X87State, op: (st0: F80, st1: F80) => F80): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(c, f)) {
      f.setSt(1, INDEFINITE);
      f.pop();
    }
    return;
  }
  info.reset();
  const r = op(f.st(0), f.st(1));
  const suppressed = commit(c, f, info.exc);
  roundedC1(f, info);
  if (suppressed) return;
  f.setSt(1, r);
  f.pop();
}

function execD9(c: Cpu, f: X87State, reg: number, rm: number): void {
  switch (reg) {
    case 0: {
      // FLD ST(i)
      if (f.isEmpty(rm)) {
        // An empty source is an underflow even when ST(7) is full as well (host).
        if (underflow(c, f)) f.push(INDEFINITE);
        return;
      }
      if (pushValue(c, f, f.st(rm))) setC1(f, 0);
      return;
    }
    case 1:
      return fxch(c, f, rm);
    case 2:
      if (rm !== 0) ud();
      return; // FNOP
    case 3:
      return fstReg(c, f, rm, true); // D9 D8+i: FSTP alias
    case 4:
      switch (rm) {
        case 0:
          return signOp(c, f, (a) => a.negate());
        case 1:
          return signOp(c, f, (a) => a.abs());
        case 4:
          return ftst(c, f);
        case 5:
          return fxam(f);
        default:
          ud();
      }
    // falls through
    case 5: {
      if (rm === 7) ud();
      const k = CONSTANTS[rm]!;
      if (pushValue(c, f, k((f.cw >>> 10) & 3))) setC1(f, 0);
      return;
    }
    case 6:
      switch (rm) {
        case 0:
          return unaryInPlace(c, f, (a) => T.f2xm1(a, f.cw, info));
        case 1:
          return binaryPop(c, f, (x, y) => T.yl2x(x, y, f.cw, info));
        case 2:
          return fptan(c, f);
        case 3:
          return binaryPop(c, f, (x, y) => T.atan2(y, x, f.cw, info));
        case 4:
          return fxtract(c, f);
        case 5:
          return fprem(c, f, true);
        case 6:
          f.top = (f.top - 1) & 7;
          setC1(f, 0);
          return;
        default:
          f.top = (f.top + 1) & 7;
          setC1(f, 0);
          return;
      }
    default:
      switch (rm) {
        case 0:
          return fprem(c, f, false);
        case 1:
          return binaryPop(c, f, (x, y) => T.yl2xp1(x, y, f.cw, info));
        case 2:
          return unaryInPlace(c, f, (a) => A.sqrt(a, f.cw, info));
        case 3:
          return fsincos(c, f);
        case 4:
          return unaryInPlace(c, f, (a) => A.roundInt(a, f.cw, info));
        case 5:
          return fscale(c, f);
        case 6:
          return trig(c, f, T.Trig.SIN);
        default:
          return trig(c, f, T.Trig.COS);
      }
  }
}

/** FCHS, FABS: the sign bit only; C1 cleared. */
function signOp(c: Cpu, f: X87State, op: (a: F80) => F80): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    return;
  }
  setC1(f, 0);
  f.setSt(0, op(f.st(0)));
}

function ftst(c: Cpu, f: X87State): void {
  if (f.isEmpty(0)) {
    compareUnderflow(c, f, 0);
    return;
  }
  info.reset();
  compareInto(c, f, f.st(0), ZERO, true);
}

/** FXAM: the class of ST(0) in C3, C2, C0 and its sign in C1 (SDM Vol. 2 FXAM table). */
function fxam(f: X87State): void {
  const v = f.st(0);
  const s = v.sign;
  if (f.isEmpty(0)) return setCC(f, 1, 0, s, 1);
  switch (classify(v)) {
    case Kind.UNSUPPORTED:
      return setCC(f, 0, 0, s, 0);
    case Kind.QNAN:
    case Kind.SNAN:
      return setCC(f, 0, 0, s, 1);
    case Kind.NORMAL:
      return setCC(f, 0, 1, s, 0);
    case Kind.INFINITY:
      return setCC(f, 0, 1, s, 1);
    case Kind.ZERO:
      return setCC(f, 1, 0, s, 0);
    default:
      return setCC(f, 1, 1, s, 0);
  }
}

function fxtract(c: Cpu, f: X87State): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    return;
  }
  if (!f.isEmpty(7)) {
    if (overflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    return;
  }
  info.reset();
  const [expo, sig] = A.xtract(f.st(0), f.cw, info);
  if (commit(c, f, info.exc)) {
    setC1(f, 0);
    return;
  }
  setC1(f, 0);
  f.setSt(0, expo);
  f.push(sig);
}

function fscale(c: Cpu, f: X87State): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    return;
  }
  info.reset();
  const r = A.scale(f.st(0), f.st(1), f.cw, info);
  const suppressed = commit(c, f, info.exc);
  roundedC1(f, info);
  if (!suppressed) f.setSt(0, r);
}

function fprem(c: Cpu, f: X87State, ieee: boolean): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    f.sw &= ~Sw.C2; // C0 and C3 are left as they were (host)
    return;
  }
  info.reset();
  const r = A.prem(f.st(0), f.st(1), ieee, f.cw, info);
  const suppressed = commit(c, f, info.exc);
  const k = classify(r.value);
  const q = r.q;
  // Partial: C2 = 1 and the quotient bits cleared. A NaN result or an invalid operand clears
  // C2 and C1 and leaves C0 and C3 (host).
  if (suppressed || info.exc & Exc.IE || k === Kind.QNAN || k === Kind.SNAN) f.sw &= ~(Sw.C2 | Sw.C1);
  else if (r.partial) setCC(f, 0, 1, 0, 0);
  else setCC(f, (q >> 1) & 1, 0, q & 1, (q >> 2) & 1);
  if (suppressed) return;
  f.setSt(0, r.value);
}

/** FSIN, FCOS: C2 = 1 and ST(0) unchanged when |ST(0)| ≥ 2^63. */
function trig(c: Cpu, f: X87State, which: T.Trig): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) f.setSt(0, INDEFINITE);
    f.sw &= ~Sw.C2; // the trigonometric forms clear C2 on a stack fault (host)
    return;
  }
  info.reset();
  const r = T.trig(f.st(0), which, f.cw, info);
  if (r === null) {
    f.sw |= Sw.C2;
    return;
  }
  const suppressed = commit(c, f, info.exc);
  f.sw &= ~Sw.C2;
  roundedC1(f, info);
  if (!suppressed) f.setSt(0, r);
}

function fptan(c: Cpu, f: X87State): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    f.sw &= ~Sw.C2;
    return;
  }
  if (!f.isEmpty(7)) {
    if (overflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    f.sw &= ~Sw.C2;
    return;
  }
  info.reset();
  const a = f.st(0);
  const r = T.trig(a, T.Trig.TAN, f.cw, info);
  if (r === null) {
    f.sw |= Sw.C2;
    return;
  }
  const suppressed = commit(c, f, info.exc);
  f.sw &= ~Sw.C2;
  roundedC1(f, info);
  if (suppressed) return;
  f.setSt(0, r);
  const k = classify(r);
  f.push(k === Kind.QNAN || k === Kind.SNAN ? r : ONE);
}

function fsincos(c: Cpu, f: X87State): void {
  if (f.isEmpty(0)) {
    if (underflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    f.sw &= ~Sw.C2;
    return;
  }
  if (!f.isEmpty(7)) {
    if (overflow(c, f)) {
      f.setSt(0, INDEFINITE);
      f.push(INDEFINITE);
    }
    f.sw &= ~Sw.C2;
    return;
  }
  info.reset();
  const a = f.st(0);
  const s = T.trig(a, T.Trig.SIN, f.cw, info);
  if (s === null) {
    f.sw |= Sw.C2;
    return;
  }
  const sinInfo = { exc: info.exc, up: info.up };
  info.reset();
  const co = T.trig(a, T.Trig.COS, f.cw, info)!;
  const suppressed = commit(c, f, info.exc | sinInfo.exc);
  f.sw &= ~Sw.C2;
  setC1(f, sinInfo.up !== 0 && (sinInfo.exc & Exc.PE) !== 0);
  if (suppressed) return;
  f.setSt(0, s);
  f.push(co);
}

/** FXSAVE (0F AE /0) and FXRSTOR (0F AE /1): #NM on EM or TS; no pending-exception check. */
export function fxsaveRstor(c: Cpu, i: Insn): void {
  if (c.cr0 & (Cr0.EM | Cr0.TS)) fault(Vector.NM);
  if (i.mod === 3) ud();
  const lin = c.ea(i);
  if (i.reg === 0) fxsave(c, c.fpu, lin);
  else if (i.reg === 1) fxrstor(c, c.fpu, lin);
  else ud();
  if (!c.fpu.pending) c.fpu.ferr = false;
}
