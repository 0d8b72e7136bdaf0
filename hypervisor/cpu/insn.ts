/**
 * A decoded instruction. Decoding happens once per instruction per cached block; execution
 * reads these fields. Every field is a number (or the handler), so all instances share one
 * hidden class and the interpreter's property loads stay monomorphic.
 */
import type { Cpu } from './cpu.js';

export type Exec = (c: Cpu, i: Insn) => void;

export class Insn {
  exec: Exec;
  /** Length in bytes. */
  len = 0;
  /** Opcode: one-byte map 0x00–0xFF, two-byte map 0x100 + second byte. */
  op = 0;
  /** Operand size in bytes: 1, 2 or 4. */
  osz = 4;
  /** 16-bit addressing (0x67 prefix). */
  asz16 = 0;
  /** ModRM fields; `mod` 3 means a register operand in `rm`. -1 = no ModRM. */
  mod = -1;
  reg = 0;
  rm = 0;
  /** Memory operand: base and index registers (-1 = none), scale as a shift, displacement, segment. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  seg = 0;
  /** Immediate (sign-extended where the encoding says so) and a second immediate (ENTER, far pointers). */
  imm = 0;
  imm2 = 0;
  /** 0 = none, 1 = REP/REPE (F3), 2 = REPNE (F2). */
  rep = 0;
  /** LOCK prefix present. */
  lock = 0;
  /** A segment override prefix was present (string instructions honour it for the source only). */
  segOverride = 0;

  constructor(exec: Exec) {
    this.exec = exec;
  }
}
