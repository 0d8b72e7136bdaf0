/**
 * HVMOP_track_dirty_vram (xen-facts §5.2): one bit per 4 KiB page of the tracked VRAM range,
 * set by the hypervisor on the first write to a write-protected (log-dirty) page, fetched and
 * cleared by the device model at each refresh, which re-protects the pages it collected. The
 * first call after the range changes reports every page dirty.
 *
 * Ordering across threads, so no write is ever missed:
 *  - vCPU, on a write exit to a log-dirty frame: make the frame writable, THEN set its bit
 *    (setWritableThenMark). Between the two a write may land unmarked, but the bit follows.
 *  - device model: fetch-and-clear the bits, THEN re-protect exactly the frames it collected,
 *    THEN read VRAM. A write that slipped in before re-protection is in VRAM when it is read;
 *    a write after it exits again and sets the bit for the next refresh.
 *
 * Layout (Int32 words): 0 tracked first frame (pfn), 1 tracked frame count (0 = off),
 * 2–3 reserved, then the bitmap (one bit per frame of VRAM).
 */
import { P2mType } from './p2m.js';

const W_FIRST = 0;
const W_COUNT = 1;
const BITMAP = 4;

export function createDirtyVramBuffer(vramBytes: number): SharedArrayBuffer {
  const pages = Math.ceil(vramBytes / 4096);
  return new SharedArrayBuffer((BITMAP + Math.ceil(pages / 32)) * 4);
}

export class DirtyVram {
  private readonly i32: Int32Array;
  readonly maxPages: number;

  constructor(buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.maxPages = (this.i32.length - BITMAP) * 32;
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

  /**
   * Device-model side, one refresh: track [firstPfn, firstPfn+nr) (nr = 0 stops tracking and
   * makes the frames writable again), write one bit per page into `out` (LSB first, as Xen's
   * bitmap: bit i%8 of byte i/8 is page first+i), and re-protect the pages reported dirty.
   * `p2m` is the domain's shared p2m; `protectedType` is what a clean page goes back to
   * (RAM_LOGDIRTY). Returns the number of dirty pages.
   */
  track(p2m: Uint8Array, firstPfn: number, nr: number, out: Uint8Array): number {
    if (nr > this.maxPages) throw new RangeError(`track_dirty_vram: ${nr} pages exceed the ${this.maxPages} tracked`);
    const i32 = this.i32;
    if (nr === 0) {
      const first = this.firstPfn;
      for (let k = 0; k < this.count; k++) p2m[first + k] = P2mType.MMIO_DIRECT;
      Atomics.store(i32, W_COUNT, 0);
      return 0;
    }
    if (firstPfn !== this.firstPfn || nr !== this.count) {
      // A new range: everything is dirty, and every page starts write-protected; pages of the
      // old range that the new one does not cover become plain writable VRAM again.
      const oldFirst = this.firstPfn;
      for (let k = 0; k < this.count; k++) p2m[oldFirst + k] = P2mType.MMIO_DIRECT;
      Atomics.store(i32, W_COUNT, 0);
      for (let w = BITMAP; w < i32.length; w++) Atomics.store(i32, w, 0);
      Atomics.store(i32, W_FIRST, firstPfn);
      for (let k = 0; k < nr; k++) p2m[firstPfn + k] = P2mType.RAM_LOGDIRTY;
      Atomics.store(i32, W_COUNT, nr);
      out.fill(0xff, 0, Math.ceil(nr / 8));
      if (nr % 8) out[Math.ceil(nr / 8) - 1] = (1 << (nr % 8)) - 1;
      return nr;
    }
    out.fill(0, 0, Math.ceil(nr / 8));
    let dirty = 0;
    for (let w = 0; w < Math.ceil(nr / 32); w++) {
      const bits = Atomics.exchange(i32, BITMAP + w, 0);
      if (bits === 0) continue;
      for (let b = 0; b < 32; b++) {
        if (!(bits & (1 << b))) continue;
        const page = w * 32 + b;
        if (page >= nr) break;
        // Re-protect only what was collected: its next write exits and marks it again.
        p2m[firstPfn + page] = P2mType.RAM_LOGDIRTY;
        out[page >>> 3]! |= 1 << (page & 7);
        dirty++;
      }
    }
    return dirty;
  }
}
