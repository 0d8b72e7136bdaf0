/**
 * Decimal adjust (DAA, DAS, AAA, AAS, AAM, AAD) and BOUND: rarely emitted by compilers but
 * part of the 32-bit integer set, so they run rather than raise #UD.
 */
import type { Cpu } from './cpu.js';
import { fault, ud } from './fault.js';
import type { Insn } from './insn.js';
import { getAF, getCF, LazyOp } from './lazy-flags.js';
import { Reg, Vector } from './registers.js';

/** Set CF and AF explicitly and SF/ZF/PF from the 8-bit result (OF cleared: undefined). */
function bcdFlags(c: Cpu, al: number, cf: number, af: number): void {
  c.lop = LazyOp.RESULT;
  c.lsz = 8;
  c.lr = al & 0xff;
  c.lcf = cf;
  c.laf = af;
  c.lof = 0;
}

export function daa(c: Cpu, _i: Insn): void {
  const oldAl = c.regs[Reg.EAX]! & 0xff;
  const oldCf = getCF(c);
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || getAF(c)) {
    al += 6;
    cf = oldCf | (al > 0xff ? 1 : 0);
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al += 0x60;
    cf = 1;
  } else cf = 0;
  c.setReg8(0, al);
  bcdFlags(c, al, cf, af);
}

export function das(c: Cpu, _i: Insn): void {
  const oldAl = c.regs[Reg.EAX]! & 0xff;
  const oldCf = getCF(c);
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || getAF(c)) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al -= 6;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al -= 0x60;
    cf = 1;
  }
  c.setReg8(0, al);
  bcdFlags(c, al, cf, af);
}

/** AAA/AAS: adjust AX after an unpacked-BCD add/subtract; `adjusted(ax)` is the carry case. */
function asciiAdjust(c: Cpu, adjusted: (ax: number) => number): void {
  const ax = c.regs[Reg.EAX]! & 0xffff;
  const carry = (ax & 0xf) > 9 || getAF(c) !== 0;
  const r = carry ? adjusted(ax) & 0xffff : ax;
  c.setReg(Reg.EAX, 2, r & 0xff0f);
  bcdFlags(c, r & 0x0f, carry ? 1 : 0, carry ? 1 : 0);
}

export function aaa(c: Cpu, _i: Insn): void {
  asciiAdjust(c, (ax) => ax + 0x106);
}

export function aas(c: Cpu, _i: Insn): void {
  asciiAdjust(c, (ax) => ax - 6 - 0x100);
}

export function aam(c: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  if (base === 0) fault(Vector.DE);
  const al = c.regs[Reg.EAX]! & 0xff;
  const r = ((Math.floor(al / base) & 0xff) << 8) | al % base;
  c.setReg(Reg.EAX, 2, r);
  bcdFlags(c, r, 0, 0);
}

export function aad(c: Cpu, i: Insn): void {
  const ax = c.regs[Reg.EAX]! & 0xffff;
  const al = ((ax & 0xff) + (ax >>> 8) * (i.imm & 0xff)) & 0xff;
  c.setReg(Reg.EAX, 2, al);
  bcdFlags(c, al, 0, 0);
}

/** BOUND r, m (62): #BR unless lower <= index <= upper (signed). */
export function bound(c: Cpu, i: Insn): void {
  if (i.mod === 3) ud();
  const addr = c.ea(i);
  const sh = 32 - (i.osz << 3);
  const idx = (c.getReg(i.reg, i.osz) << sh) >> sh;
  const lo = (c.rd(addr, i.osz) << sh) >> sh;
  const hi = (c.rd(addr + i.osz, i.osz) << sh) >> sh;
  if (idx < lo || idx > hi) fault(Vector.BR);
}

