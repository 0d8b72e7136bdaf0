/**
 * How each VGA mode learns which VRAM pages the guest changed since the last refresh (docs/architecture.md §6).
 * A scan looks at the pages the current picture is drawn from, [first, first + count), and sets
 * dirty[page] = 1 for each changed one. Writes the device model performed itself (legacy window,
 * trapped LFB writes, clears) are recorded in Vram.deviceDirty and added by the display in every
 * mode, so a scan only has to find the guest's direct writes:
 *
 * - `device` (trap, buffered): the guest cannot write VRAM directly; nothing to scan.
 * - `memcmp` (shared): compare each page with a shadow copy (Buffer.compare per 4 KiB page,
 *   measured on this project's machine) and copy the changed pages into the shadow.
 * - `checksum` (shared): keep a 32-bit hash per page (no shadow) and rehash every page.
 * - `track-dirty-vram` (shared-dirty): HVMOP_track_dirty_vram over the LFB frames of the range
 *   (fetch-and-clear the hypervisor's bits; DirtyVram re-protects what it reports and flushes
 *   the vCPUs' views of those frames, all before the display reads VRAM).
 *
 * When the range differs from the previous scan's (a mode change), the comparing strategies
 * resynchronise and report every page of it; track_dirty_vram does the same by itself. `stop`
 * is called while the display is blank: tracking ends (the frames become plain writable VRAM
 * again, no exits) until a picture needs it.
 */
import { DirtyVram } from '../../../shared/dirty-vram.js';
import { FLUSH_WAIT_MS, type FlushTargets } from '../../../shared/p2m-flush.js';
import { VRAM_PAGE_SHIFT, VRAM_PAGE_SIZE, type Vram } from './vram.js';

export interface ScanCost {
  /** Pages the strategy looked at. */
  pages: number;
  /** Bytes compared or hashed. */
  bytes: number;
  /** track_dirty_vram's p2m flush in this scan: vCPUs kicked, and whether it gave up waiting (0 or 1). */
  flushKicks?: number;
  flushTimeouts?: number;
}

export interface DirtyScan {
  readonly name: string;
  scan(first: number, count: number, dirty: Uint8Array, cost: ScanCost): void;
  stop(): void;
}

/** Trap and buffered modes: every guest write went through the device model. */
export class DeviceTrackedScan implements DirtyScan {
  readonly name = 'device';

  scan(_first: number, count: number, _dirty: Uint8Array, cost: ScanCost): void {
    cost.pages = count;
    cost.bytes = 0;
  }

  stop(): void {}
}

/** A range the comparing strategies keep state for; a different one means resynchronising. */
abstract class RangeScan implements DirtyScan {
  abstract readonly name: string;
  private first = -1;
  private count = 0;

  scan(first: number, count: number, dirty: Uint8Array, cost: ScanCost): void {
    cost.pages = count;
    cost.bytes = count * VRAM_PAGE_SIZE;
    if (first !== this.first || count !== this.count) {
      this.first = first;
      this.count = count;
      for (let page = first; page < first + count; page++) {
        this.resync(page);
        dirty[page] = 1;
      }
      return;
    }
    for (let page = first; page < first + count; page++) if (this.changed(page)) dirty[page] = 1;
  }

  stop(): void {
    this.first = -1;
    this.count = 0;
  }

  /** Take the page's current contents as the reference. */
  protected abstract resync(page: number): void;
  /** Whether the page differs from its reference (and make the current contents the reference). */
  protected abstract changed(page: number): boolean;
}

export class MemcmpScan extends RangeScan {
  readonly name = 'memcmp';
  private readonly live: Buffer;
  private readonly shadow: Buffer;

  constructor(private readonly vram: Vram) {
    super();
    this.live = Buffer.from(vram.bytes.buffer, vram.bytes.byteOffset, vram.size);
    this.shadow = Buffer.alloc(vram.size);
  }

  protected resync(page: number): void {
    const at = page << VRAM_PAGE_SHIFT;
    this.shadow.set(this.vram.bytes.subarray(at, at + VRAM_PAGE_SIZE), at);
  }

  protected changed(page: number): boolean {
    const at = page << VRAM_PAGE_SHIFT;
    const end = at + VRAM_PAGE_SIZE;
    if (this.live.compare(this.shadow, at, end, at, end) === 0) return false;
    this.resync(page);
    return true;
  }
}

export class ChecksumScan extends RangeScan {
  readonly name = 'checksum';
  private readonly hashes: Uint32Array;

  constructor(private readonly vram: Vram) {
    super();
    this.hashes = new Uint32Array(vram.pages);
  }

  protected resync(page: number): void {
    this.hashes[page] = hashPage(this.vram.words, page);
  }

  protected changed(page: number): boolean {
    const h = hashPage(this.vram.words, page);
    if (h === this.hashes[page]) return false;
    this.hashes[page] = h;
    return true;
  }
}

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const WORDS_PER_PAGE = VRAM_PAGE_SIZE / 4;

/**
 * A 32-bit hash of one page: xxHash32's four-lane round over the page's 1024 words and its
 * final avalanche (the 4-lane shape measured fastest of the hashes on this project's machine).
 */
export function hashPage(words: Uint32Array, page: number): number {
  let a = PRIME1 + PRIME2;
  let b = PRIME2;
  let c = 0;
  let d = -PRIME1;
  const end = (page + 1) * WORDS_PER_PAGE;
  for (let i = page * WORDS_PER_PAGE; i < end; i += 4) {
    a = Math.imul(rotl(a + Math.imul(words[i]!, PRIME2), 13), PRIME1);
    b = Math.imul(rotl(b + Math.imul(words[i + 1]!, PRIME2), 13), PRIME1);
    c = Math.imul(rotl(c + Math.imul(words[i + 2]!, PRIME2), 13), PRIME1);
    d = Math.imul(rotl(d + Math.imul(words[i + 3]!, PRIME2), 13), PRIME1);
  }
  let h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
  h = Math.imul(h ^ (h >>> 15), PRIME2);
  h = Math.imul(h ^ (h >>> 13), PRIME3);
  return (h ^ (h >>> 16)) >>> 0;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** shared-dirty: HVMOP_track_dirty_vram over the LFB frames of the range. */
export class TrackDirtyVramScan implements DirtyScan {
  readonly name = 'track-dirty-vram';
  private readonly dirtyVram: DirtyVram;
  private readonly bitmap: Uint8Array;
  private tracking = false;

  constructor(
    dirtyVramBuffer: SharedArrayBuffer,
    private readonly p2m: Uint8Array,
    /** First guest frame of the LFB (BAR0 address >> 12). */
    private readonly lfbPfn: number,
    /** The domain's vCPUs, which the flush after re-protecting waits for (p2m-flush.ts). */
    private readonly vcpus: FlushTargets,
    /** How long that flush may wait before the pages are held back to a later refresh. */
    flushWaitMs = FLUSH_WAIT_MS,
  ) {
    this.dirtyVram = new DirtyVram(dirtyVramBuffer, flushWaitMs);
    this.bitmap = new Uint8Array(Math.ceil(this.dirtyVram.maxPages / 8));
  }

  /** The flushes this scan asked for, the vCPUs they kicked, and how many gave up waiting. */
  get flushStats(): DirtyVram['flushStats'] {
    return this.dirtyVram.flushStats;
  }

  scan(first: number, count: number, dirty: Uint8Array, cost: ScanCost): void {
    cost.pages = count;
    cost.bytes = 0;
    this.tracking = true;
    const bitmap = this.bitmap;
    const before = { ...this.dirtyVram.flushStats };
    const found = this.dirtyVram.track(this.p2m, this.lfbPfn + first, count, bitmap, this.vcpus);
    const after = this.dirtyVram.flushStats;
    cost.flushKicks = after.kicks - before.kicks;
    cost.flushTimeouts = after.timeouts - before.timeouts;
    if (found === 0) return;
    for (let i = 0; i < count; i += 8) {
      const bits = bitmap[i >>> 3]!;
      if (bits === 0) continue;
      for (let b = 0; b < 8 && i + b < count; b++) if (bits & (1 << b)) dirty[first + i + b] = 1;
    }
  }

  stop(): void {
    if (!this.tracking) return;
    this.tracking = false;
    this.dirtyVram.track(this.p2m, 0, 0, this.bitmap, this.vcpus);
  }
}
