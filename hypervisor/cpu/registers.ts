/** x86 register numbering as the ModRM encoding uses it. */
export const enum Reg {
  EAX = 0,
  ECX = 1,
  EDX = 2,
  EBX = 3,
  ESP = 4,
  EBP = 5,
  ESI = 6,
  EDI = 7,
}

export const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

/** Segment registers in encoding order (the Sreg field of MOV Sreg and the prefix map). */
export const enum Seg {
  ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5,
}

export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** EFLAGS bits. */
export const enum Flag {
  CF = 1 << 0,
  FIXED1 = 1 << 1, // always reads as 1
  PF = 1 << 2,
  AF = 1 << 4,
  ZF = 1 << 6,
  SF = 1 << 7,
  TF = 1 << 8,
  IF = 1 << 9,
  DF = 1 << 10,
  OF = 1 << 11,
  IOPL = 3 << 12,
  NT = 1 << 14,
  RF = 1 << 16,
  VM = 1 << 17,
  AC = 1 << 18,
  VIF = 1 << 19,
  VIP = 1 << 20,
  ID = 1 << 21,
}

/** The six arithmetic flags, which the CPU computes lazily. */
export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** Bits POPF/IRET may change at CPL 0 (VM, VIF, VIP and RF are not writable here). */
export const WRITABLE_FLAGS =
  ARITH_FLAGS | Flag.TF | Flag.IF | Flag.DF | Flag.IOPL | Flag.NT | Flag.AC | Flag.ID;

export const enum Cr0 {
  PE = 1 << 0,
  MP = 1 << 1,
  EM = 1 << 2,
  TS = 1 << 3,
  ET = 1 << 4,
  NE = 1 << 5,
  WP = 1 << 16,
  AM = 1 << 18,
  NW = 1 << 29,
  CD = 1 << 30,
  PG = 1 << 31,
}

/** Exception vectors. */
export const enum Vector {
  DE = 0,
  DB = 1,
  NMI = 2,
  BP = 3,
  OF = 4,
  BR = 5,
  UD = 6,
  NM = 7,
  DF = 8,
  TS = 10,
  NP = 11,
  SS = 12,
  GP = 13,
  PF = 14,
  MF = 16,
  AC = 17,
}
