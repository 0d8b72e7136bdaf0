/**
 * What the std VGA is showing right now, worked out from its registers the way QEMU's display
 * code does: blank (attribute palette-address-source bit clear, text mode, or a mode not drawn
 * here), a VBE mode (size, depth, line bytes and start from DISPI), or a legacy graphics mode
 * (256-colour with pixels doubled across, as mode 13h, or 16-colour planar, from the CRTC:
 * width (CR1+1)·8, height from CR12/CR7, line offset CR13·8 bytes, start CRC/CRD, scan-line
 * repeat CR9, CGA/Hercules line addressing CR17 bits 0–1, and the line compare split).
 *
 * The result lists the VRAM offset of every displayed line, so the display can tell which lines
 * a dirty page touches and which VRAM pages the picture can come from.
 */
import type { VbeDispi } from './vbe-dispi.js';
import {
  AR_INDEX_PAS,
  CR_H_DISP,
  CR_LINE_COMPARE,
  CR_MAX_SCAN,
  CR_MODE,
  CR_OFFSET,
  CR_OVERFLOW,
  CR_START_HI,
  CR_START_LO,
  CR_V_DISP_END,
  GR_MISC,
  GR_MODE,
  SR_CLOCK_MODE,
  type VgaRegisters,
} from './vga-registers.js';
import { VRAM_PAGE_SHIFT } from './vram.js';

/**
 * How a line of VRAM becomes pixels: VBE direct colour (15/16/24/32 bpp), VBE 8 bpp through the
 * DAC, legacy 256 colours with each pixel shown twice, legacy 16-colour planar (optionally
 * doubled across, sequencer dot-clock/2).
 */
export type PixelFormat = 'rgb15' | 'rgb16' | 'rgb24' | 'rgb32' | 'indexed8' | 'indexed8x2' | 'planar4' | 'planar4x2';

export interface BlankGeometry {
  readonly format: 'blank';
  /** Why nothing is drawn (for logs and tests). */
  readonly reason: string;
}

export interface GraphicsGeometry {
  readonly format: PixelFormat;
  /** Displayed size in pixels (the surface's size). */
  readonly width: number;
  readonly height: number;
  /** Source pixels per line (half the width for the doubled formats). */
  readonly sourceWidth: number;
  /** VRAM bytes one displayed line reads. */
  readonly lineBytes: number;
  /** VRAM offset of each displayed line's first byte (already wrapped into VRAM). */
  readonly lineAddress: Int32Array;
  /** The VRAM pages any line reads: [firstPage, firstPage + pageCount). */
  readonly firstPage: number;
  readonly pageCount: number;
  /** Equal keys mean equal geometry (the display redraws everything when it changes). */
  readonly key: string;
}

export type DisplayGeometry = BlankGeometry | GraphicsGeometry;

export function isBlank(g: DisplayGeometry): g is BlankGeometry {
  return g.format === 'blank';
}

const VBE_FORMATS: Record<number, PixelFormat> = { 8: 'indexed8', 15: 'rgb15', 16: 'rgb16', 24: 'rgb24', 32: 'rgb32' };
const BITS: Record<PixelFormat, number> = {
  rgb15: 16,
  rgb16: 16,
  rgb24: 24,
  rgb32: 32,
  indexed8: 8,
  indexed8x2: 4,
  planar4: 4,
  planar4x2: 4,
};

interface Timing {
  format: PixelFormat;
  width: number;
  height: number;
  /** Displayed pixels per line. */
  displayWidth: number;
  lineOffset: number;
  start: number;
  /** Extra times each line is repeated. */
  multiScan: number;
  /** CR17 bits 0–1 (clear = CGA/Hercules interleave) and bit 6 (the CGA interleave bit). */
  crtcMode: number;
  /** Displayed line after which addressing restarts at 0 (-1: never). */
  lineCompare: number;
}

/** The current geometry; `vramSize` is a power of two. */
export function displayGeometry(regs: VgaRegisters, vbe: VbeDispi, vramSize: number): DisplayGeometry {
  if (!(regs.arIndex & AR_INDEX_PAS)) return { format: 'blank', reason: 'attribute controller palette access (screen off)' };
  if (!(regs.gr[GR_MISC]! & 1)) return { format: 'blank', reason: 'text mode (not drawn)' };
  const timing = vbe.enabled ? vbeTiming(vbe) : legacyTiming(regs);
  if (typeof timing === 'string') return { format: 'blank', reason: timing };
  return layout(timing, vramSize);
}

function vbeTiming(vbe: VbeDispi): Timing | string {
  const format = VBE_FORMATS[vbe.bpp];
  if (format === undefined) return `VBE ${vbe.bpp} bpp (not drawn)`;
  return {
    format,
    width: vbe.xres,
    height: vbe.yres,
    displayWidth: vbe.xres,
    lineOffset: vbe.lineBytes,
    start: vbe.startAddress,
    multiScan: 0,
    crtcMode: 3,
    lineCompare: -1,
  };
}

function legacyTiming(regs: VgaRegisters): Timing | string {
  const { cr, gr } = regs;
  const width = (cr[CR_H_DISP]! + 1) * 8;
  const height = (cr[CR_V_DISP_END]! | ((cr[CR_OVERFLOW]! & 0x02) << 7) | ((cr[CR_OVERFLOW]! & 0x40) << 3)) + 1;
  const shift = (gr[GR_MODE]! >> 5) & 3;
  const doubleScan = cr[CR_MAX_SCAN]! >> 7;
  if (shift === 1) return 'CGA 4-colour mode (not drawn)';
  const multiScan = (((cr[CR_MAX_SCAN]! & 0x1f) + 1) << doubleScan) - 1;
  let format: PixelFormat;
  let displayWidth = width;
  if (shift === 0) {
    const halfClock = (regs.seq(SR_CLOCK_MODE) & 8) !== 0;
    format = halfClock ? 'planar4x2' : 'planar4';
    if (halfClock) displayWidth = width * 2;
  } else {
    format = 'indexed8x2';
  }
  return {
    format,
    width,
    height,
    displayWidth,
    lineOffset: cr[CR_OFFSET]! << 3,
    start: ((cr[CR_START_HI]! << 8) | cr[CR_START_LO]!) * 4,
    multiScan,
    crtcMode: cr[CR_MODE]!,
    lineCompare: cr[CR_LINE_COMPARE]! | ((cr[CR_OVERFLOW]! & 0x10) << 4) | ((cr[CR_MAX_SCAN]! & 0x40) << 3),
  };
}

function layout(t: Timing, vramSize: number): GraphicsGeometry {
  const mask = vramSize - 1;
  const lineBytes = Math.ceil((t.width * BITS[t.format]) / 8);
  const lineAddress = new Int32Array(t.height);
  let rowStart = t.start;
  let row = 0;
  let repeat = t.multiScan;
  let lowest = Infinity;
  let highest = -Infinity;
  let wraps = false;
  for (let y = 0; y < t.height; y++) {
    let addr = rowStart;
    if (!(t.crtcMode & 1)) {
      // CGA: odd rows come from the second bank.
      const bit = 14 + ((t.crtcMode >> 6) & 1);
      addr = (addr & ~(1 << bit)) | ((row & 1) << bit);
    }
    if (!(t.crtcMode & 2)) addr = (addr & ~0x8000) | ((row & 2) << 14); // Hercules
    addr &= mask;
    lineAddress[y] = addr;
    if (addr + lineBytes > vramSize) wraps = true;
    lowest = Math.min(lowest, addr);
    highest = Math.max(highest, addr + lineBytes);
    if (repeat === 0) {
      const interleave = (t.crtcMode & 3) ^ 3;
      if ((row & interleave) === interleave) rowStart += t.lineOffset;
      row++;
      repeat = t.multiScan;
    } else {
      repeat--;
    }
    if (y === t.lineCompare) rowStart = 0;
  }
  const totalPages = vramSize >>> VRAM_PAGE_SHIFT;
  const firstPage = wraps ? 0 : lowest >>> VRAM_PAGE_SHIFT;
  const pageCount = wraps ? totalPages : ((highest - 1) >>> VRAM_PAGE_SHIFT) - firstPage + 1;
  return {
    format: t.format,
    width: t.displayWidth,
    height: t.height,
    sourceWidth: t.width,
    lineBytes,
    lineAddress,
    firstPage,
    pageCount,
    key: `${t.format} ${t.width}x${t.height} line=${t.lineOffset} start=${t.start} scan=${t.multiScan} crtc=${t.crtcMode & 0x43} split=${t.lineCompare}`,
  };
}
