/**
 * ISA interrupt wires from the device model to the hypervisor's virtual PIC, and the per-vCPU
 * kick that makes a vCPU notice them (Xen's HVMOP_set_isa_irq_level, arch/x86/hvm/irq.c, docs/architecture.md §5).
 *
 * The device model sets *levels*, as qemu-dm does with HVMOP_set_isa_irq_level: asserting an
 * asserted line or deasserting a deasserted one changes nothing. It never waits for the guest.
 * Xen's vPIC sees each level change synchronously; ours reads the wires from another thread, so a
 * pulse (assert then deassert before the vCPU looks) would be lost. A sticky rising-edge bitmap
 * keeps it: the vPIC fetch-and-clears the edges and reads the current levels.
 *
 * Layout (Int32 words): 0 levels (bits 0-15), 1 generation (bumped on every level change),
 * 2 rising edges since last taken, 3 reserved, then per vCPU: kick flag, kick sleepers, 2 reserved.
 */

import { notifyIfSleeping, waitWhileEqual } from './wait.js';

export const ISA_IRQ_COUNT = 16;
export const IRQ_LINES_MAX_VCPUS = 32;

const W_LEVELS = 0;
const W_GENERATION = 1;
const W_EDGES = 2;
const KICK_BASE = 4;
const KICK_WORDS = 4;
const K_FLAG = 0;
const K_SLEEPERS = 1;

export const IRQ_LINES_BYTES = (KICK_BASE + KICK_WORDS * IRQ_LINES_MAX_VCPUS) * 4;

export function createIrqLinesBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(IRQ_LINES_BYTES);
}

export class IrqLines {
  private readonly i32: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength < IRQ_LINES_BYTES) throw new RangeError(`IRQ lines area must be ${IRQ_LINES_BYTES} bytes`);
    this.i32 = new Int32Array(buffer, 0, IRQ_LINES_BYTES / 4);
  }

  // ---- device-model side ----

  /**
   * HVMOP_set_isa_irq_level. Returns true if the level changed. A rising edge also kicks
   * `targetVcpu` (the vPIC's target, vCPU 0); a falling edge does not, since the vPIC
   * needs it only at its next look and the running guest need not stop for it.
   */
  setIsaIrqLevel(irq: number, level: boolean, targetVcpu = 0): boolean {
    if (!(irq >= 0 && irq < ISA_IRQ_COUNT && (irq | 0) === irq)) throw new RangeError(`bad ISA IRQ ${irq}`);
    const i32 = this.i32;
    const bit = 1 << irq;
    if (level) {
      if (Atomics.or(i32, W_LEVELS, bit) & bit) return false;
      Atomics.or(i32, W_EDGES, bit);
      Atomics.add(i32, W_GENERATION, 1);
      this.kick(targetVcpu);
    } else {
      if (!(Atomics.and(i32, W_LEVELS, ~bit) & bit)) return false;
      Atomics.add(i32, W_GENERATION, 1);
    }
    return true;
  }

  // ---- hypervisor side (the virtual PIC) ----

  /** Current wire levels, bit n = ISA IRQ n. */
  levels(): number {
    return Atomics.load(this.i32, W_LEVELS) & 0xffff;
  }

  /** Changes on every level change: compare with the last value to skip work when nothing moved. */
  generation(): number {
    return Atomics.load(this.i32, W_GENERATION);
  }

  /** Lines that rose since the last call (fetch-and-clear), including pulses already over. */
  takeRisingEdges(): number {
    return Atomics.exchange(this.i32, W_EDGES, 0) & 0xffff;
  }

  // ---- kicks (any thread → one vCPU) ----

  /** Ask `vcpu` to notice pending interrupts: set its kick flag and wake it if it sleeps in HLT. */
  kick(vcpu: number): void {
    const b = this.kickBase(vcpu);
    if (Atomics.exchange(this.i32, b + K_FLAG, 1) !== 0) return; // already kicked, not yet seen
    notifyIfSleeping(this.i32, b + K_FLAG, b + K_SLEEPERS);
  }

  /** A one-word view of `vcpu`'s kick flag, for the interpreter to poll once per block. */
  kickView(vcpu: number): Int32Array {
    return new Int32Array(this.i32.buffer, this.i32.byteOffset + 4 * (this.kickBase(vcpu) + K_FLAG), 1);
  }

  /** The interpreter's cheap poll (one atomic load). */
  kickPending(vcpu: number): boolean {
    return Atomics.load(this.i32, KICK_BASE + KICK_WORDS * vcpu + K_FLAG) !== 0;
  }

  /**
   * Take the kick (fetch-and-clear). Call before reading levels/edges: a kick that arrives after
   * the read then stays set, so nothing is missed.
   */
  acknowledgeKick(vcpu: number): boolean {
    return Atomics.exchange(this.i32, this.kickBase(vcpu) + K_FLAG, 0) !== 0;
  }

  /** HLT: block until kicked (true) or the timeout passes (false). Does not take the kick. */
  waitForKick(vcpu: number, spins: number, timeoutMs: number): boolean {
    const b = this.kickBase(vcpu);
    return waitWhileEqual(this.i32, b + K_FLAG, 0, b + K_SLEEPERS, spins, timeoutMs);
  }

  /** Threads asleep (or about to sleep) in waitForKick for `vcpu` (inspection, not a hot path). */
  kickSleepers(vcpu: number): number {
    return Atomics.load(this.i32, this.kickBase(vcpu) + K_SLEEPERS);
  }

  private kickBase(vcpu: number): number {
    if (!(vcpu >= 0 && vcpu < IRQ_LINES_MAX_VCPUS && (vcpu | 0) === vcpu)) throw new RangeError(`bad vCPU ${vcpu}`);
    return KICK_BASE + KICK_WORDS * vcpu;
  }
}
