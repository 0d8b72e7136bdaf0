/**
 * The flush that must follow taking write access away in the p2m, as Xen's track_dirty_vram
 * does ("after clearing the dirty bits, flush TLBs so they are set again"): the device model
 * re-protects frames, then interrupts every vCPU that may still act on the old, writable type
 * (Xen's flush IPI) and waits until each has passed a point where it holds no such view.
 *
 * Where a vCPU keeps a view of the p2m, and so where it re-reads it:
 *  - A store to a directly mapped frame (VRAM) reads that frame's shared p2m byte and then stores
 *    (Cpu.writeSlow): the stale view lives inside one instruction, between the read and the store.
 *  - The per-vCPU verdicts fastRead/fastWrite are always 0 for directly mapped frames, which lie
 *    outside RAM (GuestMemory.mapDirect refuses any other place), and compiled blocks test only
 *    those verdicts; the block cache holds decoded instructions, never a type. So no view of a
 *    VRAM frame's type outlives the instruction that read it.
 *  - Hence a vCPU holds none between two calls of cpu.run(): FlushPoint.pass() sits there (the
 *    vCPU loop), and the kick that makes cpu.run() return is polled at every block boundary and
 *    every compiled loop-back, so a running vCPU reaches it within one block (or one REP chunk
 *    sequence: a long string instruction delays it).
 *
 * Protocol (Int32 words of the area; dirty-vram.ts places it):
 *   SEQ        the latest flush's number (word 0 of the first line); written by the device model only.
 *   PASSED[v]  the last SEQ vCPU v passed; written by vCPU v only, one 64-byte line each.
 *  Device model, after its (plain) p2m stores: Atomics.store SEQ = n; then for each vCPU: done
 *  if PASSED[v] >= n (Atomics.load) or the vCPU is parked (below); else kick it and spin until so.
 *  vCPU at each pass: Atomics.load SEQ; if it changed, Atomics.store PASSED[v] = SEQ.
 *
 * Why the device model then cannot read a page a vCPU can still write without marking it:
 *  (a) The device model's Atomics.load that sees PASSED[v] = n synchronizes with the vCPU's store
 *      of it: every store the vCPU made before passing is in VRAM when the device model reads.
 *  (b) The vCPU's Atomics.load that sees SEQ = n synchronizes with the device model's store of n,
 *      which follows its p2m stores: every p2m read the vCPU makes after passing sees the frames
 *      protected, so its next write to them exits and sets the dirty bit.
 *  (c) A p2m read and the store it allowed never straddle a pass (above).
 *  A vCPU is parked when it cannot be between such a read and its store: its run state
 *  (DomainControl, Atomics.store by the vCPU) says it is outside cpu.run() — starting, halted,
 *  paused, down, dead, shut down — or its ioreq slot holds a request not yet answered (it is
 *  stopped inside an exit, waiting for this device-model thread, which answers after the flush;
 *  its accesses after the answer read the p2m again, ordered by the answer as ioreq.ts says).
 *  A parked vCPU's stores precede its state store or its READY, which the device model's load
 *  saw: (a). Leaving a parked state, the vCPU Atomics.stores RUNNING and then passes before any
 *  guest access; all four operations being sequentially consistent, if the device model saw it
 *  parked, its SEQ store came before that state load, before RUNNING, before the vCPU's SEQ load,
 *  which therefore reads n: (b).
 *
 * The wait is bounded (FLUSH_WAIT_MS): a descheduled vCPU, or one inside a long instruction, must
 * not stall the device model. flush() then returns false, and the caller must treat the frames as
 * still writable through a stale view until a later flush completes (dirty-vram.ts holds their
 * pages back until then).
 */
import { RunState, type DomainControl } from './domain-control.js';
import { MAX_VCPUS } from './domain-layout.js';
import type { IoreqPage } from './ioreq.js';
import { STATE_IOREQ_INPROCESS, STATE_IOREQ_READY } from './ioreq.js';
import type { IrqLines } from './irq-lines.js';

const LINE_WORDS = 16;
const W_SEQ = 0;
const W_PASSED = LINE_WORDS;

/** Int32 words of a flush area: the SEQ line, then one line per vCPU. */
export const P2M_FLUSH_WORDS = LINE_WORDS + MAX_VCPUS * LINE_WORDS;

/**
 * Longest a flush waits for the vCPUs before giving up (ms). A vCPU on a core of its own passes
 * within about ten microseconds (bench:scan). Past that it is off its core, often waiting for
 * this very thread's (on this 2-core machine, a vCPU sharing a core with a device model spinning
 * for 0.5 ms passed just after the spin ended, and a device model that slept instead woke
 * milliseconds late), or inside a long instruction: waiting longer buys nothing. Giving up only
 * delays the pages to the next refresh (dirty-vram.ts), by which time the vCPU has passed.
 */
export const FLUSH_WAIT_MS = 0.05;
/** Loads between two looks at the clock and at the vCPU's run state. */
const FLUSH_SPINS_PER_LOOK = 256;

/** How a flush sees the domain's vCPUs. */
export interface FlushTargets {
  readonly vcpus: number;
  /** vCPU `v` cannot be between a p2m read and its store now, and passes before it runs guest code. */
  parked(v: number): boolean;
  /** Make vCPU `v` leave guest code at its next block boundary (Xen's IPI; here the kick). */
  interrupt(v: number): void;
}

/** For device-model fixtures with no vCPU thread. */
export const NO_VCPUS: FlushTargets = { vcpus: 0, parked: () => true, interrupt: () => {} };

const PARKED_STATES = new Set<RunState>([RunState.STARTING, RunState.HALTED, RunState.PAUSED, RunState.DOWN, RunState.DEAD, RunState.SHUTDOWN]);

/** The domain's vCPUs as the device model sees them: run states, ioreq slots, kicks. */
export function domainFlushTargets(control: DomainControl, ioreq: IoreqPage, irqLines: IrqLines): FlushTargets {
  return {
    vcpus: control.vcpus,
    parked(v: number): boolean {
      if (PARKED_STATES.has(control.state(v))) return true;
      const slot = ioreq.state(v);
      return slot === STATE_IOREQ_READY || slot === STATE_IOREQ_INPROCESS;
    },
    interrupt: (v: number) => irqLines.kick(v),
  };
}

/** The device model's end. */
export class P2mFlush {
  /** Flushes asked for, vCPUs kicked, flushes that gave up waiting. */
  readonly stats = { flushes: 0, kicks: 0, timeouts: 0 };
  private readonly i32: Int32Array;
  private readonly pending = new Uint8Array(MAX_VCPUS);

  constructor(area: Int32Array) {
    if (area.length < P2M_FLUSH_WORDS) throw new RangeError(`p2m flush area must hold ${P2M_FLUSH_WORDS} words`);
    this.i32 = area;
  }

  /** The latest flush's number. */
  get seq(): number {
    return this.i32[W_SEQ]!;
  }

  /**
   * Whether every vCPU has passed flush `seq` (or a later one), or is parked now: then no stale
   * view from before that flush is left. No kicks, no waiting.
   */
  passed(seq: number, targets: FlushTargets): boolean {
    for (let v = 0; v < targets.vcpus; v++) {
      if (!passedSince(Atomics.load(this.i32, W_PASSED + v * LINE_WORDS), seq) && !targets.parked(v)) return false;
    }
    return true;
  }

  /**
   * Call after the p2m stores that removed write access. True once every vCPU has passed (or is
   * parked); false if one had not within `timeoutMs`.
   */
  flush(targets: FlushTargets, timeoutMs = FLUSH_WAIT_MS): boolean {
    const i32 = this.i32;
    const seq = (i32[W_SEQ]! + 1) | 0; // a plain load: only this thread writes SEQ
    Atomics.store(i32, W_SEQ, seq);
    this.stats.flushes++;
    const n = targets.vcpus;
    const pending = this.pending;
    let left = 0;
    // Interrupt every vCPU first, so they pass in parallel.
    for (let v = 0; v < n; v++) {
      pending[v] = 0;
      if (passedSince(Atomics.load(i32, W_PASSED + v * LINE_WORDS), seq) || targets.parked(v)) continue;
      targets.interrupt(v);
      this.stats.kicks++;
      pending[v] = 1;
      left++;
    }
    if (left === 0) return true;
    const deadline = performance.now() + timeoutMs;
    for (let v = 0; v < n; v++) {
      if (!pending[v]) continue;
      const word = W_PASSED + v * LINE_WORDS;
      for (;;) {
        let passed = false;
        for (let i = 0; i < FLUSH_SPINS_PER_LOOK && !passed; i++) passed = passedSince(Atomics.load(i32, word), seq);
        if (passed || targets.parked(v)) break;
        if (performance.now() >= deadline) {
          this.stats.timeouts++;
          return false;
        }
      }
    }
    return true;
  }
}

/** Whether a vCPU that last passed flush `passed` has passed flush `seq` (numbers wrap). */
function passedSince(passed: number, seq: number): boolean {
  return ((passed - seq) | 0) >= 0;
}

/** One vCPU's end. */
export class FlushPoint {
  private readonly i32: Int32Array;
  private readonly word: number;
  private seen: number;

  constructor(area: Int32Array, vcpu: number) {
    if (area.length < P2M_FLUSH_WORDS) throw new RangeError(`p2m flush area must hold ${P2M_FLUSH_WORDS} words`);
    if (!(Number.isInteger(vcpu) && vcpu >= 0 && vcpu < MAX_VCPUS)) throw new RangeError(`bad vCPU ${vcpu}`);
    this.i32 = area;
    this.word = W_PASSED + vcpu * LINE_WORDS;
    this.seen = Atomics.load(area, this.word);
  }

  /** Call only where this vCPU holds no p2m-derived view: outside cpu.run(). */
  pass(): void {
    const seq = Atomics.load(this.i32, W_SEQ);
    if (seq === this.seen) return;
    this.seen = seq;
    Atomics.store(this.i32, this.word, seq);
  }
}
