/**
 * What one display refresh spends finding the changed VRAM pages, per dirty-scan strategy, on
 * synthetic VRAM (issue 4): the real scans of device-model/devices/vga/dirty-scan.ts over a
 * surface of a given size with a given fraction of its pages written since the last refresh,
 * beside the memory-bandwidth floor of the same size measured in the same thread.
 *
 * Each refresh is timed alone (hrtime) and only the display's "which pages changed" step is
 * timed: clear the page map, the strategy's scan, merge the pages the device model wrote itself
 * (display.ts does exactly this in every mode). Dirtying the pages between refreshes is not
 * timed; it is done the way each mode's writes arrive:
 *   - memcmp, checksum (`shared`): the guest stores straight into VRAM;
 *   - dirty-bitmap (`shared-dirty`): a simulated vCPU takes the log-dirty "exit" on the first
 *     write to a page (makes the frame writable, sets its bit, as hypervisor/mmio.ts does), then
 *     stores; the guest-side exits are not the device model's time and are not in the figure,
 *     nor is the flush handshake with vCPU threads (there are none here; flush-cost.ts times it);
 *   - device (`trap`, `buffered`): the device model performed the write and marked the page.
 * A changed word sits in the middle of its page, so a comparison finds it halfway on average.
 */
import { hrtime } from 'node:process';
import { P2mType } from '../shared/p2m.js';
import { ChecksumScan, DeviceTrackedScan, MemcmpScan, TrackDirtyVramScan, type DirtyScan, type ScanCost } from '../device-model/devices/vga/dirty-scan.js';
import { Vram, VRAM_PAGE_SHIFT, VRAM_PAGE_SIZE } from '../device-model/devices/vga/vram.js';
import { createDirtyVramBuffer, DirtyVram } from '../shared/dirty-vram.js';
import { NO_VCPUS } from '../shared/p2m-flush.js';
import { VRAM_BYTES } from '../shared/vga-config.js';
import { DIRTY_FRACTIONS, SCAN_STRATEGY_NAMES, type ScanStrategyName, type SurfaceSpec } from './scan-strategies.js';
import { median, quantile } from './statistics.js';

export interface ScanPoint {
  fraction: number;
  /** Pages written before each refresh. */
  dirtyPages: number;
  /** Pages the refresh reported dirty (every timed refresh agreed, or the run throws). */
  found: number;
  medianMs: number;
  minMs: number;
  iqrMs: number;
}

export interface SurfaceScanCost {
  surface: string;
  bytes: number;
  pages: number;
  repeats: number;
  strategies: { strategy: ScanStrategyName; points: ScanPoint[] }[];
  /** TypedArray.set of the surface's bytes (a copy: reads and writes them once), median ms. */
  copyFloorMs: number;
  /** Buffer.compare of two equal buffers of the surface's size (reads both), median ms. */
  compareFloorMs: number;
}

const WARMUP_PASSES = 3;

/** LFB frame number the dirty bitmap is kept for (the toolstack puts BAR0 at 0xF0000000). */
const LFB_PFN = 0xf0000000 >>> VRAM_PAGE_SHIFT;

/** `k` pages spread evenly over `pages`. */
export function dirtyPageSet(pages: number, fraction: number): number[] {
  const k = Math.round(pages * fraction);
  return Array.from({ length: k }, (_, i) => Math.floor((i * pages) / k));
}

interface Rig {
  vram: Vram;
  scan: DirtyScan;
  /** Write each page of the set the way this mode's writes arrive. */
  write(pages: readonly number[], round: number): void;
}

function rig(strategy: ScanStrategyName, vram: Vram): Rig {
  const store = (page: number, round: number): void => {
    const w = (page << (VRAM_PAGE_SHIFT - 2)) + VRAM_PAGE_SIZE / 8;
    vram.words[w] = (vram.words[w]! + round + 1) >>> 0;
  };
  const plain = (pages: readonly number[], round: number): void => pages.forEach((p) => store(p, round));
  switch (strategy) {
    case 'memcmp':
      return { vram, scan: new MemcmpScan(vram), write: plain };
    case 'checksum':
      return { vram, scan: new ChecksumScan(vram), write: plain };
    case 'device':
      return {
        vram,
        scan: new DeviceTrackedScan(),
        write: (pages, round) => pages.forEach((p) => (store(p, round), vram.markDirty(p << VRAM_PAGE_SHIFT, 4))),
      };
    case 'dirty-bitmap': {
      const buffer = createDirtyVramBuffer(vram.size);
      const p2m = new Uint8Array(LFB_PFN + vram.pages);
      p2m.fill(P2mType.MMIO_DIRECT, LFB_PFN);
      const vcpuSide = new DirtyVram(buffer);
      return {
        vram,
        scan: new TrackDirtyVramScan(buffer, p2m, LFB_PFN, NO_VCPUS),
        write: (pages, round) => {
          for (const p of pages) {
            const pfn = LFB_PFN + p;
            if (p2m[pfn] === P2mType.RAM_LOGDIRTY) {
              p2m[pfn] = P2mType.MMIO_DIRECT;
              vcpuSide.mark(pfn);
            }
            store(p, round);
          }
        },
      };
    }
  }
}

/** The display's "which pages changed" step for pages [0, count); returns the pages found dirty. */
function findDirty(r: Rig, count: number, dirty: Uint8Array, cost: ScanCost): number {
  dirty.fill(0, 0, count);
  r.scan.scan(0, count, dirty, cost);
  const deviceDirty = r.vram.deviceDirty;
  let n = 0;
  for (let page = 0; page < count; page++) {
    if (deviceDirty[page]) dirty[page] = 1;
    n += dirty[page]!;
  }
  deviceDirty.fill(0);
  return n;
}

function nowNs(): bigint {
  return hrtime.bigint();
}

function msSince(t0: bigint): number {
  return Number(nowNs() - t0) / 1e6;
}

function pointOf(fraction: number, dirtyPages: number, found: number, ms: number[]): ScanPoint {
  return { fraction, dirtyPages, found, medianMs: median(ms), minMs: Math.min(...ms), iqrMs: quantile(ms, 0.75) - quantile(ms, 0.25) };
}

export interface SurfaceOptions {
  repeats: number;
  warmup: number;
  strategies?: readonly ScanStrategyName[];
  fractions?: readonly number[];
}

/** Every strategy at every dirty fraction on one surface, then the floors; one thread's work. */
export function measureSurface(surface: SurfaceSpec, o: SurfaceOptions): SurfaceScanCost {
  const pages = Math.ceil(surface.bytes / VRAM_PAGE_SIZE);
  const strategies = o.strategies ?? SCAN_STRATEGY_NAMES;
  const fractions = o.fractions ?? DIRTY_FRACTIONS;
  const out: SurfaceScanCost = { surface: surface.name, bytes: surface.bytes, pages, repeats: o.repeats, strategies: [], copyFloorMs: 0, compareFloorMs: 0 };
  const dirty = new Uint8Array(VRAM_BYTES >>> VRAM_PAGE_SHIFT);
  const cost: ScanCost = { pages: 0, bytes: 0 };
  for (const strategy of strategies) {
    // Fresh VRAM per strategy, holding a picture (not zeros) as a guest's would.
    const vram = new Vram(new SharedArrayBuffer(VRAM_BYTES));
    for (let i = 0; i < pages << (VRAM_PAGE_SHIFT - 2); i++) vram.words[i] = Math.imul(i, 0x9e3779b1) >>> 0;
    const r = rig(strategy, vram);
    findDirty(r, pages, dirty, cost); // the first scan of a range reports (and resynchronises) everything
    const sets = fractions.map((f) => dirtyPageSet(pages, f));
    let round = 0;
    const refresh = (set: readonly number[]): number => {
      r.write(set, round++);
      const t0 = nowNs();
      const n = findDirty(r, pages, dirty, cost);
      const t = msSince(t0);
      if (n !== set.length) throw new Error(`scan ${strategy} on ${surface.name}: found ${n} dirty pages, ${set.length} were written`);
      return t;
    };
    // Warm up over every fraction in turn, so the code is optimised for all of them before any
    // is timed (micro-second figures otherwise follow V8's tier-up more than the work).
    for (let pass = 0; pass < WARMUP_PASSES; pass++) for (const set of sets) for (let i = 0; i < o.warmup; i++) refresh(set);
    const points = sets.map((set, k) => {
      const ms = Array.from({ length: o.repeats }, () => refresh(set));
      return pointOf(fractions[k]!, set.length, set.length, ms);
    });
    out.strategies.push({ strategy, points });
  }
  const live = new Uint8Array(surface.bytes);
  for (let i = 0; i < live.length; i++) live[i] = (i * 131) & 0xff;
  const shadow = new Uint8Array(surface.bytes);
  const copy: number[] = [];
  const compare: number[] = [];
  const a = Buffer.from(live.buffer);
  const b = Buffer.from(shadow.buffer);
  for (let i = 0; i < o.warmup + o.repeats; i++) {
    let t0 = nowNs();
    shadow.set(live);
    const c = msSince(t0);
    t0 = nowNs();
    const same = a.compare(b);
    const m = msSince(t0);
    if (same !== 0) throw new Error('scan floor: the copy differs from its source');
    if (i >= o.warmup) copy.push(c), compare.push(m);
  }
  out.copyFloorMs = median(copy);
  out.compareFloorMs = median(compare);
  return out;
}
