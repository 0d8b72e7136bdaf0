/**
 * Instructions that look at descriptors without loading them: SLDT, STR (0F 00 /0, /1), VERR,
 * VERW (0F 00 /4, /5), LAR and LSL (0F 02, 0F 03). ZF says whether the selector names a
 * descriptor the current privilege may see; a failed check writes nothing and never faults
 * (except for the memory operand itself). No LDT and no task register exist yet, so LDTR and
 * TR read 0 and selectors with TI=1 fail the check.
 */
import type { Cpu } from './cpu.js';
import { ud } from './fault.js';
import type { Insn } from './insn.js';
import { settle } from './lazy-flags.js';
import { Flag, Seg } from './registers.js';

/** LDTR and TR as the boot state leaves them (loaded by nothing yet). */
const LDTR_SELECTOR = 0;
const TR_SELECTOR = 0;

/** System descriptor types LAR accepts (LSL: those with a limit, 1 2 3 9 B). */
const LAR_SYSTEM_TYPES = new Set([1, 2, 3, 4, 5, 9, 0xb, 0xc]);
const LSL_SYSTEM_TYPES = new Set([1, 2, 3, 9, 0xb]);

function setZF(c: Cpu, on: boolean): void {
  settle(c);
  c.flags = on ? c.flags | Flag.ZF : c.flags & ~Flag.ZF;
}

/** A selector's descriptor words, or undefined if the selector cannot name one here. */
function lookup(c: Cpu, selector: number): { lo: number; hi: number } | undefined {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0 || selector & 4) return undefined;
  const offset = selector & 0xfff8;
  if (offset + 7 > c.gdtrLimit) return undefined;
  return { lo: c.rd32(c.gdtrBase + offset), hi: c.rd32(c.gdtrBase + offset + 4) };
}

/** The privilege check LAR, LSL, VERR and VERW share: conforming code passes, others need DPL >= max(CPL, RPL). */
function visible(c: Cpu, selector: number, hi: number): boolean {
  const conformingCode = (hi & 0x1c00) === 0x1c00;
  if (conformingCode) return true;
  const dpl = (hi >>> 13) & 3;
  return dpl >= Math.max(c.segSel[Seg.CS]! & 3, selector & 3); // CPL: CS's RPL
}

function selectorOperand(c: Cpu, i: Insn): number {
  return i.mod === 3 ? c.getReg(i.rm, 2) : c.rd16(c.ea(i));
}

/** 0F 00: group 6. */
export function group6(c: Cpu, i: Insn): void {
  switch (i.reg) {
    case 0: // SLDT
    case 1: {
      // STR. A register destination takes the selector zero-extended (P6 and later); memory takes 16 bits.
      const sel = i.reg === 0 ? LDTR_SELECTOR : TR_SELECTOR;
      if (i.mod === 3) c.setReg(i.rm, i.osz, sel);
      else c.wr16(c.ea(i), sel);
      return;
    }
    case 4: // VERR
    case 5: {
      // VERW
      const sel = selectorOperand(c, i);
      const d = lookup(c, sel);
      let ok = false;
      if (d && d.hi & 0x1000 && visible(c, sel, d.hi)) {
        const code = (d.hi & 0x800) !== 0;
        const rw = (d.hi & 0x200) !== 0;
        ok = i.reg === 4 ? !code || rw : !code && rw;
      }
      setZF(c, ok);
      return;
    }
    default: // LLDT, LTR: no LDT or task state segment yet
      ud();
  }
}

function checkAndRead(c: Cpu, i: Insn, systemTypes: Set<number>): { ok: false } | { ok: true; lo: number; hi: number } {
  const sel = selectorOperand(c, i);
  const d = lookup(c, sel);
  if (!d) return { ok: false };
  const isSegment = (d.hi & 0x1000) !== 0;
  if (!isSegment && !systemTypes.has((d.hi >>> 8) & 0xf)) return { ok: false };
  if (!visible(c, sel, d.hi)) return { ok: false };
  return { ok: true, ...d };
}

/** 0F 02: LAR r, r/m16. */
export function lar(c: Cpu, i: Insn): void {
  const r = checkAndRead(c, i, LAR_SYSTEM_TYPES);
  setZF(c, r.ok);
  if (r.ok) c.setReg(i.reg, i.osz, r.hi & 0x00f0ff00);
}

/** 0F 03: LSL r, r/m16 (the limit in bytes: scaled by 4 KiB when G is set). */
export function lsl(c: Cpu, i: Insn): void {
  const r = checkAndRead(c, i, LSL_SYSTEM_TYPES);
  setZF(c, r.ok);
  if (!r.ok) return;
  let limit = (r.lo & 0xffff) | (r.hi & 0xf0000);
  if (r.hi & 0x800000) limit = ((limit << 12) | 0xfff) >>> 0;
  c.setReg(i.reg, i.osz, limit);
}
