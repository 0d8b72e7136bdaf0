/**
 * The legacy VGA register file of QEMU's std VGA (ports 0x3B4/5, 0x3BA, 0x3C0–0x3CF, 0x3D4/5,
 * 0x3DA): enough that any mode set a guest programs by hand succeeds and reads back, and that
 * the display can work out a legacy graphics mode.
 *
 * Behaviour follows QEMU 7.2 as a guest sees it (probed with qemu-system-i386): indexes are
 * masked (sequencer 3 bits, graphics controller 4 bits), register values are masked per index,
 * the attribute controller's index/data flip-flop is reset by reading input status 1, which
 * also toggles its retrace and display-enable bits so polling loops end; CR0–CR7 are write
 * protected by CR11 bit 7 except CR7 bit 4; the mono (0x3Bx) or colour (0x3Dx) CRTC ports answer
 * according to misc output bit 0, the others read 0xFF.
 *
 * Reset state is what SeaBIOS's VGA BIOS leaves after setting text mode 3 at boot (the same
 * probe): colour emulation, the attribute index with the palette-address-source bit set (the
 * display is on), and mode 3's sequencer, CRTC, graphics and attribute values.
 *
 * While VBE is enabled, QEMU rewrites some of these registers to describe the VBE mode
 * (graphics, 64 KiB window at 0xA0000, CRTC width/height/offset) after every write, and uses a
 * private copy of the sequencer with chain-4 and all planes on; `applyVbeMode` does the same.
 */
import type { AccessSize, IoRegion } from '../../../shared/io-bus.js';
import { VgaDac } from './vga-dac.js';

// Register indexes the rest of the VGA reads.
export const SR_CLOCK_MODE = 0x01;
export const SR_PLANE_WRITE = 0x02;
export const SR_MEMORY_MODE = 0x04;
export const GR_SR_VALUE = 0x00;
export const GR_SR_ENABLE = 0x01;
export const GR_COMPARE_VALUE = 0x02;
export const GR_DATA_ROTATE = 0x03;
export const GR_PLANE_READ = 0x04;
export const GR_MODE = 0x05;
export const GR_MISC = 0x06;
export const GR_COMPARE_MASK = 0x07;
export const GR_BIT_MASK = 0x08;
export const CR_H_DISP = 0x01;
export const CR_OVERFLOW = 0x07;
export const CR_MAX_SCAN = 0x09;
export const CR_START_HI = 0x0c;
export const CR_START_LO = 0x0d;
export const CR_V_SYNC_END = 0x11;
export const CR_V_DISP_END = 0x12;
export const CR_OFFSET = 0x13;
export const CR_MODE = 0x17;
export const CR_LINE_COMPARE = 0x18;
export const AR_MODE = 0x10;
export const AR_PLANE_ENABLE = 0x12;
export const AR_COLOR_PAGE = 0x14;

/** Misc output bit 0: CRTC at 0x3Dx (colour) rather than 0x3Bx (mono). */
const MISC_COLOR = 0x01;
/** Input status 1: vertical retrace and display enable, toggled on each read. */
const ST01_TOGGLE = 0x09;
/** Attribute index bit 5: the palette address source; clear means the screen is blanked. */
export const AR_INDEX_PAS = 0x20;

const SR_MASK = [0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff];
const GR_MASK = [0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0];

// Mode 3 (80×25 colour text) as the VGA BIOS sets it.
const MODE3_MISC = 0x67;
const MODE3_SR = [0x03, 0x00, 0x03, 0x00, 0x02];
const MODE3_GR = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff];
const MODE3_CR = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28,
  0x1f, 0x96, 0xb9, 0xa3, 0xff,
];
const MODE3_AR = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08,
  0x00,
];

/** QEMU's VGA ports are byte ports: the bus splits a wider access into consecutive ports. */
const VGA_PORT_RANGES = [
  [0x3b4, 2],
  [0x3ba, 1],
  [0x3c0, 16],
  [0x3d4, 2],
  [0x3da, 1],
] as const;

export class VgaRegisters {
  readonly name = 'vga-registers';
  readonly regions: readonly IoRegion[] = VGA_PORT_RANGES.map(([base, length]) => ({
    base,
    length,
    impl: { min: 1, max: 1 },
    read: (offset: number) => this.readByte(base + offset),
    write: (offset: number, _size: AccessSize, value: number) => this.writeByte(base + offset, value),
  }));
  readonly dac = new VgaDac();
  /** Sequencer as the guest programmed it. */
  readonly sr = new Uint8Array(8);
  /** Sequencer as memory access sees it while VBE is on (QEMU's sr_vbe). */
  readonly srVbe = new Uint8Array(8);
  readonly gr = new Uint8Array(16);
  readonly cr = new Uint8Array(256);
  readonly ar = new Uint8Array(21);
  misc = MODE3_MISC;
  arIndex = AR_INDEX_PAS;
  private arFlipFlop = 0;
  private srIndex = 0;
  private grIndex = 0;
  private crIndex = 0;
  private st01 = 0;
  private featureControl = 0;
  /** Whether VBE is on (its mode then overrides registers); set by the VBE device. */
  vbeActive = false;
  /** Called after any register write while VBE is on, to reassert the VBE mode. */
  onVbeOverride: () => void = () => {};

  constructor() {
    this.sr.set(MODE3_SR);
    this.srVbe.set(MODE3_SR);
    this.gr.set(MODE3_GR);
    this.cr.set(MODE3_CR);
    this.ar.set(MODE3_AR);
  }

  /** The sequencer register memory access and the display use (VBE's copy while VBE is on). */
  seq(index: number): number {
    return this.vbeActive ? this.srVbe[index]! : this.sr[index]!;
  }

  /** Misc output bit 0 selects which CRTC/status ports answer. */
  private ignored(port: number): boolean {
    const color = (this.misc & MISC_COLOR) !== 0;
    return (port >= 0x3b0 && port <= 0x3bf && color) || (port >= 0x3d0 && port <= 0x3df && !color);
  }

  readByte(port: number): number {
    if (this.ignored(port)) return 0xff;
    switch (port) {
      case 0x3c0:
        return this.arFlipFlop === 0 ? this.arIndex : 0;
      case 0x3c1: {
        const index = this.arIndex & 0x1f;
        return index < this.ar.length ? this.ar[index]! : 0;
      }
      case 0x3c4:
        return this.srIndex;
      case 0x3c5:
        return this.sr[this.srIndex]!;
      case 0x3c6:
      case 0x3c7:
      case 0x3c8:
      case 0x3c9:
        return this.dac.read(port);
      case 0x3ca:
        return this.featureControl;
      case 0x3cc:
        return this.misc;
      case 0x3ce:
        return this.grIndex;
      case 0x3cf:
        return this.gr[this.grIndex]!;
      case 0x3b4:
      case 0x3d4:
        return this.crIndex;
      case 0x3b5:
      case 0x3d5:
        return this.cr[this.crIndex]!;
      case 0x3ba:
      case 0x3da:
        this.st01 ^= ST01_TOGGLE;
        this.arFlipFlop = 0;
        return this.st01;
      default:
        return 0; // input status 0 (0x3C2) and unused ports
    }
  }

  writeByte(port: number, value: number): void {
    if (this.ignored(port)) return;
    switch (port) {
      case 0x3c0:
        if (this.arFlipFlop === 0) this.arIndex = value & 0x3f;
        else this.writeAttribute(this.arIndex & 0x1f, value);
        this.arFlipFlop ^= 1;
        return;
      case 0x3c2:
        this.misc = value & ~0x10;
        return;
      case 0x3c4:
        this.srIndex = value & 7;
        return;
      case 0x3c5:
        this.sr[this.srIndex] = value & SR_MASK[this.srIndex]!;
        this.srVbe[this.srIndex] = this.sr[this.srIndex]!;
        this.afterWrite();
        return;
      case 0x3c6:
      case 0x3c7:
      case 0x3c8:
      case 0x3c9:
        this.dac.write(port, value);
        return;
      case 0x3ce:
        this.grIndex = value & 0x0f;
        return;
      case 0x3cf:
        this.gr[this.grIndex] = value & GR_MASK[this.grIndex]!;
        this.afterWrite();
        return;
      case 0x3b4:
      case 0x3d4:
        this.crIndex = value;
        return;
      case 0x3b5:
      case 0x3d5:
        this.writeCrtc(value);
        return;
      case 0x3ba:
      case 0x3da:
        this.featureControl = value & 0x10;
        return;
      default:
        return;
    }
  }

  private writeAttribute(index: number, value: number): void {
    if (index <= 0x0f) this.ar[index] = value & 0x3f;
    else if (index === 0x10) this.ar[index] = value & ~0x10;
    else if (index === 0x11) this.ar[index] = value;
    else if (index === 0x12) this.ar[index] = value & ~0xc0;
    else if (index === 0x13 || index === 0x14) this.ar[index] = value & ~0xf0;
  }

  private writeCrtc(value: number): void {
    const cr = this.cr;
    if (cr[CR_V_SYNC_END]! & 0x80 && this.crIndex <= CR_OVERFLOW) {
      // CR0–CR7 are locked; only the line-compare bit 8 in CR7 stays writable.
      if (this.crIndex === CR_OVERFLOW) {
        cr[CR_OVERFLOW] = (cr[CR_OVERFLOW]! & ~0x10) | (value & 0x10);
        this.afterWrite();
      }
      return;
    }
    cr[this.crIndex] = value;
    this.afterWrite();
  }

  private afterWrite(): void {
    if (this.vbeActive) this.onVbeOverride();
  }

  /**
   * Describe a VBE mode in the legacy registers (QEMU's vbe_update_vgaregs): graphics mode with
   * the 64 KiB window at 0xA0000, no CGA addressing, CRTC width, height and line offset, line
   * compare out of reach, 256-colour shift mode with chain-4 and all planes (planar for 4 bpp).
   */
  applyVbeMode(xres: number, yres: number, lineBytes: number, bpp: number): void {
    const { gr, cr, srVbe } = this;
    gr[GR_MISC] = (gr[GR_MISC]! & ~0x0c) | 0x04 | 0x01;
    cr[CR_MODE] = cr[CR_MODE]! | 3;
    cr[CR_OFFSET] = lineBytes >>> 3;
    cr[CR_H_DISP] = (xres >>> 3) - 1;
    const h = yres - 1;
    cr[CR_V_DISP_END] = h;
    cr[CR_OVERFLOW] = (cr[CR_OVERFLOW]! & ~0x42) | ((h >> 7) & 0x02) | ((h >> 3) & 0x40);
    cr[CR_LINE_COMPARE] = 0xff;
    cr[CR_OVERFLOW] = cr[CR_OVERFLOW]! | 0x10;
    cr[CR_MAX_SCAN] = cr[CR_MAX_SCAN]! | 0x40;
    let shift: number;
    if (bpp === 4) {
      shift = 0;
      srVbe[SR_CLOCK_MODE] = srVbe[SR_CLOCK_MODE]! & ~8;
    } else {
      shift = 2;
      srVbe[SR_MEMORY_MODE] = srVbe[SR_MEMORY_MODE]! | 0x08;
      srVbe[SR_PLANE_WRITE] = srVbe[SR_PLANE_WRITE]! | 0x0f;
    }
    gr[GR_MODE] = (gr[GR_MODE]! & ~0x60) | (shift << 5);
    cr[CR_MAX_SCAN] = cr[CR_MAX_SCAN]! & ~0x9f;
  }
}
