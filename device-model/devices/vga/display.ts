/**
 * The display refresh, run by the device model's loop every 1/refreshHz s (docs/architecture.md §6; what
 * qemu-dm's vga_draw_graphic does per refresh):
 *
 * 1. Work out the geometry. A new one (mode set, panning, split) redraws every line; so does a
 *    palette that now gives different colours. Blank: the surface turns black once (keeping its
 *    size, as QEMU's blank screen does) and dirty tracking stops.
 * 2. Find the changed VRAM pages of the picture with the mode's DirtyScan, and add the pages the
 *    device model wrote itself (a full redraw counts every page of the picture as dirty).
 * 3. Redraw each displayed line whose VRAM bytes touch a dirty page, and record the redrawn rows
 *    as full-width rectangles (`updatedRows`) for sinks that send only what changed (VNC later).
 *
 * Counters (shared/run-stats.ts): refreshes; frames (refreshes that changed the surface);
 * pages_scanned, bytes_compared and dirty_pages (the scan's work and findings); display_ms
 * (wall time spent refreshing).
 */
import { DM_COUNTER_INDEX } from '../../../shared/run-stats.js';
import { displayGeometry, isBlank, type DisplayGeometry, type GraphicsGeometry } from './display-geometry.js';
import { DisplaySurface } from './display-surface.js';
import type { DirtyScan, ScanCost } from './dirty-scan.js';
import { palette16, palette256 } from './palette.js';
import { convertLine } from './scanline-convert.js';
import type { VbeDispi } from './vbe-dispi.js';
import { AR_PLANE_ENABLE, type VgaRegisters } from './vga-registers.js';
import { VRAM_PAGE_SHIFT, type Vram } from './vram.js';

const C_REFRESHES = DM_COUNTER_INDEX.refreshes;
const C_FRAMES = DM_COUNTER_INDEX.frames;
const C_PAGES = DM_COUNTER_INDEX.pages_scanned;
const C_BYTES = DM_COUNTER_INDEX.bytes_compared;
const C_DIRTY = DM_COUNTER_INDEX.dirty_pages;
const C_FLUSH_KICKS = DM_COUNTER_INDEX.vram_flush_kicks;
const C_FLUSH_TIMEOUTS = DM_COUNTER_INDEX.vram_flush_timeouts;
const C_MS = DM_COUNTER_INDEX.display_ms;

/** The surface before any mode is shown (QEMU starts at 640×480 too). */
export const INITIAL_WIDTH = 640;
export const INITIAL_HEIGHT = 480;

export interface VgaDisplayParts {
  readonly vram: Vram;
  readonly regs: VgaRegisters;
  readonly vbe: VbeDispi;
  readonly scan: DirtyScan;
  /** dmCounters (shared/run-stats.ts). */
  readonly counters: Float64Array;
}

export class VgaDisplay {
  readonly surface = new DisplaySurface(INITIAL_WIDTH, INITIAL_HEIGHT);
  /** The geometry of the last refresh. */
  geometry: DisplayGeometry = { format: 'blank', reason: 'not refreshed yet' };
  /** Surface rows the last refresh changed, as pairs: first row, end row (exclusive), ... */
  readonly updatedRows: number[] = [];
  private lastKey = '';
  /** One byte per VRAM page: changed since the last refresh. */
  private readonly dirty: Uint8Array;
  private readonly palette = new Uint32Array(256);
  private readonly palette4 = new Uint32Array(16);
  private readonly cost: ScanCost = { pages: 0, bytes: 0, flushKicks: 0, flushTimeouts: 0 };
  /** A line that wraps past the end of VRAM is gathered here first. */
  private wrapped = new Uint8Array(0);

  constructor(private readonly parts: VgaDisplayParts) {
    this.dirty = new Uint8Array(parts.vram.pages);
  }

  /** One refresh; returns whether the surface changed. */
  refresh(): boolean {
    const start = performance.now();
    const { vram, regs, vbe, counters } = this.parts;
    counters[C_REFRESHES]++;
    this.updatedRows.length = 0;
    const geometry = displayGeometry(regs, vbe, vram.size);
    this.geometry = geometry;
    let changed: boolean;
    if (isBlank(geometry)) changed = this.blank();
    else changed = this.draw(geometry);
    if (changed) counters[C_FRAMES]++;
    counters[C_MS] += performance.now() - start;
    return changed;
  }

  private blank(): boolean {
    this.parts.scan.stop();
    this.parts.vram.deviceDirty.fill(0);
    if (this.lastKey === 'blank') return false;
    this.lastKey = 'blank';
    this.surface.resize(this.surface.width, this.surface.height);
    this.updatedRows.push(0, this.surface.height);
    return true;
  }

  private draw(g: GraphicsGeometry): boolean {
    const { vram, regs, vbe, scan, counters } = this.parts;
    let full = false;
    if (g.key !== this.lastKey) {
      this.lastKey = g.key;
      this.surface.resize(g.width, g.height);
      full = true;
    }
    const dac = regs.dac.palette;
    if (g.format === 'planar4' || g.format === 'planar4x2') {
      if (palette16(regs.ar, dac, this.palette4)) full = true;
    } else if (g.format === 'indexed8' || g.format === 'indexed8x2') {
      if (palette256(dac, vbe.dac8bit, this.palette)) full = true;
    }

    // Which pages changed: the mode's scan plus the device model's own writes.
    const dirty = this.dirty;
    const first = g.firstPage;
    const end = first + g.pageCount;
    dirty.fill(0, first, end);
    this.cost.flushKicks = this.cost.flushTimeouts = 0;
    scan.scan(first, g.pageCount, dirty, this.cost);
    const deviceDirty = vram.deviceDirty;
    // A full redraw draws from every page: count them all, whatever the mode's scan knows.
    if (full) dirty.fill(1, first, end);
    let dirtyPages = 0;
    for (let page = first; page < end; page++) {
      if (deviceDirty[page]) dirty[page] = 1;
      dirtyPages += dirty[page]!;
    }
    deviceDirty.fill(0);
    counters[C_PAGES] += this.cost.pages;
    counters[C_BYTES] += this.cost.bytes;
    counters[C_DIRTY] += dirtyPages;
    counters[C_FLUSH_KICKS] += this.cost.flushKicks!;
    counters[C_FLUSH_TIMEOUTS] += this.cost.flushTimeouts!;
    if (!full && dirtyPages === 0) return false;

    const palette = g.format === 'planar4' || g.format === 'planar4x2' ? this.palette4 : this.palette;
    const planeMask = regs.ar[AR_PLANE_ENABLE]! & 0xf;
    const out = this.surface.pixels;
    const bytes = vram.bytes;
    const lineBytes = g.lineBytes;
    const rows = this.updatedRows;
    let runStart = -1;
    for (let y = 0; y < g.height; y++) {
      const addr = g.lineAddress[y]!;
      if (!full && !this.touchesDirty(addr, lineBytes)) {
        if (runStart >= 0) rows.push(runStart, y);
        runStart = -1;
        continue;
      }
      if (runStart < 0) runStart = y;
      if (addr + lineBytes <= vram.size) {
        convertLine(g.format, bytes, addr, g.sourceWidth, out, y * g.width, palette, planeMask);
      } else {
        convertLine(g.format, this.gather(addr, lineBytes), 0, g.sourceWidth, out, y * g.width, palette, planeMask);
      }
    }
    if (runStart >= 0) rows.push(runStart, g.height);
    return rows.length > 0;
  }

  private touchesDirty(addr: number, length: number): boolean {
    const dirty = this.dirty;
    const mask = this.parts.vram.pages - 1;
    const last = (addr + length - 1) >>> VRAM_PAGE_SHIFT;
    for (let page = addr >>> VRAM_PAGE_SHIFT; page <= last; page++) if (dirty[page & mask]) return true;
    return false;
  }

  /** A line's bytes read with wrap-around at the end of VRAM, as QEMU's masked reads do. */
  private gather(addr: number, length: number): Uint8Array {
    if (this.wrapped.length < length) this.wrapped = new Uint8Array(length);
    const bytes = this.parts.vram.bytes;
    const head = bytes.length - addr;
    this.wrapped.set(bytes.subarray(addr), 0);
    this.wrapped.set(bytes.subarray(0, length - head), head);
    return this.wrapped;
  }
}
