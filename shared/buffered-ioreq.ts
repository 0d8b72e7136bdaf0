/**
 * The buffered ioreq page: a one-way ring of fire-and-forget writes (Xen's public/hvm/ioreq.h (buffered_iopage),
 * §1.4, §1.5; docs/architecture.md §4).
 *
 * Layout, 4096 bytes, little-endian:
 *   @0 read_pointer u32, @4 write_pointer u32 (free-running; slot = pointer % 511)
 *   @8 511 slots of 8 bytes:
 *      word 0: bits 0-7 type, bit 8 pad, bit 9 dir, bits 10-11 log2(size), bits 12-31 addr (20 bits)
 *      word 1: data (u32). An 8-byte write takes two consecutive slots; the second one's data is
 *      the high half.
 *
 * hvmsim extension (not in Xen): a *wide* entry, flagged by the pad bit (bit 8), carries a full
 * 32-bit address for the `buffered` VGA what-if, where LFB writes far above 1 MiB are posted
 * (docs/architecture.md §6). It takes two slots: the first holds the data, the second the address.
 *
 * Producer (the hypervisor) follows Xen's ATOMIC mode: once read_pointer reaches 511 it rebases
 * both pointers by a multiple of 511 with one 64-bit compare-exchange, so they never wrap at 2^32
 * (where `% 511` would jump). The consumer (the device model) treats the page as hostile, as it
 * is guest-writable in real Xen: every field is bounded, a pointer pair that makes no sense is
 * reported, and no loop depends on the page's contents to end.
 */

import { IOREQ_TYPE_COPY, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE } from './ioreq.js';

export const BUFFERED_PAGE_BYTES = 4096;
export const IOREQ_BUFFER_SLOT_NUM = 511;
/** Highest address a buffered entry can carry (20 bits). */
export const BUFFERED_MAX_ADDR = 0xfffff;

const W_READ = 0;
const W_WRITE = 1;
const W_SLOTS = 2;

const WIDE_BIT = 1 << 8;
const DIR_SHIFT = 9;
const SIZE_SHIFT = 10;
const ADDR_SHIFT = 12;

/**
 * The device model found the ring in a state no honest producer makes (pointers apart by more
 * than the ring holds, an 8-byte entry missing its second half, pointers moving under it).
 * QEMU aborts; the caller crashes the domain.
 */
export class BufferedIoreqError extends Error {
  constructor(message: string) {
    super(`buffered ioreq page: ${message}`);
    this.name = 'BufferedIoreqError';
  }
}

export function createBufferedPageBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(BUFFERED_PAGE_BYTES);
}

/** Called once per rebuilt request; `size` is 1/2/4/8, `valueHigh` is 0 unless size is 8. */
export type BufferedIoreqHandler = (type: number, addr: number, size: number, value: number, valueHigh: number) => void;

/**
 * The producer end. With more than one vCPU, producers serialise on `lock[lockIndex]` (Xen holds a
 * per-server spinlock); the lock word lives outside the guest-visible page.
 */
export class BufferedIoreqProducer {
  private readonly i32: Int32Array;
  private readonly pointers: BigInt64Array;

  constructor(
    page: SharedArrayBuffer,
    private readonly lock?: Int32Array,
    private readonly lockIndex = 0,
  ) {
    if (page.byteLength < BUFFERED_PAGE_BYTES) throw new RangeError(`buffered page must be ${BUFFERED_PAGE_BYTES} bytes`);
    this.i32 = new Int32Array(page, 0, BUFFERED_PAGE_BYTES / 4);
    this.pointers = new BigInt64Array(page, 0, 1);
  }

  /**
   * Post a write. Returns false when it cannot be buffered — address above 1 MiB, a size other than
   * 1/2/4/8, a type other than PIO/COPY/TIMEOFFSET, or the ring full (Xen's rule:
   * write − read ≥ 511 − qw) — and the caller then sends a synchronous request instead.
   * Notifying the buffered-ioreq port is the caller's job.
   */
  tryPost(type: number, addr: number, size: number, value: number, valueHigh = 0): boolean {
    if (!(addr >= 0 && addr <= BUFFERED_MAX_ADDR)) return false;
    let sizeLog2: number;
    switch (size) {
      case 1: sizeLog2 = 0; break;
      case 2: sizeLog2 = 1; break;
      case 4: sizeLog2 = 2; break;
      case 8: sizeLog2 = 3; break;
      default: return false;
    }
    if (type !== IOREQ_TYPE_PIO && type !== IOREQ_TYPE_COPY && type !== IOREQ_TYPE_TIMEOFFSET) return false;
    const qw = size === 8 ? 1 : 0;
    const lock = this.lock;
    if (lock) acquire(lock, this.lockIndex);
    try {
      const i32 = this.i32;
      const read = Atomics.load(i32, W_READ) >>> 0;
      const write = i32[W_WRITE]! >>> 0; // only producers write it, and they hold the lock
      // Unsigned distance; a guest that scribbled the pointers gets "full" (> 511 counts too).
      if (((write - read) >>> 0) >= IOREQ_BUFFER_SLOT_NUM - qw) return false;
      let slot = W_SLOTS + 2 * (write % IOREQ_BUFFER_SLOT_NUM);
      i32[slot] = type | (IOREQ_WRITE << DIR_SHIFT) | (sizeLog2 << SIZE_SHIFT) | (addr << ADDR_SHIFT);
      i32[slot + 1] = value;
      if (qw) {
        slot = W_SLOTS + 2 * ((write + 1) % IOREQ_BUFFER_SLOT_NUM);
        i32[slot] = type | (IOREQ_WRITE << DIR_SHIFT) | (sizeLog2 << SIZE_SHIFT) | (addr << ADDR_SHIFT);
        i32[slot + 1] = valueHigh;
      }
      // Publishing the pointer (an atomic add) orders the slot stores before it.
      Atomics.add(i32, W_WRITE, qw + 1);
      this.rebase();
      return true;
    } finally {
      if (lock) release(lock, this.lockIndex);
    }
  }

  /**
   * Post a write of 1, 2 or 4 bytes at any 32-bit address as a wide entry (two slots).
   * False when the ring is full or the write is not of that shape.
   */
  tryPostWide(type: number, addr: number, size: number, value: number): boolean {
    if (!(addr >= 0 && addr <= 0xffffffff)) return false;
    const sizeLog2 = size === 1 ? 0 : size === 2 ? 1 : size === 4 ? 2 : -1;
    if (sizeLog2 < 0 || (type !== IOREQ_TYPE_PIO && type !== IOREQ_TYPE_COPY)) return false;
    const lock = this.lock;
    if (lock) acquire(lock, this.lockIndex);
    try {
      const i32 = this.i32;
      const read = Atomics.load(i32, W_READ) >>> 0;
      const write = i32[W_WRITE]! >>> 0;
      if (((write - read) >>> 0) >= IOREQ_BUFFER_SLOT_NUM - 1) return false;
      const header = type | WIDE_BIT | (IOREQ_WRITE << DIR_SHIFT) | (sizeLog2 << SIZE_SHIFT);
      let slot = W_SLOTS + 2 * (write % IOREQ_BUFFER_SLOT_NUM);
      i32[slot] = header;
      i32[slot + 1] = value;
      slot = W_SLOTS + 2 * ((write + 1) % IOREQ_BUFFER_SLOT_NUM);
      i32[slot] = header;
      i32[slot + 1] = addr | 0;
      Atomics.add(i32, W_WRITE, 2);
      this.rebase();
      return true;
    } finally {
      if (lock) release(lock, this.lockIndex);
    }
  }

  /** Entries posted and not yet consumed (as the producer sees it). */
  pending(): number {
    return (Atomics.load(this.i32, W_WRITE) - Atomics.load(this.i32, W_READ)) >>> 0;
  }

  /**
   * Xen's canonicalisation: subtract a multiple of 511 from both pointers at once, so slot
   * indices are unchanged and the u32 counters never overflow. A failed compare-exchange means
   * the consumer advanced meanwhile; retry a bounded number of times (the next post tries again).
   */
  private rebase(): void {
    const i32 = this.i32;
    for (let attempt = 0; attempt < 4; attempt++) {
      const read = Atomics.load(i32, W_READ) >>> 0;
      if (read < IOREQ_BUFFER_SLOT_NUM) return;
      const write = Atomics.load(i32, W_WRITE) >>> 0;
      const delta = read - (read % IOREQ_BUFFER_SLOT_NUM);
      const old = (BigInt(write) << 32n) | BigInt(read);
      const rebased = (BigInt((write - delta) >>> 0) << 32n) | BigInt(read - delta);
      if (Atomics.compareExchange(this.pointers, 0, BigInt.asIntN(64, old), BigInt.asIntN(64, rebased)) === BigInt.asIntN(64, old)) return;
    }
  }
}

/** The consumer end (the device model). */
export class BufferedIoreqConsumer {
  private readonly i32: Int32Array;
  /** Entries skipped because their fields were invalid (a read, an unknown type). */
  rejected = 0;

  constructor(page: SharedArrayBuffer) {
    if (page.byteLength < BUFFERED_PAGE_BYTES) throw new RangeError(`buffered page must be ${BUFFERED_PAGE_BYTES} bytes`);
    this.i32 = new Int32Array(page, 0, BUFFERED_PAGE_BYTES / 4);
  }

  /**
   * Handle up to `limit` buffered requests in order, advancing read_pointer after each. Returns how
   * many were handed to `handler`. Stops when the ring is empty or the limit is reached, so a
   * producer that keeps posting cannot keep the device model here forever. Throws
   * BufferedIoreqError on a corrupt ring.
   */
  drain(handler: BufferedIoreqHandler, limit = IOREQ_BUFFER_SLOT_NUM): number {
    const i32 = this.i32;
    // The common case, before every synchronous request: nothing posted. Plain loads (callers come
    // here after an Atomics operation that saw the producer's later writes; Atomics.load is a ~7 ns
    // call), in the loop's order — read, write, read again — so a rebase cannot pass for empty.
    const read0 = i32[W_READ]!;
    if (i32[W_WRITE] === read0 && i32[W_READ] === read0) return 0;
    let handled = 0;
    let slotsLeft = limit;
    while (slotsLeft > 0) {
      // Read read, write, read again: a producer rebase between the loads changes read_pointer
      // (only the producer's rebase can, and only downwards), so an equal pair is a consistent snapshot.
      let read = 0;
      let write = 0;
      let stable = false;
      for (let attempt = 0; attempt < 8 && !stable; attempt++) {
        read = Atomics.load(i32, W_READ) >>> 0;
        write = Atomics.load(i32, W_WRITE) >>> 0;
        stable = (Atomics.load(i32, W_READ) >>> 0) === read;
      }
      if (!stable) throw new BufferedIoreqError('read_pointer keeps changing under the consumer');
      const available = (write - read) >>> 0;
      if (available === 0) break;
      if (available > IOREQ_BUFFER_SLOT_NUM) {
        throw new BufferedIoreqError(`pointers read=${read} write=${write} are ${available} apart (ring holds ${IOREQ_BUFFER_SLOT_NUM})`);
      }
      const slot = W_SLOTS + 2 * (read % IOREQ_BUFFER_SLOT_NUM);
      const word = i32[slot]!;
      const value = i32[slot + 1]! >>> 0;
      const type = word & 0xff;
      const dir = (word >>> DIR_SHIFT) & 1;
      const sizeLog2 = (word >>> SIZE_SHIFT) & 3;
      const wide = (word & WIDE_BIT) !== 0;
      const qw = sizeLog2 === 3 || wide ? 1 : 0;
      if (qw && available < 2) {
        throw new BufferedIoreqError(`incomplete ${wide ? 'wide' : '8-byte'} entry at read=${read} (write=${write})`);
      }
      const second = i32[W_SLOTS + 2 * ((read + 1) % IOREQ_BUFFER_SLOT_NUM) + 1]! >>> 0;
      if (wide && sizeLog2 === 3) throw new BufferedIoreqError(`wide entry of 8 bytes at read=${read}`);
      const addr = wide ? second : word >>> ADDR_SHIFT;
      const valueHigh = qw && !wide ? second : 0;
      if (dir === IOREQ_WRITE && (type === IOREQ_TYPE_PIO || type === IOREQ_TYPE_COPY || type === IOREQ_TYPE_TIMEOFFSET)) {
        handler(type, addr, 1 << sizeLog2, value, valueHigh);
        handled++;
      } else {
        this.rejected++;
      }
      Atomics.add(i32, W_READ, qw + 1);
      slotsLeft -= qw + 1;
    }
    return handled;
  }

  /** Entries waiting, as the consumer sees it (may exceed 511 on a corrupt page). */
  pending(): number {
    return (Atomics.load(this.i32, W_WRITE) - Atomics.load(this.i32, W_READ)) >>> 0;
  }
}

// A tiny lock for several producers (vCPUs): 0 free, 1 held, 2 held with possible sleepers (the
// classic futex mutex), so an uncontended release costs no notify. The critical section is a few
// stores, so a short spin nearly always wins; past that, sleep rather than spin unboundedly.
function acquire(lock: Int32Array, index: number): void {
  for (let spins = 0; spins < 1000; spins++) {
    if (Atomics.compareExchange(lock, index, 0, 1) === 0) return;
  }
  while (Atomics.exchange(lock, index, 2) !== 0) Atomics.wait(lock, index, 2, 10);
}

function release(lock: Int32Array, index: number): void {
  if (Atomics.exchange(lock, index, 0) === 2) Atomics.notify(lock, index, 1);
}
