/**
 * The x87 FPU's architectural state (SDM Vol. 1 §8.1): eight 80-bit data registers addressed
 * as a stack from TOP, the tag of each (here: empty or not, as the processor keeps them since
 * FXSAVE's abridged tag word; FSTENV/FSAVE derive the full tags from the contents), the status
 * word (exception flags, ES/B, C0–C3, TOP), the control word, and the last instruction and
 * data pointers with the last opcode.
 *
 * The state starts as QEMU's reset leaves it (x86_cpu_reset: FCW 0x37F, every register empty),
 * which is also FNINIT's state.
 */
import { classify, F80, Kind, ZERO } from './float80.js';

export const enum Sw {
  ES = 0x80,
  C0 = 0x100,
  C1 = 0x200,
  C2 = 0x400,
  C3 = 0x4000,
  B = 0x8000,
  TOP_SHIFT = 11,
  /** The bits besides TOP and B that the status word holds. */
  FLAGS = 0x7f | 0x80 | 0x100 | 0x200 | 0x400 | 0x4000,
}

/** Full tag values (FSTENV, FSAVE): valid, zero, special (NaN, infinity, denormal, unsupported), empty. */
export const enum Tag {
  VALID = 0,
  ZERO = 1,
  SPECIAL = 2,
  EMPTY = 3,
}

export class X87State {
  /** Physical registers R0–R7; ST(i) is R[(top + i) & 7]. */
  readonly r: F80[] = [ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO];
  /** 1 = the physical register is empty. */
  readonly empty = new Uint8Array(8).fill(1);
  top = 0;
  /** Status word without TOP (B is kept equal to ES when the word is read). */
  sw = 0;
  cw = 0x037f;
  fip = 0;
  fcs = 0;
  fdp = 0;
  fds = 0;
  /** Last opcode: the low 3 bits of the first opcode byte and the ModRM byte (11 bits). */
  fop = 0;
  /**
   * FERR#: on a PC with CR0.NE = 0 an unmasked exception is reported on IRQ 13 through the
   * chipset (SDM Vol. 1 §8.7 and appendix D, "MS-DOS compatibility sub-mode"). A waiting
   * instruction that meets ES = 1 with NE = 0 asserts it (`ferr`, held until ES clears, so it
   * is asserted once per exception) and sets `ferrRequest`, which the vCPU loop takes to the
   * PC's error latch (devices/ferr-latch.ts: IRQ 13 until the guest writes port 0xF0).
   */
  ferr = false;
  ferrRequest = false;

  /** FNINIT: control 0x37F, status 0, every tag empty, pointers 0; the data registers keep their bits. */
  init(): void {
    this.ferr = false;
    this.cw = 0x037f;
    this.sw = 0;
    this.top = 0;
    this.empty.fill(1);
    this.fip = this.fcs = this.fdp = this.fds = this.fop = 0;
  }

  phys(i: number): number {
    return (this.top + i) & 7;
  }

  st(i: number): F80 {
    return this.r[(this.top + i) & 7]!;
  }

  isEmpty(i: number): boolean {
    return this.empty[(this.top + i) & 7] === 1;
  }

  setSt(i: number, v: F80): void {
    const p = (this.top + i) & 7;
    this.r[p] = v;
    this.empty[p] = 0;
  }

  /** Decrement TOP and store into the new ST(0). */
  push(v: F80): void {
    this.top = (this.top - 1) & 7;
    this.r[this.top] = v;
    this.empty[this.top] = 0;
  }

  /** Mark ST(0) empty and increment TOP. */
  pop(): void {
    this.empty[this.top] = 1;
    this.top = (this.top + 1) & 7;
  }

  /** The status word as FNSTSW reads it: TOP in bits 11–13, B mirroring ES. */
  status(): number {
    const es = this.sw & Sw.ES;
    return (this.sw & Sw.FLAGS) | (this.top << Sw.TOP_SHIFT) | (es ? Sw.B : 0);
  }

  /** Load a status word (FLDENV, FRSTOR, FXRSTOR): ES follows the flags and masks as stored. */
  setStatus(v: number): void {
    this.top = (v >>> Sw.TOP_SHIFT) & 7;
    this.sw = v & Sw.FLAGS;
  }

  /** Recompute ES from the exception flags and the masks (after FLDCW, FLDENV, FRSTOR). */
  updateEs(): void {
    if (this.sw & ~this.cw & 0x3f) this.sw |= Sw.ES;
    else this.sw &= ~Sw.ES;
  }

  /** The tag a register's contents give (SDM Vol. 1 §8.1.7). */
  static tagOf(v: F80): Tag {
    const k = classify(v);
    if (k === Kind.ZERO) return Tag.ZERO;
    if (k === Kind.NORMAL) return Tag.VALID;
    return Tag.SPECIAL;
  }

  /** The full 16-bit tag word, by physical register. */
  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) t |= (this.empty[p] ? Tag.EMPTY : X87State.tagOf(this.r[p]!)) << (2 * p);
    return t;
  }

  /** Load a full tag word: only empty versus not empty is kept. */
  setTagWord(t: number): void {
    for (let p = 0; p < 8; p++) this.empty[p] = ((t >>> (2 * p)) & 3) === Tag.EMPTY ? 1 : 0;
  }

  /** FXSAVE's abridged tag byte: bit p = 1 when R[p] is not empty. */
  abridgedTags(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) if (!this.empty[p]) t |= 1 << p;
    return t;
  }

  setAbridgedTags(t: number): void {
    for (let p = 0; p < 8; p++) this.empty[p] = (t >>> p) & 1 ? 0 : 1;
  }

  /** Pending unmasked exception (ES). */
  get pending(): boolean {
    return (this.sw & Sw.ES) !== 0;
  }

  /** Merge an operation's exception flags; unmasked ones set ES. Returns true if any was unmasked. */
  raise(exc: number): boolean {
    this.sw |= exc & 0x7f;
    if (exc & ~this.cw & 0x3f) {
      this.sw |= Sw.ES;
      return true;
    }
    return false;
  }
}

