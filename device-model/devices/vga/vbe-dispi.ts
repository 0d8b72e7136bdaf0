/**
 * The Bochs VBE "DISPI" interface of QEMU's std VGA: an index register at port 0x1CE and a data
 * register at 0x1CF (also answering at 0x1D0, QEMU's data port elsewhere), 16 bits each, through
 * which a guest sets a linear graphics mode directly.
 *
 * Semantics as qemu-system-i386 7.2 shows them to a guest (probed; Bochs' vbe_display_api for
 * the names):
 *  - ID reads 0xB0C5 at reset; a write of 0xB0C0–0xB0C5 is kept and read back, others ignored.
 *  - XRES, YRES, BPP, VIRT_WIDTH, X_OFFSET, Y_OFFSET are stored as written while VBE is off and
 *    checked against each other while it is on: XRES and VIRT_WIDTH rounded down to 8 and at
 *    least XRES wide, BPP one of 4/8/15/16/24/32 (else 8), YRES at most what VRAM holds, offsets
 *    dropped if the visible frame would pass the end of VRAM. VIRT_HEIGHT then reads the lines
 *    VRAM holds (16 MiB / line bytes); writes to it are ignored.
 *  - ENABLE: bit 0 on; turning it on resets VIRT_WIDTH and the offsets and clears the visible
 *    frame unless NOCLEARMEM (bit 7); bit 1 GETCAPS makes XRES/YRES/BPP read the limits
 *    (16000×12000×32 under QEMU — Bochs' own limit is 2560×1600); bit 5 8-bit DAC; bit 6 LFB;
 *    any other ENABLE write resets the bank offset.
 *  - BANK: the 64 KiB piece of VRAM the 0xA0000 window shows, masked to the VRAM size.
 *  - VIDEO_MEMORY_64K (index 0xA) reads VRAM in 64 KiB units (256); higher indexes read 0.
 */
import type { AccessSize, IoRegion } from '../../../shared/io-bus.js';
import type { VgaRegisters } from './vga-registers.js';
import type { Vram } from './vram.js';

export const VBE_DISPI_INDEX_PORT = 0x1ce;
export const VBE_DISPI_DATA_PORT = 0x1cf;
/** QEMU's data port on non-x86 machines; claimed so that a 16-bit access at 0x1CF (which covers 0x1D0) is ours. */
export const VBE_DISPI_DATA_PORT_ALT = 0x1d0;

export const VBE_INDEX_ID = 0;
export const VBE_INDEX_XRES = 1;
export const VBE_INDEX_YRES = 2;
export const VBE_INDEX_BPP = 3;
export const VBE_INDEX_ENABLE = 4;
export const VBE_INDEX_BANK = 5;
export const VBE_INDEX_VIRT_WIDTH = 6;
export const VBE_INDEX_VIRT_HEIGHT = 7;
export const VBE_INDEX_X_OFFSET = 8;
export const VBE_INDEX_Y_OFFSET = 9;
export const VBE_INDEX_VIDEO_MEMORY_64K = 0xa;
const VBE_REGISTERS = 10;

export const VBE_ENABLED = 0x01;
export const VBE_GETCAPS = 0x02;
export const VBE_8BIT_DAC = 0x20;
export const VBE_LFB_ENABLED = 0x40;
export const VBE_NOCLEARMEM = 0x80;

export const VBE_ID0 = 0xb0c0;
export const VBE_ID5 = 0xb0c5;
export const VBE_MAX_XRES = 16000;
export const VBE_MAX_YRES = 12000;
export const VBE_MAX_BPP = 32;

export class VbeDispi {
  readonly name = 'vbe-dispi';
  // The hypervisor forwards an access only if the device model claims every port it covers.
  readonly region: IoRegion = {
    base: VBE_DISPI_INDEX_PORT,
    length: 3,
    read: (offset, size) => this.read(offset, size),
    write: (offset, size, value) => this.write(offset, size, value),
  };
  private readonly regs = new Uint16Array(VBE_REGISTERS);
  private index = 0;
  /** Bytes per line of the current mode (valid while enabled). */
  lineBytes = 0;
  /** VRAM offset of the first visible pixel, a multiple of 4 as QEMU keeps it (valid while enabled). */
  startAddress = 0;
  /** VRAM offset the legacy window's 64 KiB start at. */
  bankOffset = 0;

  constructor(
    private readonly vram: Vram,
    private readonly vga: VgaRegisters,
  ) {
    this.regs[VBE_INDEX_ID] = VBE_ID5;
    vga.onVbeOverride = () => this.describeInVgaRegisters();
  }

  get enabled(): boolean {
    return (this.regs[VBE_INDEX_ENABLE]! & VBE_ENABLED) !== 0;
  }

  get dac8bit(): boolean {
    return (this.regs[VBE_INDEX_ENABLE]! & VBE_8BIT_DAC) !== 0;
  }

  get xres(): number {
    return this.regs[VBE_INDEX_XRES]!;
  }

  get yres(): number {
    return this.regs[VBE_INDEX_YRES]!;
  }

  /** Bits per pixel as programmed (15 for RGB555, which takes 16 bits). */
  get bpp(): number {
    return this.regs[VBE_INDEX_BPP]!;
  }

  /** The value a guest reads at `index` (not the index port). */
  register(index: number): number {
    if (index < VBE_REGISTERS) {
      if (this.regs[VBE_INDEX_ENABLE]! & VBE_GETCAPS) {
        if (index === VBE_INDEX_XRES) return VBE_MAX_XRES;
        if (index === VBE_INDEX_YRES) return VBE_MAX_YRES;
        if (index === VBE_INDEX_BPP) return VBE_MAX_BPP;
      }
      return this.regs[index]!;
    }
    if (index === VBE_INDEX_VIDEO_MEMORY_64K) return this.vram.size >>> 16;
    return 0;
  }

  private read(offset: number, size: AccessSize): number {
    if (offset === 0) {
      // A 32-bit access covers both 16-bit registers, index in the low half.
      return size === 4 ? (this.index | (this.register(this.index) << 16)) >>> 0 : this.index & sizeMask(size);
    }
    return this.register(this.index) & sizeMask(size);
  }

  private write(offset: number, size: AccessSize, value: number): void {
    if (offset === 0) {
      this.index = value & 0xffff;
      if (size === 4) this.writeRegister(this.index, value >>> 16);
      return;
    }
    this.writeRegister(this.index, value & 0xffff);
  }

  /** A guest write of `value` to register `index`. */
  writeRegister(index: number, value: number): void {
    const regs = this.regs;
    switch (index) {
      case VBE_INDEX_ID:
        if (value >= VBE_ID0 && value <= VBE_ID5) regs[VBE_INDEX_ID] = value;
        return;
      case VBE_INDEX_XRES:
      case VBE_INDEX_YRES:
      case VBE_INDEX_BPP:
      case VBE_INDEX_VIRT_WIDTH:
      case VBE_INDEX_X_OFFSET:
      case VBE_INDEX_Y_OFFSET:
        regs[index] = value;
        this.checkMode();
        this.describeInVgaRegisters();
        return;
      case VBE_INDEX_BANK: {
        const banks = this.vram.size >>> 16;
        const mask = (regs[VBE_INDEX_BPP] === 4 ? banks >>> 2 : banks) - 1;
        regs[VBE_INDEX_BANK] = value & mask;
        this.bankOffset = regs[VBE_INDEX_BANK]! << 16;
        return;
      }
      case VBE_INDEX_ENABLE:
        this.writeEnable(value);
        return;
      default:
        return; // VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only
    }
  }

  private writeEnable(value: number): void {
    const regs = this.regs;
    if (value & VBE_ENABLED && !this.enabled) {
      regs[VBE_INDEX_VIRT_WIDTH] = 0;
      regs[VBE_INDEX_X_OFFSET] = 0;
      regs[VBE_INDEX_Y_OFFSET] = 0;
      regs[VBE_INDEX_ENABLE] = regs[VBE_INDEX_ENABLE]! | VBE_ENABLED;
      this.vga.vbeActive = true;
      this.checkMode();
      this.describeInVgaRegisters();
      if (!(value & VBE_NOCLEARMEM)) this.vram.clear(0, regs[VBE_INDEX_YRES]! * this.lineBytes);
    } else {
      this.bankOffset = 0;
    }
    regs[VBE_INDEX_ENABLE] = value;
    this.vga.vbeActive = this.enabled;
  }

  /** Make the mode registers consistent (only while enabled; QEMU's vbe_fixup_regs). */
  private checkMode(): void {
    if (!this.enabled) return;
    const regs = this.regs;
    let bits: number;
    switch (regs[VBE_INDEX_BPP]) {
      case 4:
      case 8:
      case 16:
      case 24:
      case 32:
        bits = regs[VBE_INDEX_BPP]!;
        break;
      case 15:
        bits = 16;
        break;
      default:
        bits = 8;
        regs[VBE_INDEX_BPP] = 8;
    }
    let xres = regs[VBE_INDEX_XRES]! & ~7;
    if (xres === 0) xres = 8;
    xres = Math.min(xres, VBE_MAX_XRES);
    regs[VBE_INDEX_XRES] = xres;
    let virtWidth = Math.min(regs[VBE_INDEX_VIRT_WIDTH]! & ~7, VBE_MAX_XRES);
    if (virtWidth < xres) virtWidth = xres;
    regs[VBE_INDEX_VIRT_WIDTH] = virtWidth;

    const line = Math.floor((virtWidth * bits) / 8);
    const maxY = Math.floor(this.vram.size / line);
    let yres = regs[VBE_INDEX_YRES]!;
    if (yres === 0) yres = 1;
    yres = Math.min(yres, VBE_MAX_YRES, maxY);
    regs[VBE_INDEX_YRES] = yres;

    regs[VBE_INDEX_X_OFFSET] = Math.min(regs[VBE_INDEX_X_OFFSET]!, VBE_MAX_XRES);
    regs[VBE_INDEX_Y_OFFSET] = Math.min(regs[VBE_INDEX_Y_OFFSET]!, VBE_MAX_YRES);
    let offset = Math.floor((regs[VBE_INDEX_X_OFFSET]! * bits) / 8) + regs[VBE_INDEX_Y_OFFSET]! * line;
    if (offset + yres * line > this.vram.size) {
      regs[VBE_INDEX_Y_OFFSET] = 0;
      offset = Math.floor((regs[VBE_INDEX_X_OFFSET]! * bits) / 8);
      if (offset + yres * line > this.vram.size) {
        regs[VBE_INDEX_X_OFFSET] = 0;
        offset = 0;
      }
    }
    regs[VBE_INDEX_VIRT_HEIGHT] = maxY; // 16 bits, as QEMU's register
    this.lineBytes = line;
    this.startAddress = offset - (offset % 4);
  }

  private describeInVgaRegisters(): void {
    if (!this.enabled) return;
    this.vga.applyVbeMode(this.xres, this.yres, this.lineBytes, this.bpp);
  }
}

function sizeMask(size: AccessSize): number {
  return size === 1 ? 0xff : 0xffff;
}
