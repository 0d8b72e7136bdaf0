/**
 * HVMOP_track_dirty_vram (Xen's arch/x86/hvm/dm.c and mm/hap/hap.c, track_dirty_vram): one bit per 4 KiB page of the tracked VRAM range,
 * set by the hypervisor on the first write to a write-protected (log-dirty) page, fetched and
 * cleared by the device model at each refresh, which re-protects the pages it collected. The
 * first call after the range changes reports every page dirty.
 *
 * Ordering across threads, so no write is ever missed:
 *  - vCPU, on a write exit to a log-dirty frame: make the frame writable, THEN set its bit
 *    (MmioHandler.markDirty). Between the two a write may land unmarked, but the bit follows.
 *  - device model: fetch-and-clear the bits, THEN re-protect exactly the frames it collected,
 *    THEN flush (p2m-flush.ts: every vCPU that may still hold the frames' old, writable type
 *    passes a point where it re-reads the p2m), THEN read VRAM. A write that slipped in before
 *    the flush completed is in VRAM when it is read; a write after it exits again and sets the
 *    bit for the next refresh.
 *  - A flush that gives up waiting (a vCPU descheduled, or in one long instruction) leaves the
 *    collected pages at risk: they are held back, not reported, until every vCPU has passed that
 *    flush (seen at a later call: its own flush completes, or the vCPUs passed the old one
 *    meanwhile), when whatever a stale view wrote is in VRAM. The page is drawn a refresh or
 *    more late, never wrong for good. A new range is drawn whole at once anyway; if its flush
 *    gives up, all its pages are reported again once the vCPUs have passed it.
 *
 * Layout (Int32 words): 0 tracked first frame (pfn), 1 tracked frame count (0 = off), 2–15
 * reserved (the line the vCPUs read on every mark), then the p2m flush area (p2m-flush.ts:
 * SEQ line, one line per vCPU), then the bitmap (one bit per frame of VRAM). The bitmap words are
 * set with Atomics.or and fetched with Atomics.exchange; first and count change only while the
 * device model re-arms, with Atomics.store.
 */
import { P2mType } from './p2m.js';
import { FLUSH_WAIT_MS, FlushPoint, P2M_FLUSH_WORDS, P2mFlush, type FlushTargets } from './p2m-flush.js';

const W_FIRST = 0;
const W_COUNT = 1;
const FLUSH_AREA = 16;
const BITMAP = FLUSH_AREA + P2M_FLUSH_WORDS;

export function createDirtyVramBuffer(vramBytes: number): SharedArrayBuffer {
  const pages = Math.ceil(vramBytes / 4096);
  return new SharedArrayBuffer((BITMAP + Math.ceil(pages / 32)) * 4);
}

/** The p2m flush area inside a dirty-VRAM buffer (for benchmarks that time the handshake alone). */
export function dirtyVramFlushArea(buffer: SharedArrayBuffer): Int32Array {
  return new Int32Array(buffer, FLUSH_AREA * 4, P2M_FLUSH_WORDS);
}

export class DirtyVram {
  private readonly i32: Int32Array;
  private readonly flushArea: Int32Array;
  readonly maxPages: number;
  /** Device-model side: the flush, and the pages held back from flushes that gave up (one bit each). */
  private flusher: P2mFlush | undefined;
  private readonly held: Int32Array;
  private holding = false;
  /** The latest flush whose pages are in `held`: once every vCPU has passed it, they are safe. */
  private heldSeq = 0;
  /** This call's collected bits. */
  private readonly fresh: Int32Array;

  /** `flushWaitMs`: how long the device model's flushes may wait for the vCPUs (p2m-flush.ts). */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly flushWaitMs = FLUSH_WAIT_MS,
  ) {
    this.i32 = new Int32Array(buffer);
    if (this.i32.length <= BITMAP) throw new RangeError('dirty-VRAM buffer too small (createDirtyVramBuffer)');
    this.flushArea = dirtyVramFlushArea(buffer);
    this.maxPages = (this.i32.length - BITMAP) * 32;
    this.held = new Int32Array(this.i32.length - BITMAP);
    this.fresh = new Int32Array(this.i32.length - BITMAP);
  }

  get firstPfn(): number {
    return Atomics.load(this.i32, W_FIRST) >>> 0;
  }

  get count(): number {
    return Atomics.load(this.i32, W_COUNT);
  }

  /** vCPU side: a write exit hit log-dirty frame `pfn` of the tracked range. */
  mark(pfn: number): void {
    const i = pfn - this.firstPfn;
    if (i < 0 || i >= this.count) return;
    Atomics.or(this.i32, BITMAP + (i >>> 5), 1 << (i & 31));
  }

  /** vCPU side: where vCPU `vcpu` acknowledges the device model's flushes (p2m-flush.ts). */
  flushPoint(vcpu: number): FlushPoint {
    return new FlushPoint(this.flushArea, vcpu);
  }

  /** Device-model side: flushes asked for, vCPUs kicked, flushes that gave up waiting. */
  get flushStats(): P2mFlush['stats'] {
    return this.flush().stats;
  }

  /**
   * Device-model side, one refresh: track [firstPfn, firstPfn+nr) (nr = 0 stops tracking and
   * makes the frames writable again), write one bit per page into `out` (LSB first, as Xen's
   * bitmap: bit i%8 of byte i/8 is page first+i), and re-protect the pages reported dirty.
   * `p2m` is the domain's shared p2m; `vcpus` the vCPUs the flush waits for. Returns the number
   * of dirty pages. When it returns, VRAM holds every write the reported pages will not exit for
   * (for a new range: unless its flush gave up, see the header).
   */
  track(p2m: Uint8Array, firstPfn: number, nr: number, out: Uint8Array, vcpus: FlushTargets): number {
    if (nr > this.maxPages) throw new RangeError(`track_dirty_vram: ${nr} pages exceed the ${this.maxPages} tracked`);
    const i32 = this.i32;
    if (nr === 0) {
      // Giving write access back needs no flush.
      const first = this.firstPfn;
      for (let k = 0; k < this.count; k++) p2m[first + k] = P2mType.MMIO_DIRECT;
      Atomics.store(i32, W_COUNT, 0);
      this.dropHeld();
      return 0;
    }
    if (firstPfn !== this.firstPfn || nr !== this.count) return this.newRange(p2m, firstPfn, nr, out, vcpus);
    const words = Math.ceil(nr / 32);
    const fresh = this.fresh;
    let collected = 0;
    for (let w = 0; w < words; w++) {
      const bits = Atomics.exchange(i32, BITMAP + w, 0);
      fresh[w] = bits;
      if (bits === 0) continue;
      for (let b = 0; b < 32; b++) {
        if (!(bits & (1 << b))) continue;
        const page = w * 32 + b;
        if (page >= nr) break;
        // Re-protect only what was collected: its next write exits and marks it again.
        p2m[firstPfn + page] = P2mType.RAM_LOGDIRTY;
        collected++;
      }
    }
    out.fill(0, 0, Math.ceil(nr / 8));
    // Nothing lost write access since the last completed flush: nothing to flush or report.
    if (collected === 0 && !this.holding) return 0;
    const flush = this.flush();
    const held = this.held;
    if (flush.flush(vcpus, this.flushWaitMs)) {
      for (let w = 0; w < words; w++) held[w]! |= fresh[w]!;
      const dirty = report(held, nr, out);
      this.dropHeld();
      return dirty;
    }
    // A vCPU may still write this refresh's pages unmarked: hold them back until a flush
    // completes. Pages held from an earlier flush are safe once every vCPU has passed that one.
    let dirty = 0;
    if (this.holding && flush.passed(this.heldSeq, vcpus)) {
      dirty = report(held, nr, out);
      this.dropHeld();
    }
    if (collected > 0) {
      for (let w = 0; w < words; w++) held[w]! |= fresh[w]!;
      this.holding = true;
      this.heldSeq = flush.seq;
    }
    return dirty;
  }

  /**
   * A new range: every page is dirty and starts write-protected; pages of the old range that the
   * new one does not cover become plain writable VRAM again.
   */
  private newRange(p2m: Uint8Array, firstPfn: number, nr: number, out: Uint8Array, vcpus: FlushTargets): number {
    const i32 = this.i32;
    const oldFirst = this.firstPfn;
    for (let k = 0; k < this.count; k++) p2m[oldFirst + k] = P2mType.MMIO_DIRECT;
    Atomics.store(i32, W_COUNT, 0);
    for (let w = BITMAP; w < i32.length; w++) Atomics.store(i32, w, 0);
    Atomics.store(i32, W_FIRST, firstPfn);
    for (let k = 0; k < nr; k++) p2m[firstPfn + k] = P2mType.RAM_LOGDIRTY;
    Atomics.store(i32, W_COUNT, nr);
    this.dropHeld();
    if (!this.flush().flush(vcpus, this.flushWaitMs)) {
      // The display redraws the whole new picture now anyway; every page is at risk, so they
      // are all reported again once the vCPUs have passed this flush.
      this.held.fill(-1, 0, Math.ceil(nr / 32));
      this.holding = true;
      this.heldSeq = this.flush().seq;
    }
    out.fill(0xff, 0, Math.ceil(nr / 8));
    if (nr % 8) out[Math.ceil(nr / 8) - 1] = (1 << (nr % 8)) - 1;
    return nr;
  }

  private flush(): P2mFlush {
    return (this.flusher ??= new P2mFlush(this.flushArea));
  }

  private dropHeld(): void {
    this.held.fill(0);
    this.holding = false;
  }
}

/** OR the pages of `bits` below `nr` into `out` (LSB-first bytes); returns how many. */
function report(bits: Int32Array, nr: number, out: Uint8Array): number {
  let n = 0;
  for (let w = 0; w < Math.ceil(nr / 32); w++) {
    const word = bits[w]!;
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) {
      const page = w * 32 + b;
      if (page >= nr) break;
      if (!(word & (1 << b))) continue;
      out[page >>> 3]! |= 1 << (page & 7);
      n++;
    }
  }
  return n;
}
