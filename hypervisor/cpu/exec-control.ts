/**
 * Control transfer and the stack: Jcc, JMP, CALL, RET (near and far), LOOP, INT, IRET,
 * ENTER/LEAVE, PUSH/POP in all forms. EIP already points past the instruction when a
 * handler runs, so relative targets are `eip + imm`.
 */
import type { Cpu } from './cpu.js';
import { fault, ud } from './fault.js';
import type { Insn } from './insn.js';
import { getOF, LazyOp, testCondition } from './lazy-flags.js';
import { Flag, Reg, Seg, Vector, WRITABLE_FLAGS } from './registers.js';
import { loadCodeSegment, loadDataSegment } from './segments.js';

function jumpTo(c: Cpu, i: Insn, target: number): void {
  c.eip = i.osz === 2 ? target & 0xffff : target | 0;
}

export function jcc(c: Cpu, i: Insn): void {
  if (testCondition(c, i.op & 0xf)) jumpTo(c, i, c.eip + i.imm);
}

export function jmpRel(c: Cpu, i: Insn): void {
  jumpTo(c, i, c.eip + i.imm);
}

export function callRel(c: Cpu, i: Insn): void {
  c.push(i.osz, c.eip);
  jumpTo(c, i, c.eip + i.imm);
}

/** JMP r/m (FF /4). */
export function jmpE(c: Cpu, i: Insn): void {
  jumpTo(c, i, c.readRM(i));
}

/** CALL r/m (FF /2). */
export function callE(c: Cpu, i: Insn): void {
  const target = c.readRM(i);
  c.push(i.osz, c.eip);
  jumpTo(c, i, target);
}

export function ret(c: Cpu, i: Insn): void {
  jumpTo(c, i, c.pop(i.osz));
}

/** RET imm16 (C2): pop the return address, then release imm16 bytes of arguments. */
export function retImm(c: Cpu, i: Insn): void {
  const target = c.pop(i.osz);
  c.regs[Reg.ESP] = (c.regs[Reg.ESP]! + i.imm) | 0;
  jumpTo(c, i, target);
}

/** JMP ptr16:32 (EA). */
export function jmpFar(c: Cpu, i: Insn): void {
  loadCodeSegment(c, i.imm2);
  c.eip = i.imm;
}

/**
 * A far call to `sel`:`target`: load CS, push the old CS and the return EIP; a push that faults
 * leaves CS and ESP as they were, so the call restarts cleanly.
 */
function farCall(c: Cpu, osz: number, sel: number, target: number): void {
  const cs = c.segSel[Seg.CS]!;
  const sp = c.regs[Reg.ESP]!;
  const saved = c.saveSegment(Seg.CS);
  loadCodeSegment(c, sel);
  try {
    c.push(osz, cs);
    c.push(osz, c.eip);
  } catch (e) {
    c.regs[Reg.ESP] = sp;
    c.restoreSegment(Seg.CS, saved);
    throw e;
  }
  c.eip = target;
}

/** CALL ptr16:32 (9A). */
export function callFar(c: Cpu, i: Insn): void {
  farCall(c, i.osz, i.imm2, i.imm);
}

/** JMP m16:32 (FF /5) and CALL m16:32 (FF /3). */
export function jmpFarE(c: Cpu, i: Insn): void {
  if (i.mod === 3) ud();
  const addr = c.ea(i);
  const off = c.rd(addr, i.osz);
  const sel = c.rd16(addr + i.osz);
  loadCodeSegment(c, sel);
  c.eip = i.osz === 2 ? off & 0xffff : off;
}

export function callFarE(c: Cpu, i: Insn): void {
  if (i.mod === 3) ud();
  const addr = c.ea(i);
  const off = c.rd(addr, i.osz);
  const sel = c.rd16(addr + i.osz);
  farCall(c, i.osz, sel, i.osz === 2 ? off & 0xffff : off);
}

/** RETF (CB) and RETF imm16 (CA), same privilege level only. */
export function retf(c: Cpu, i: Insn): void {
  const sp = c.regs[Reg.ESP]!;
  const off = c.pop(i.osz);
  const sel = c.pop(i.osz) & 0xffff;
  try {
    loadCodeSegment(c, sel);
  } catch (e) {
    c.regs[Reg.ESP] = sp;
    throw e;
  }
  if (i.op === 0xca) c.regs[Reg.ESP] = (c.regs[Reg.ESP]! + i.imm) | 0;
  c.eip = i.osz === 2 ? off & 0xffff : off;
}

/** LOOP/LOOPE/LOOPNE/JECXZ (E0–E3). */
export function loop(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const count16 = i.asz16 !== 0;
  if (i.op === 0xe3) {
    const cx = count16 ? regs[Reg.ECX]! & 0xffff : regs[Reg.ECX]!;
    if (cx === 0) jumpTo(c, i, c.eip + i.imm);
    return;
  }
  let cx: number;
  if (count16) {
    cx = (regs[Reg.ECX]! - 1) & 0xffff;
    c.setReg(Reg.ECX, 2, cx);
  } else {
    cx = regs[Reg.ECX] = (regs[Reg.ECX]! - 1) | 0;
  }
  let take = cx !== 0;
  if (i.op === 0xe1) take &&= testCondition(c, 4); // LOOPE: ZF=1
  else if (i.op === 0xe0) take &&= testCondition(c, 5); // LOOPNE: ZF=0
  if (take) jumpTo(c, i, c.eip + i.imm);
}

export function int3(c: Cpu, _i: Insn): void {
  c.softwareInterrupt(Vector.BP);
}

export function intImm(c: Cpu, i: Insn): void {
  c.softwareInterrupt(i.imm & 0xff);
}

export function into(c: Cpu, _i: Insn): void {
  if (getOF(c)) c.softwareInterrupt(Vector.OF);
}

/** IRET (CF): same-privilege return only (no task return, no VM86). */
export function iret(c: Cpu, i: Insn): void {
  if (c.flags & Flag.NT) fault(Vector.GP, 0); // task return: not supported
  const sp = c.regs[Reg.ESP]!;
  const eip = c.pop(i.osz);
  const cs = c.pop(i.osz) & 0xffff;
  const fl = c.pop(i.osz);
  try {
    loadCodeSegment(c, cs);
  } catch (e) {
    c.regs[Reg.ESP] = sp;
    throw e;
  }
  const mask = i.osz === 2 ? WRITABLE_FLAGS & 0xffff : WRITABLE_FLAGS;
  c.flags = (c.getEflags() & ~mask) | (fl & mask) | Flag.FIXED1;
  c.lop = LazyOp.NONE;
  c.eip = i.osz === 2 ? eip & 0xffff : eip;
}

/** ENTER imm16, imm8 (C8). */
export function enter(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const size = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const osz = i.osz;
  const sp0 = regs[Reg.ESP]!;
  try {
    c.push(osz, regs[Reg.EBP]!);
    const frame = regs[Reg.ESP]!;
    if (level > 0) {
      let bp = regs[Reg.EBP]!;
      for (let k = 1; k < level; k++) {
        bp = (bp - osz) | 0;
        c.push(osz, c.rd(bp + c.segBase[Seg.SS]!, osz));
      }
      c.push(osz, frame);
    }
    // Touch the new stack top so a fault happens here, before any register changes.
    const top = (regs[Reg.ESP]! - size) | 0;
    if (size > 0) c.rd8(top + c.segBase[Seg.SS]!);
    c.setReg(Reg.EBP, osz, frame);
    regs[Reg.ESP] = top;
  } catch (e) {
    regs[Reg.ESP] = sp0;
    throw e;
  }
}

/** LEAVE (C9). */
export function leave(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const v = c.rd(regs[Reg.EBP]! + c.segBase[Seg.SS]!, i.osz);
  regs[Reg.ESP] = (regs[Reg.EBP]! + i.osz) | 0;
  c.setReg(Reg.EBP, i.osz, v);
}

// ---------------------------------------------------------------- push and pop

export function pushReg(c: Cpu, i: Insn): void {
  c.push(i.osz, c.getReg(i.op & 7, i.osz));
}

export function popReg(c: Cpu, i: Insn): void {
  const v = c.pop(i.osz);
  c.setReg(i.op & 7, i.osz, v);
}

/** PUSH imm (68, 6A). */
export function pushImm(c: Cpu, i: Insn): void {
  c.push(i.osz, i.imm);
}

/** PUSH r/m (FF /6). */
export function pushE(c: Cpu, i: Insn): void {
  c.push(i.osz, c.readRM(i));
}

/** POP r/m (8F /0): ESP is incremented before the destination address is computed. */
export function popE(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const sp = regs[Reg.ESP]!;
  const v = c.pop(i.osz);
  try {
    c.writeRM(i, v);
  } catch (e) {
    regs[Reg.ESP] = sp;
    throw e;
  }
}

const SREG_OF: Record<number, Seg> = {
  0x06: Seg.ES,
  0x07: Seg.ES,
  0x0e: Seg.CS,
  0x16: Seg.SS,
  0x17: Seg.SS,
  0x1e: Seg.DS,
  0x1f: Seg.DS,
  0x1a0: Seg.FS,
  0x1a1: Seg.FS,
  0x1a8: Seg.GS,
  0x1a9: Seg.GS,
};

export function pushSreg(c: Cpu, i: Insn): void {
  const sel = c.segSel[SREG_OF[i.op]!]!;
  if (i.osz === 2) c.push16(sel);
  else {
    // A 32-bit push of a segment register writes only the low 16 bits (as recent Intel parts do).
    const sp = (c.regs[Reg.ESP]! - 4) | 0;
    c.wr16(sp + c.segBase[Seg.SS]!, sel);
    c.regs[Reg.ESP] = sp;
  }
}

export function popSreg(c: Cpu, i: Insn): void {
  const seg = SREG_OF[i.op]!;
  const sp = c.regs[Reg.ESP]!;
  const sel = c.pop(i.osz) & 0xffff;
  try {
    loadDataSegment(c, seg, sel);
  } catch (e) {
    c.regs[Reg.ESP] = sp;
    throw e;
  }
  if (seg === Seg.SS) c.shadow = true;
}

/** PUSHA/PUSHAD (60). */
export function pusha(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const sp0 = regs[Reg.ESP]!;
  const osz = i.osz;
  // Write all eight first, then move ESP: a fault leaves the registers untouched.
  for (let r = 0; r < 8; r++) {
    const v = r === Reg.ESP ? sp0 : regs[r]!;
    c.wr(sp0 - (r + 1) * osz + c.segBase[Seg.SS]!, osz, v);
  }
  regs[Reg.ESP] = (sp0 - 8 * osz) | 0;
}

/** POPA/POPAD (61): the saved ESP is discarded. */
export function popa(c: Cpu, i: Insn): void {
  const regs = c.regs;
  const sp0 = regs[Reg.ESP]!;
  const osz = i.osz;
  const vals = new Array<number>(8);
  for (let r = 0; r < 8; r++) vals[7 - r] = c.rd(sp0 + r * osz + c.segBase[Seg.SS]!, osz);
  for (let r = 0; r < 8; r++) if (r !== Reg.ESP) c.setReg(r, osz, vals[r]!);
  regs[Reg.ESP] = (sp0 + 8 * osz) | 0;
}

/** PUSHF/PUSHFD (9C): VM and RF read as 0 in the pushed image. */
export function pushf(c: Cpu, i: Insn): void {
  const f = c.getEflags() & ~(Flag.VM | Flag.RF);
  c.push(i.osz, f);
}

/** POPF/POPFD (9D) at CPL 0: IF and IOPL are writable. */
export function popf(c: Cpu, i: Insn): void {
  const v = c.pop(i.osz);
  const mask = i.osz === 2 ? WRITABLE_FLAGS & 0xffff : WRITABLE_FLAGS;
  c.flags = (c.getEflags() & ~mask) | (v & mask) | Flag.FIXED1;
  c.lop = LazyOp.NONE;
}
