/**
 * The opcode map: for each one-byte opcode (0x00–0xFF) and two-byte opcode (0x100 + byte
 * after 0F), how to decode it (ModRM, immediates) and which handler executes it. Group
 * opcodes pick the handler by ModRM.reg. Opcodes absent here decode to #UD.
 */
import * as A from './exec-alu.js';
import * as D from './exec-bcd.js';
import * as G from './exec-descriptor.js';
import * as C from './exec-control.js';
import * as S from './exec-string.js';
import * as Y from './exec-system.js';
import * as X from './x87/exec-x87.js';
import type { Exec, Insn } from './insn.js';

export const enum OpFlag {
  MODRM = 1 << 0,
  BYTE = 1 << 1,
  IMM8 = 1 << 2, // imm8, zero-extended
  IMM8S = 1 << 3, // imm8, sign-extended
  IMMZ = 1 << 4, // imm16/imm32 by operand size
  IMM16 = 1 << 5,
  REL8 = 1 << 6,
  RELZ = 1 << 7,
  FAR = 1 << 8, // ptr16:16/32
  ENTER = 1 << 9, // imm16, imm8
  MOFFS = 1 << 10, // absolute offset by address size
  IMM_GROUP_TEST = 1 << 11, // F6/F7: /0 and /1 carry an immediate
  ENDS = 1 << 12, // ends a block (control transfer, or state the run loop must look at)
}

export interface OpSpec {
  exec: Exec;
  flags: number;
  group?: (Exec | undefined)[];
  regOnly?: boolean;
  memOnly?: boolean;
  /** Handler chosen from the decoded ModRM (rare irregular encodings). */
  special?: (i: Insn) => Exec | undefined;
  /** Ends the block only for some ModRM.reg values. */
  endsIf?: (i: Insn) => boolean;
}

export const OPCODES: (OpSpec | undefined)[] = new Array(0x200);

function def(op: number, exec: Exec, flags: number, extra: Partial<OpSpec> = {}): void {
  OPCODES[op] = { exec, flags, ...extra };
}

const M = OpFlag.MODRM;
const B = OpFlag.BYTE;
const END = OpFlag.ENDS;

// ALU: 00–3F in blocks of eight (r/m,r  r,r/m  AL/eAX,imm).
for (let op = 0; op < 8; op++) {
  const base = op << 3;
  def(base + 0, A.aluEG, M | B);
  def(base + 1, A.aluEG, M);
  def(base + 2, A.aluGE, M | B);
  def(base + 3, A.aluGE, M);
  def(base + 4, A.aluAI, B | OpFlag.IMM8);
  def(base + 5, A.aluAI, OpFlag.IMMZ);
}
def(0x06, C.pushSreg, 0);
def(0x07, C.popSreg, 0);
def(0x0e, C.pushSreg, 0);
def(0x16, C.pushSreg, 0);
def(0x17, C.popSreg, END); // POP SS opens an interrupt shadow
def(0x1e, C.pushSreg, 0);
def(0x1f, C.popSreg, 0);
for (let r = 0; r < 8; r++) {
  def(0x40 + r, A.incDecReg, 0);
  def(0x48 + r, A.incDecReg, 0);
  def(0x50 + r, C.pushReg, 0);
  def(0x58 + r, C.popReg, 0);
  def(0x90 + r, r === 0 ? A.nop : A.xchgAReg, 0);
  def(0xb0 + r, A.movRegImm, B | OpFlag.IMM8);
  def(0xb8 + r, A.movRegImm, OpFlag.IMMZ);
  def(0x1c8 + r, A.bswap, 0);
}
def(0x27, D.daa, 0);
def(0x2f, D.das, 0);
def(0x37, D.aaa, 0);
def(0x3f, D.aas, 0);
def(0xd4, D.aam, OpFlag.IMM8);
def(0xd5, D.aad, OpFlag.IMM8);
def(0x62, D.bound, M, { memOnly: true });
def(0x60, C.pusha, 0);
def(0x61, C.popa, 0);
def(0x68, C.pushImm, OpFlag.IMMZ);
def(0x69, A.imulGEI, M | OpFlag.IMMZ);
def(0x6a, C.pushImm, OpFlag.IMM8S);
def(0x6b, A.imulGEI, M | OpFlag.IMM8S);
def(0x6c, S.ins, B);
def(0x6d, S.ins, 0);
def(0x6e, S.outs, B);
def(0x6f, S.outs, 0);
for (let cc = 0; cc < 16; cc++) {
  def(0x70 + cc, C.jcc, OpFlag.REL8 | END);
  def(0x180 + cc, C.jcc, OpFlag.RELZ | END);
  def(0x190 + cc, A.setcc, M | B);
  def(0x140 + cc, A.cmovcc, M);
}
def(0x80, A.aluEI, M | B | OpFlag.IMM8);
def(0x81, A.aluEI, M | OpFlag.IMMZ);
def(0x82, A.aluEI, M | B | OpFlag.IMM8); // alias of 80 in 32-bit mode
def(0x83, A.aluEI, M | OpFlag.IMM8S);
def(0x84, A.testEG, M | B);
def(0x85, A.testEG, M);
def(0x86, A.xchgEG, M | B);
def(0x87, A.xchgEG, M);
def(0x88, A.movEG, M | B);
def(0x89, A.movEG, M);
def(0x8a, A.movGE, M | B);
def(0x8b, A.movGE, M);
def(0x8c, Y.movESreg, M);
def(0x8d, A.lea, M);
def(0x8e, Y.movSregE, M, { endsIf: (i) => i.reg === 2 }); // MOV SS: shadow
def(0x8f, C.popE, M, { group: [C.popE] });
def(0x98, A.cbw, 0);
def(0x99, A.cwd, 0);
def(0x9a, C.callFar, OpFlag.FAR | END);
def(0x9c, C.pushf, 0);
def(0x9d, C.popf, END); // IF may change: the run loop re-checks interrupts
def(0x9e, A.sahf, 0);
def(0x9f, A.lahf, 0);
def(0xa0, A.movAMoffs, B | OpFlag.MOFFS);
def(0xa1, A.movAMoffs, OpFlag.MOFFS);
def(0xa2, A.movMoffsA, B | OpFlag.MOFFS);
def(0xa3, A.movMoffsA, OpFlag.MOFFS);
def(0xa4, S.movs, B);
def(0xa5, S.movs, 0);
def(0xa6, S.cmps, B);
def(0xa7, S.cmps, 0);
def(0xa8, A.testAI, B | OpFlag.IMM8);
def(0xa9, A.testAI, OpFlag.IMMZ);
def(0xaa, S.stos, B);
def(0xab, S.stos, 0);
def(0xac, S.lods, B);
def(0xad, S.lods, 0);
def(0xae, S.scas, B);
def(0xaf, S.scas, 0);
const SHIFTS = [A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI];
def(0xc0, A.shiftEI, M | B | OpFlag.IMM8, { group: SHIFTS });
def(0xc1, A.shiftEI, M | OpFlag.IMM8, { group: SHIFTS });
def(0xc2, C.retImm, OpFlag.IMM16 | END);
def(0xc3, C.ret, END);
def(0xc6, A.movEI, M | B | OpFlag.IMM8, { group: [A.movEI] });
def(0xc7, A.movEI, M | OpFlag.IMMZ, { group: [A.movEI] });
def(0xc8, C.enter, OpFlag.ENTER);
def(0xc9, C.leave, 0);
def(0xca, C.retf, OpFlag.IMM16 | END);
def(0xcb, C.retf, END);
def(0xcc, C.int3, END);
def(0xcd, C.intImm, OpFlag.IMM8 | END);
def(0xce, C.into, END);
def(0xcf, C.iret, END);
def(0xd0, A.shiftE1, M | B);
def(0xd1, A.shiftE1, M);
def(0xd2, A.shiftECL, M | B);
def(0xd3, A.shiftECL, M);
def(0xd7, A.xlat, 0);
// x87 (x87/exec-x87.ts). Compiled blocks call the interpreter's handler for these (block-compiler.ts).
for (let op = 0xd8; op <= 0xdf; op++) def(op, X.x87, M);
def(0x9b, X.fwait, 0);
def(0xe0, C.loop, OpFlag.REL8 | END);
def(0xe1, C.loop, OpFlag.REL8 | END);
def(0xe2, C.loop, OpFlag.REL8 | END);
def(0xe3, C.loop, OpFlag.REL8 | END);
def(0xe4, Y.inPort, B | OpFlag.IMM8);
def(0xe5, Y.inPort, OpFlag.IMM8);
def(0xe6, Y.outPort, B | OpFlag.IMM8);
def(0xe7, Y.outPort, OpFlag.IMM8);
def(0xe8, C.callRel, OpFlag.RELZ | END);
def(0xe9, C.jmpRel, OpFlag.RELZ | END);
def(0xea, C.jmpFar, OpFlag.FAR | END);
def(0xeb, C.jmpRel, OpFlag.REL8 | END);
def(0xec, Y.inPort, B);
def(0xed, Y.inPort, 0);
def(0xee, Y.outPort, B);
def(0xef, Y.outPort, 0);
def(0xf4, Y.hlt, END);
def(0xf5, A.cmc, 0);
def(0xf6, A.testEI, M | B | OpFlag.IMM_GROUP_TEST, {
  group: [A.testEI, A.testEI, A.notE, A.negE, A.mulE, A.imulE, A.divE, A.idivE],
});
def(0xf7, A.testEI, M | OpFlag.IMM_GROUP_TEST, {
  group: [A.testEI, A.testEI, A.notE, A.negE, A.mulE, A.imulE, A.divE, A.idivE],
});
def(0xf8, A.clc, 0);
def(0xf9, A.stc, 0);
def(0xfa, Y.cli, 0);
def(0xfb, Y.sti, END); // the STI shadow is handled by the run loop
def(0xfc, A.cld, 0);
def(0xfd, A.std, 0);
def(0xfe, A.incDecE, M | B, { group: [A.incDecE, A.incDecE] });
def(0xff, A.incDecE, M, {
  group: [A.incDecE, A.incDecE, C.callE, C.callFarE, C.jmpE, C.jmpFarE, C.pushE],
  endsIf: (i) => i.reg >= 2 && i.reg <= 5,
});

// Two-byte map.
def(0x106, Y.clts, 0);
def(0x108, A.nop, 0); // INVD: no caches to drop
def(0x109, A.nop, 0); // WBINVD
def(0x10b, Y.execUD, END); // UD2
for (let op = 0x118; op <= 0x11f; op++) def(op, A.nop, M); // hint NOPs incl. multi-byte NOP 0F 1F /0
def(0x100, G.group6, M);
def(0x102, G.lar, M);
def(0x103, G.lsl, M);
def(0x101, Y.group7, M, { endsIf: (i) => i.mod === 3 && i.reg === 0 && i.rm === 1 }); // VMCALL ends
def(0x120, Y.movFromCr, M, { regOnly: true });
def(0x122, Y.movToCr, M | END, { regOnly: true });
def(0x130, Y.wrmsr, 0);
def(0x131, Y.rdtsc, END);
def(0x132, Y.rdmsr, 0);
def(0x1a0, C.pushSreg, 0);
def(0x1a1, C.popSreg, 0);
def(0x1a2, Y.cpuid, 0);
def(0x1a3, A.btEG, M);
def(0x1a4, A.shldI, M | OpFlag.IMM8);
def(0x1a5, A.shldCL, M);
def(0x1a8, C.pushSreg, 0);
def(0x1a9, C.popSreg, 0);
def(0x1ab, A.btEG, M);
def(0x1ac, A.shrdI, M | OpFlag.IMM8);
def(0x1ad, A.shrdCL, M);
def(0x1ae, X.fxsaveRstor, M); // FXSAVE /0, FXRSTOR /1; the SSE forms #UD
def(0x1af, A.imulGE, M);
def(0x1b0, A.cmpxchg, M | B);
def(0x1b1, A.cmpxchg, M);
def(0x1b3, A.btEG, M);
def(0x1b6, A.movzx, M);
def(0x1b7, A.movzx, M);
def(0x1ba, A.btEI, M | OpFlag.IMM8, { group: [undefined, undefined, undefined, undefined, A.btEI, A.btEI, A.btEI, A.btEI] });
def(0x1bb, A.btEG, M);
def(0x1bc, A.bsf, M);
def(0x1bd, A.bsr, M);
def(0x1be, A.movsx, M);
def(0x1bf, A.movsx, M);
def(0x1c0, A.xadd, M | B);
def(0x1c1, A.xadd, M);
def(0x1c7, A.cmpxchg8b, M, { group: [undefined, A.cmpxchg8b], memOnly: true });
