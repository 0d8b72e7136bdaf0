/**
 * The state of one block compilation and the code shapes every instruction shares: guest
 * registers and segment bases held in JavaScript locals, lazy flags held in locals and known
 * at compile time, effective addresses, and RAM accesses with their fast path inline and a
 * cold path that writes the state back and calls the Cpu's own accessor.
 *
 * Names in the generated code (bound by block-compiler.ts): `c` the Cpu, `R` c.regs, `SB`
 * c.segBase, `FR`/`FW` the fast-path frame maps, `M8`/`M32`/`MV` RAM as bytes, words and a
 * DataView, `TR`/`TW` the TLB's inline read/write verdicts (tlb.ts; `tq`/`pq` hold the entry and
 * the physical address), `TC`/`GCF` testCondition/getCF, `PE` the parity table, `FLT` fault(), `MHU`
 * mulHighU32, `k` the index of the instruction that may throw, `ab` "an exit asked to abort
 * the block".
 */
import type { Insn } from './insn.js';
import { LazyOp } from './lazy-flags.js';
import { ARITH_FLAGS } from './registers.js';

/**
 * Where the arithmetic flags are at this point of the generated code:
 * MEM   in the Cpu object (c.lop, c.la … or c.flags), as left by the previous block or a handler;
 * LAZY  a lazy record in the locals fa fb fr (and fc, fo), operation and size known here;
 * ARITH the six flag bits, materialised, in the local ff.
 */
export const enum FlagsAt {
  MEM = 0,
  LAZY = 1,
  ARITH = 2,
}

/** A code fragment's operand: a JavaScript expression (string) of an int32 or zero-extended value. */
export type Expr = string;

const NOT_ARITH = ~ARITH_FLAGS;

export class BlockContext {
  private readonly out: string[] = [];
  /** Guest registers read or written anywhere in the block (bit r). */
  usedRegs = 0;
  /** Registers whose local differs from c.regs (bit r). */
  private dirty = 0;
  /** Segment registers whose base is read (bit s). */
  usedSegs = 0;

  flagsAt = FlagsAt.MEM;
  /** For LAZY: the LazyOp and the operand size in bits. */
  lazyOp: LazyOp = LazyOp.NONE;
  lazySize = 32;

  /**
   * The instruction being compiled: its index, and its offset and the next one's from the
   * block's first EIP. Generated code holds EIPs relative to `e0` (c.eip at entry), so one
   * translation serves any CS base that maps the block to the same linear address.
   */
  index = 0;
  curOff = 0;
  nextOff = 0;
  /** The current instruction has a cold path through an exit (so `ab` must be checked after it). */
  mayAbort = false;
  /** EIP after the block when a control transfer was compiled inline (null: fall through or handler). */
  exitEip: Expr | null = null;
  /**
   * A block ending in a relative JMP/Jcc/CALL with a 32-bit operand size: the condition
   * ('true' for JMP and CALL) and the target's offset from the block's first EIP (0: the block
   * jumps to itself). Such a target's linear address is fixed (block start + offset), so the
   * compiled block can link to the next block itself.
   */
  branchCond: Expr | null = null;
  branchOff = -1;
  /** The last instruction's cold path may have set `ab` (the block must not link then). */
  lastMayAbort = false;

  /** Handler-called instructions (their Insn and handler are bound as constants). */
  readonly handlerIndexes = new Set<number>();

  /** `paging`: accesses translate through the TLB inline (a hit needs no call). */
  constructor(
    readonly insns: readonly Insn[],
    readonly paging = false,
  ) {}

  emit(code: string): void {
    this.out.push(code);
  }

  body(): string {
    return this.out.join('\n');
  }

  // ------------------------------------------------------------------ registers

  /** The value of register `r` at operand size `osz` (8/16-bit values zero-extended). */
  reg(r: number, osz: number): Expr {
    if (osz === 4) {
      this.usedRegs |= 1 << r;
      return `r${r}`;
    }
    if (osz === 2) {
      this.usedRegs |= 1 << r;
      return `(r${r} & 65535)`;
    }
    if (r < 4) {
      this.usedRegs |= 1 << r;
      return `(r${r} & 255)`;
    }
    this.usedRegs |= 1 << (r - 4);
    return `((r${r - 4} >>> 8) & 255)`;
  }

  /** Emit `register r (osz) = v`; `v` must be an int32 expression when osz is 4. */
  setReg(r: number, osz: number, v: Expr): void {
    if (osz === 4) {
      this.touch(r);
      this.emit(`r${r} = ${v};`);
    } else if (osz === 2) {
      this.touch(r);
      this.emit(`r${r} = (r${r} & -65536) | (${v} & 65535);`);
    } else if (r < 4) {
      this.touch(r);
      this.emit(`r${r} = (r${r} & -256) | (${v} & 255);`);
    } else {
      this.touch(r - 4);
      this.emit(`r${r - 4} = (r${r - 4} & -65281) | ((${v} & 255) << 8);`);
    }
  }

  private touch(r: number): void {
    this.usedRegs |= 1 << r;
    this.dirty |= 1 << r;
  }

  segBase(s: number): Expr {
    this.usedSegs |= 1 << s;
    return `s${s}`;
  }

  // ------------------------------------------------------------------ write-back

  /** Code that writes the locals back to the Cpu: dirty registers and local flags. */
  flushCode(): string {
    let code = '';
    for (let r = 0; r < 8; r++) if (this.dirty & (1 << r)) code += `R[${r}] = r${r}; `;
    return code + this.flagsFlushCode();
  }

  private flagsFlushCode(): string {
    if (this.flagsAt === FlagsAt.ARITH) return `c.flags = (c.flags & ${NOT_ARITH}) | ff; c.lop = 0; `;
    if (this.flagsAt !== FlagsAt.LAZY) return '';
    const op = this.lazyOp;
    let code = `c.lop = ${op}; c.lsz = ${this.lazySize}; c.la = fa; c.lb = fb; c.lr = fr; `;
    if (op === LazyOp.ADC || op === LazyOp.SBB || op === LazyOp.INC || op === LazyOp.DEC) code += 'c.lcf = fc; ';
    if (op === LazyOp.RESULT) code += 'c.lcf = fc; c.lof = fo; c.laf = 0; ';
    return code;
  }

  /** Store local flags in the Cpu now (before code that updates c.lop … itself, or not at all). */
  flushFlagsNow(): void {
    const code = this.flagsFlushCode();
    if (code) this.emit(code);
    this.flagsAt = FlagsAt.MEM;
  }

  /** Placeholder replaced by the reload of every used register and segment base (known only at the end). */
  static readonly RELOAD = '/*reload*/';

  /** State the Cpu needs before a call that may exit or throw: everything written back, EIPs, `k`. */
  private calloutPrologue(): string {
    return `${this.flushCode()}c.curEip = ${this.eip(this.curOff)}; c.eip = ${this.eip(this.nextOff)}; k = ${this.index};`;
  }

  /** What the code after this point assumes: flag location and record, and unwritten registers. */
  stateKey(): string {
    return `${this.flagsAt}/${this.lazyOp}/${this.lazySize}/${this.dirty}`;
  }

  // ------------------------------------------------------------------ flags

  /** Record a lazy flag result: the caller has assigned fa, fb, fr (and fc / fo as the op needs). */
  setLazy(op: LazyOp, osz: number): void {
    this.flagsAt = FlagsAt.LAZY;
    this.lazyOp = op;
    this.lazySize = osz << 3;
  }

  /** The flags are now six materialised bits in `ff`. */
  setArith(): void {
    this.flagsAt = FlagsAt.ARITH;
  }

  // ------------------------------------------------------------------ addresses

  /** Offset of a ModRM memory operand, before the segment base (LEA's result): an int32 expression. */
  offset(i: Insn): Expr {
    const parts: string[] = [];
    if (i.base >= 0) parts.push(this.reg(i.base, 4));
    if (i.index >= 0) parts.push(i.scale ? `(${this.reg(i.index, 4)} << ${i.scale})` : this.reg(i.index, 4));
    if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp));
    const sum = parts.join(' + ');
    if (i.asz16) return `((${sum}) & 65535)`;
    return parts.length === 1 && parts[0]!.startsWith('r') ? parts[0]! : `((${sum}) | 0)`;
  }

  /** Emit `a = linear address of the memory operand`, as an unsigned 32-bit number. */
  emitAddress(i: Insn): void {
    this.emit(`a = (${this.offsetNoWrap(i)} + ${this.segBase(i.seg)}) >>> 0;`);
  }

  /** The offset sum without the int32 wrap (the final >>> 0 wraps it), masked for 16-bit addressing. */
  private offsetNoWrap(i: Insn): Expr {
    if (i.asz16) return this.offset(i);
    const parts: string[] = [];
    if (i.base >= 0) parts.push(this.reg(i.base, 4));
    if (i.index >= 0) parts.push(i.scale ? `(${this.reg(i.index, 4)} << ${i.scale})` : this.reg(i.index, 4));
    if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp));
    return parts.join(' + ');
  }

  /** Emit `a = linear address` of a stack slot at ESP + delta (delta applied before the wrap). */
  emitStackAddress(delta: number): void {
    const sp = this.reg(4, 4);
    this.emit(`a = (${delta ? `${sp} + ${delta}` : sp} + ${this.segBase(2)}) >>> 0;`);
  }

  // ------------------------------------------------------------------ memory

  /**
   * Emit `dst = [a]` for `osz` bytes (8/16-bit zero-extended, 32-bit as int32). Plain RAM is
   * read inline; anything else goes through the Cpu's accessor after a write-back, as the
   * interpreter would reach it.
   */
  read(dst: string, osz: number, forWrite = false): void {
    this.mayAbort = true;
    if (this.paging) {
      // The read of a read-modify-write needs the write verdict (Cpu.rdw): a page that may
      // be written, in a frame that may be written directly (so it may be read directly too).
      const slow = `{ ${this.calloutPrologue()} ${dst} = ${forWrite ? `c.rdw(a, ${osz})` : `c.rd${osz * 8}(a)`}; if (c.abortBlock) ab = true; }`;
      this.emit(`tq = ${forWrite ? 'TW' : 'TR'}[a >>> 12];`);
      // No test for a missing entry: its verdict names a frame that is never RAM (tlb.ts TLB_NONE).
      const hit = `${forWrite ? 'FW' : 'FR'}[tq >>> 12] !== 0`;
      const pa = `pq = tq | (a & 4095);`;
      if (osz === 4) this.emit(`if (${hit} && (a & 4095) <= 4092) { ${pa} ${dst} = (pq & 3) === 0 ? M32[pq >>> 2] : MV.getInt32(pq, true); } else ${slow}`);
      else if (osz === 2) this.emit(`if (${hit} && (a & 4095) !== 4095) { ${pa} ${dst} = MV.getUint16(pq, true); } else ${slow}`);
      else this.emit(`if (${hit}) ${dst} = M8[tq | (a & 4095)]; else ${slow}`);
      return;
    }
    const slow = `{ ${this.calloutPrologue()} ${dst} = c.rd${osz * 8}(a); if (c.abortBlock) ab = true; }`;
    if (osz === 4) {
      this.emit(
        `if (FR[a >>> 12] !== 0 && (a & 4095) <= 4092) ${dst} = (a & 3) === 0 ? M32[a >>> 2] : MV.getInt32(a, true); else ${slow}`,
      );
    } else if (osz === 2) {
      this.emit(`if (FR[a >>> 12] !== 0 && (a & 4095) !== 4095) ${dst} = MV.getUint16(a, true); else ${slow}`);
    } else {
      this.emit(`if (FR[a >>> 12] !== 0) ${dst} = M8[a]; else ${slow}`);
    }
  }

  /** Emit `[a] = v` for `osz` bytes. `v` must be a simple local or constant (it is used twice). */
  write(v: Expr, osz: number): void {
    this.mayAbort = true;
    const slow = `{ ${this.calloutPrologue()} c.wr${osz * 8}(a, ${v}); if (c.abortBlock) ab = true; }`;
    if (this.paging) {
      this.emit(`tq = TW[a >>> 12];`);
      const hit = `FW[tq >>> 12] !== 0`;
      const pa = `pq = tq | (a & 4095);`;
      if (osz === 4) this.emit(`if (${hit} && (a & 4095) <= 4092) { ${pa} if ((pq & 3) === 0) M32[pq >>> 2] = ${v}; else MV.setInt32(pq, ${v}, true); } else ${slow}`);
      else if (osz === 2) this.emit(`if (${hit} && (a & 4095) !== 4095) { ${pa} MV.setUint16(pq, ${v}, true); } else ${slow}`);
      else this.emit(`if (${hit}) M8[tq | (a & 4095)] = ${v}; else ${slow}`);
      return;
    }
    if (osz === 4) {
      this.emit(
        `if (FW[a >>> 12] !== 0 && (a & 4095) <= 4092) { if ((a & 3) === 0) M32[a >>> 2] = ${v}; else MV.setInt32(a, ${v}, true); } else ${slow}`,
      );
    } else if (osz === 2) {
      this.emit(`if (FW[a >>> 12] !== 0 && (a & 4095) !== 4095) MV.setUint16(a, ${v}, true); else ${slow}`);
    } else {
      this.emit(`if (FW[a >>> 12] !== 0) M8[a] = ${v}; else ${slow}`);
    }
  }

  /** Code that raises exception `vector` from the current instruction, state written back first. */
  faultCode(vector: number): string {
    return `${this.calloutPrologue()} FLT(${vector});`;
  }

  /**
   * After an instruction with a cold exit path: leave the block if an exit asked to. Not after
   * the last one: the epilogue runs anyway (setting the EIP a transfer computed), and the run
   * loop sees `abortBlock` itself.
   */
  emitAbortCheck(last: boolean): void {
    const need = this.mayAbort && !last;
    if (last) this.lastMayAbort = this.mayAbort;
    this.mayAbort = false;
    if (!need) return;
    this.emit(`if (ab) { ${this.flushCode()}c.instructions += ${this.index + 1}; return; }`);
  }

  // ------------------------------------------------------------------ handlers

  /** Emit a call of the instruction's interpreter handler, with the state as the interpreter keeps it. */
  callHandler(last: boolean): void {
    const n = this.index;
    this.handlerIndexes.add(n);
    this.emit(`${this.calloutPrologue()} H${n}(c, I${n});`);
    this.dirty = 0;
    this.flagsAt = FlagsAt.MEM;
    this.emit(BlockContext.RELOAD);
    if (!last) this.emit(`if (c.abortBlock || c.eip !== ${this.eip(this.nextOff)}) { c.instructions += ${n + 1}; return; }`);
  }

  /** EIP at `off` bytes from the block's first instruction (sequential flow wraps at 32 bits). */
  eip(off: number): Expr {
    return off === 0 ? 'e0' : `((e0 + ${off}) | 0)`;
  }

  /** A relative branch target: EIP after this instruction + `rel`, cut to 16 bits for a 16-bit operand size. */
  branchTarget(rel: number, osz: number): Expr {
    const off = this.nextOff + rel;
    return osz === 2 ? `((e0 + ${off}) & 65535)` : off === 0 ? 'e0' : `((e0 + ${off}) | 0)`;
  }
}
