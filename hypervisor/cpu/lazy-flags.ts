/**
 * Lazy arithmetic flags. An ALU instruction records what it did (operation, operand size,
 * operands, result) instead of computing six flags; a flag is derived only when something
 * reads it (Jcc, SETcc, PUSHF, ADC...). Most flag results are overwritten unread, so this is
 * the main saving of the interpreter (Bochs and v86 do the same).
 */
import { ARITH_FLAGS, Flag } from './registers.js';

export const enum LazyOp {
  /** Flags are materialised in `flags`. */
  NONE = 0,
  ADD = 1,
  ADC = 2,
  SUB = 3,
  SBB = 4,
  /** AND/OR/XOR/TEST: CF=OF=0, AF=0. */
  LOGIC = 5,
  /** INC/DEC: as ADD/SUB of 1, but CF is the one saved in `lcf`. */
  INC = 6,
  DEC = 7,
  /** SZP from the result; CF, OF, AF given explicitly in lcf/lof/laf (shifts, multiplies). */
  RESULT = 8,
}

/** The lazy-flags part of the CPU state. */
export interface LazyFlagState {
  flags: number;
  lop: LazyOp;
  /** Operand size in bits: 8, 16 or 32. */
  lsz: number;
  la: number;
  lb: number;
  lr: number;
  /** Carry in (ADC/SBB), preserved CF (INC/DEC) or explicit CF (RESULT). */
  lcf: number;
  lof: number;
  laf: number;
}

/** PARITY_EVEN[b] is PF for a result whose low byte is b (set when the number of 1 bits is even). */
export const PARITY_EVEN = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  PARITY_EVEN[b] = n & 1 ? 0 : 1;
}

function mask(sz: number): number {
  return sz === 32 ? -1 : (1 << sz) - 1;
}

export function getCF(s: LazyFlagState): number {
  switch (s.lop) {
    case LazyOp.NONE:
      return s.flags & Flag.CF;
    case LazyOp.ADD: {
      const m = mask(s.lsz);
      return (s.lr & m) >>> 0 < (s.la & m) >>> 0 ? 1 : 0;
    }
    case LazyOp.ADC: {
      const m = mask(s.lsz);
      const r = (s.lr & m) >>> 0;
      const a = (s.la & m) >>> 0;
      return (s.lcf ? r <= a : r < a) ? 1 : 0;
    }
    case LazyOp.SUB: {
      const m = mask(s.lsz);
      return (s.la & m) >>> 0 < (s.lb & m) >>> 0 ? 1 : 0;
    }
    case LazyOp.SBB: {
      const m = mask(s.lsz);
      const a = (s.la & m) >>> 0;
      const b = (s.lb & m) >>> 0;
      return (s.lcf ? a <= b : a < b) ? 1 : 0;
    }
    case LazyOp.LOGIC:
      return 0;
    default: // INC, DEC, RESULT
      return s.lcf;
  }
}

export function getOF(s: LazyFlagState): number {
  switch (s.lop) {
    case LazyOp.NONE:
      return (s.flags >>> 11) & 1;
    case LazyOp.ADD:
    case LazyOp.ADC:
    case LazyOp.INC:
      return (((s.la ^ s.lr) & (s.lb ^ s.lr)) >>> (s.lsz - 1)) & 1;
    case LazyOp.SUB:
    case LazyOp.SBB:
    case LazyOp.DEC:
      return (((s.la ^ s.lb) & (s.la ^ s.lr)) >>> (s.lsz - 1)) & 1;
    case LazyOp.LOGIC:
      return 0;
    default:
      return s.lof;
  }
}

export function getZF(s: LazyFlagState): number {
  if (s.lop === LazyOp.NONE) return (s.flags >>> 6) & 1;
  return (s.lr & mask(s.lsz)) === 0 ? 1 : 0;
}

export function getSF(s: LazyFlagState): number {
  if (s.lop === LazyOp.NONE) return (s.flags >>> 7) & 1;
  return (s.lr >>> (s.lsz - 1)) & 1;
}

export function getPF(s: LazyFlagState): number {
  if (s.lop === LazyOp.NONE) return (s.flags >>> 2) & 1;
  return PARITY_EVEN[s.lr & 0xff]!;
}

export function getAF(s: LazyFlagState): number {
  switch (s.lop) {
    case LazyOp.NONE:
      return (s.flags >>> 4) & 1;
    case LazyOp.LOGIC:
      return 0;
    case LazyOp.RESULT:
      return s.laf;
    default:
      return ((s.la ^ s.lb ^ s.lr) >>> 4) & 1;
  }
}

/** The full EFLAGS value, arithmetic flags derived. */
export function materialize(s: LazyFlagState): number {
  if (s.lop === LazyOp.NONE) return s.flags;
  const arith =
    getCF(s) | (getPF(s) << 2) | (getAF(s) << 4) | (getZF(s) << 6) | (getSF(s) << 7) | (getOF(s) << 11);
  return (s.flags & ~ARITH_FLAGS) | arith;
}

/** Materialise into `flags` and drop the lazy record (before partial flag updates). */
export function settle(s: LazyFlagState): void {
  if (s.lop !== LazyOp.NONE) {
    s.flags = materialize(s);
    s.lop = LazyOp.NONE;
  }
}

/**
 * Condition codes 0..15 (the low nibble of Jcc/SETcc/CMOVcc). The common CMP+Jcc pair is
 * answered straight from the operands.
 */
export function testCondition(s: LazyFlagState, cc: number): boolean {
  if (s.lop === LazyOp.SUB) {
    const sh = 32 - s.lsz;
    switch (cc) {
      case 2:
        return (s.la << sh) >>> 0 < (s.lb << sh) >>> 0;
      case 3:
        return (s.la << sh) >>> 0 >= (s.lb << sh) >>> 0;
      case 4:
        return (s.la << sh) === (s.lb << sh);
      case 5:
        return (s.la << sh) !== (s.lb << sh);
      case 6:
        return (s.la << sh) >>> 0 <= (s.lb << sh) >>> 0;
      case 7:
        return (s.la << sh) >>> 0 > (s.lb << sh) >>> 0;
      case 12:
        return s.la << sh < s.lb << sh;
      case 13:
        return s.la << sh >= s.lb << sh;
      case 14:
        return s.la << sh <= s.lb << sh;
      case 15:
        return s.la << sh > s.lb << sh;
    }
  }
  let r: boolean;
  switch (cc >> 1) {
    case 0:
      r = getOF(s) === 1;
      break;
    case 1:
      r = getCF(s) === 1;
      break;
    case 2:
      r = getZF(s) === 1;
      break;
    case 3:
      r = (getCF(s) | getZF(s)) === 1;
      break;
    case 4:
      r = getSF(s) === 1;
      break;
    case 5:
      r = getPF(s) === 1;
      break;
    case 6:
      r = getSF(s) !== getOF(s);
      break;
    default:
      r = getZF(s) === 1 || getSF(s) !== getOF(s);
      break;
  }
  return cc & 1 ? !r : r;
}
