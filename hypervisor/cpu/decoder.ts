/**
 * x86 decoder: prefixes, one- and two-byte opcode maps, ModRM/SIB/displacement/immediate,
 * into an Insn whose handler was chosen at decode time. Decoding is separate from execution
 * so a block compiler can later consume the same Insn records (docs/architecture.md §9).
 */
import { Insn, type Exec } from './insn.js';
import { OPCODES, OpFlag, type OpSpec } from './opcode-table.js';
import { Seg } from './registers.js';
import { execUD, execGPInsnTooLong } from './exec-system.js';
import { RunAbort } from './fault.js';

/** Longest block, in instructions: bounds the latency of a kick and of interrupt injection. */
const MAX_BLOCK_INSNS = 64;
const MAX_INSN_LEN = 15;

export type FetchByte = (lin: number) => number;

/** Decode instructions from `start` until one that ends a block (or the size limit). */
export function decodeBlock(fetch: FetchByte, start: number): Insn[] {
  const out: Insn[] = [];
  let pc = start;
  for (;;) {
    let i: Insn;
    let ends: boolean;
    try {
      const d = decodeOne(fetch, pc);
      i = d.insn;
      ends = d.ends;
    } catch (e) {
      // Code running into memory that cannot be fetched: end the block before it, so the
      // fetch fault is raised only if execution really gets there. An abandoned run (the
      // domain crashed on a page table outside RAM) is not a fetch fault: it goes on up.
      if (out.length > 0 && !(e instanceof RunAbort)) return out;
      throw e;
    }
    out.push(i);
    pc = (pc + i.len) | 0;
    if (ends || out.length >= MAX_BLOCK_INSNS) return out;
    // Stop at a page boundary so a block never outlives a change to the next page's p2m type.
    if (((pc ^ start) & ~0xfff) !== 0) return out;
  }
}

interface Decoded {
  insn: Insn;
  ends: boolean;
}

export function decodeOne(fetch: FetchByte, start: number): Decoded {
  let pc = start;
  const next = (): number => {
    if (pc - start >= MAX_INSN_LEN) throw new InsnTooLong();
    const b = fetch(pc);
    pc = (pc + 1) | 0;
    return b;
  };
  const i = new Insn(execUD);
  let osz16 = false;
  let seg = -1;
  let b: number;
  try {
    // Prefixes.
    for (;;) {
      b = next();
      if (b === 0x66) osz16 = true;
      else if (b === 0x67) i.asz16 = 1;
      else if (b === 0xf0) i.lock = 1;
      else if (b === 0xf3) i.rep = 1;
      else if (b === 0xf2) i.rep = 2;
      else if (b === 0x26) seg = Seg.ES;
      else if (b === 0x2e) seg = Seg.CS;
      else if (b === 0x36) seg = Seg.SS;
      else if (b === 0x3e) seg = Seg.DS;
      else if (b === 0x64) seg = Seg.FS;
      else if (b === 0x65) seg = Seg.GS;
      else break;
    }
    let op = b;
    if (op === 0x0f) op = 0x100 | next();
    i.op = op;
    const spec: OpSpec | undefined = OPCODES[op];
    if (spec === undefined) {
      i.len = pc - start;
      return { insn: i, ends: true };
    }
    const f = spec.flags;
    i.osz = f & OpFlag.BYTE ? 1 : osz16 ? 2 : 4;
    i.segOverride = seg >= 0 ? 1 : 0;
    i.seg = seg >= 0 ? seg : Seg.DS;
    let exec: Exec = spec.exec;
    if (f & OpFlag.MODRM) {
      decodeModRM(i, next, seg);
      if (spec.group) {
        const g = spec.group[i.reg];
        exec = g ?? execUD;
      }
      if (spec.regOnly && i.mod !== 3) exec = execUD;
      if (spec.memOnly && i.mod === 3) exec = execUD;
      if (spec.special) exec = spec.special(i) ?? exec;
    }
    // Immediates.
    if (f & OpFlag.IMM8) i.imm = next();
    else if (f & OpFlag.IMM8S) i.imm = (next() << 24) >> 24;
    else if (f & OpFlag.IMMZ) i.imm = readImm(next, i.osz === 2 ? 2 : 4);
    else if (f & OpFlag.IMM16) i.imm = readImm(next, 2);
    else if (f & OpFlag.REL8) i.imm = (next() << 24) >> 24;
    else if (f & OpFlag.RELZ) i.imm = i.osz === 2 ? (readImm(next, 2) << 16) >> 16 : readImm(next, 4);
    else if (f & OpFlag.FAR) {
      i.imm = readImm(next, i.osz === 2 ? 2 : 4);
      i.imm2 = readImm(next, 2);
    } else if (f & OpFlag.ENTER) {
      i.imm = readImm(next, 2);
      i.imm2 = next();
    } else if (f & OpFlag.MOFFS) {
      i.disp = readImm(next, i.asz16 ? 2 : 4);
      i.base = -1;
      i.index = -1;
    } else if (f & OpFlag.IMM_GROUP_TEST && i.reg <= 1) {
      // F6/F7 /0 and /1: TEST r/m, imm.
      i.imm = i.osz === 1 ? next() : readImm(next, i.osz);
    }
    if (i.lock && !lockable(i)) exec = execUD;
    i.exec = exec;
    i.len = pc - start;
    const ends = (f & OpFlag.ENDS) !== 0 || (spec.endsIf !== undefined && spec.endsIf(i));
    return { insn: i, ends };
  } catch (e) {
    if (e instanceof InsnTooLong) {
      i.exec = execGPInsnTooLong;
      i.len = MAX_INSN_LEN;
      return { insn: i, ends: true };
    }
    throw e;
  }
}

class InsnTooLong {}

/** LOCK is legal only on a read-modify-write instruction with a memory destination. */
function lockable(i: Insn): boolean {
  if (i.mod === 3 || i.mod < 0) return false;
  const op = i.op;
  if (op < 0x40) return (op & 7) <= 1 && (op >> 3) !== 7; // ALU r/m,r except CMP
  switch (op) {
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83:
      return i.reg !== 7;
    case 0x86:
    case 0x87:
    case 0x1ab:
    case 0x1b3:
    case 0x1bb:
    case 0x1b0:
    case 0x1b1:
    case 0x1c0:
    case 0x1c1:
      return true;
    case 0xf6:
    case 0xf7:
      return i.reg === 2 || i.reg === 3;
    case 0xfe:
    case 0xff:
      return i.reg <= 1;
    case 0x1ba:
      return i.reg >= 5;
    case 0x1c7:
      return i.reg === 1;
    default:
      return false;
  }
}

/** 16-bit ModRM r/m 4–7: SI, DI, BP, BX. */
const BASE16 = [-1, -1, -1, -1, 6, 7, 5, 3];

function readImm(next: () => number, n: number): number {
  if (n === 1) return next();
  if (n === 2) return next() | (next() << 8);
  return next() | (next() << 8) | (next() << 16) | (next() << 24);
}

/** ModRM (+ SIB, displacement). `seg` is the override prefix or -1. */
function decodeModRM(i: Insn, next: () => number, seg: number): void {
  const m = next();
  i.mod = m >> 6;
  i.reg = (m >> 3) & 7;
  i.rm = m & 7;
  if (i.mod === 3) return;
  let defaultSeg = Seg.DS;
  if (i.asz16) {
    // 16-bit addressing: fixed base/index pairs.
    if (i.mod === 0 && i.rm === 6) {
      i.base = -1;
      i.index = -1;
      i.disp = (readImm(next, 2) << 16) >> 16;
    } else {
      if (i.rm < 4) {
        i.base = i.rm < 2 ? 3 : 5; // BX or BP
        i.index = i.rm & 1 ? 7 : 6; // DI or SI
      } else {
        i.base = BASE16[i.rm]!;
        i.index = -1;
      }
      if (i.base === 5) defaultSeg = Seg.SS;
      i.disp = i.mod === 1 ? (next() << 24) >> 24 : i.mod === 2 ? (readImm(next, 2) << 16) >> 16 : 0;
    }
    i.scale = 0;
  } else {
    i.base = i.rm;
    i.index = -1;
    i.scale = 0;
    if (i.rm === 4) {
      const sib = next();
      i.scale = sib >> 6;
      const idx = (sib >> 3) & 7;
      i.index = idx === 4 ? -1 : idx;
      i.base = sib & 7;
      if (i.base === 5 && i.mod === 0) {
        i.base = -1;
        i.disp = readImm(next, 4);
      }
    } else if (i.rm === 5 && i.mod === 0) {
      i.base = -1;
      i.disp = readImm(next, 4);
    }
    if (i.mod === 1) i.disp = (next() << 24) >> 24;
    else if (i.mod === 2) i.disp = readImm(next, 4);
    if (i.base === 4 || i.base === 5) defaultSeg = Seg.SS;
  }
  i.seg = seg >= 0 ? seg : defaultSeg;
}
