/**
 * Guest access to VRAM through the std VGA's two apertures, as MMIO devices on the IoBus:
 *
 * - The legacy window 0xA0000–0xBFFFF, always emulated (mmio_dm in every mode; Xen posts its
 *   writes to the buffered ring). With VBE on (8 bpp and up) it shows 64 KiB of VRAM at the
 *   selected bank, linearly. With VBE off it follows the VGA's memory addressing (QEMU 7.2's
 *   semantics): the memory map select in GR6 (128 KiB at 0xA0000, 64 KiB at 0xA0000 plus the
 *   bank, 32 KiB at 0xB0000 or 0xB8000), then chain-4 (mode 13h: byte a is plane a&3), odd/even
 *   (text modes: planes 0/1 or 2/3 by address parity), or planar access through the latches with
 *   read modes 0–1, write modes 0–3, set/reset, rotate, the logical operation and the bit mask.
 *   VRAM keeps QEMU's layout: plane p of VGA address a is byte 4a+p. Wider accesses are split
 *   into bytes, lowest address first, as QEMU's window does.
 *
 * - The linear frame buffer at BAR0, registered only when LFB accesses reach the device model
 *   (`trap` and `buffered` modes): plain little-endian reads and writes of 1, 2 or 4 bytes, and
 *   whole-request entry points for REP STOS/MOVS (fill, copyIn, copyOut: a page of
 *   `rep stosl` in ~1.5 µs instead of 1024 item calls, ~30 µs, through the dispatcher), for a
 *   dispatcher that offers a device the whole request.
 *
 * Every write through either marks its pages dirty in Vram.deviceDirty.
 */
import type { AccessSize, IoRegion, SizeRule } from '../../../shared/io-bus.js';
import type { VbeDispi } from './vbe-dispi.js';
import {
  GR_BIT_MASK,
  GR_COMPARE_MASK,
  GR_COMPARE_VALUE,
  GR_DATA_ROTATE,
  GR_MISC,
  GR_MODE,
  GR_PLANE_READ,
  GR_SR_ENABLE,
  GR_SR_VALUE,
  SR_MEMORY_MODE,
  SR_PLANE_WRITE,
  type VgaRegisters,
} from './vga-registers.js';
import { VRAM_PAGE_SHIFT, type Vram } from './vram.js';

export const LEGACY_WINDOW_BASE = 0xa0000;
export const LEGACY_WINDOW_BYTES = 0x20000;

/** Each bit of a 4-bit plane mask widened to a byte of a 32-bit word (plane 0 lowest). */
const MASK16 = new Uint32Array(16);
for (let v = 0; v < 16; v++) {
  MASK16[v] = ((v & 1 ? 0xff : 0) | (v & 2 ? 0xff00 : 0) | (v & 4 ? 0xff0000 : 0) | (v & 8 ? 0xff000000 : 0)) >>> 0;
}

/** The 128 KiB window as a bus region: byte-wide planes logic, so the bus splits wider accesses. */
export class LegacyWindow implements IoRegion {
  readonly name = 'vga-window';
  readonly base = LEGACY_WINDOW_BASE;
  readonly length = LEGACY_WINDOW_BYTES;
  readonly valid: SizeRule = { min: 1, max: 8, unaligned: true };
  readonly impl: SizeRule = { min: 1, max: 1 };
  /** The four planes' bytes loaded by the last planar read. */
  private latch = 0;

  constructor(
    private readonly vram: Vram,
    private readonly regs: VgaRegisters,
    private readonly vbe: VbeDispi,
  ) {}

  read(offset: number): number {
    return this.readByte(offset);
  }

  write(offset: number, _size: AccessSize, value: number): void {
    this.writeByte(offset, value);
  }

  /** The VGA memory address a window offset selects, or -1 outside the mapped part. */
  private address(offset: number): number {
    switch ((this.regs.gr[GR_MISC]! >> 2) & 3) {
      case 0:
        return offset;
      case 1:
        return offset < 0x10000 ? offset + this.vbe.bankOffset : -1;
      case 2:
        return offset >= 0x10000 && offset < 0x18000 ? offset - 0x10000 : -1;
      default:
        return offset >= 0x18000 ? offset - 0x18000 : -1;
    }
  }

  readByte(offset: number): number {
    const a = this.address(offset);
    if (a < 0) return 0xff;
    const regs = this.regs;
    const gr = regs.gr;
    const vram = this.vram;
    if (regs.seq(SR_MEMORY_MODE) & 0x08) return a < vram.size ? vram.bytes[a]! : 0xff;
    if (gr[GR_MODE]! & 0x10) {
      const plane = (gr[GR_PLANE_READ]! & 2) | (a & 1);
      const at = ((a & ~1) << 1) | plane;
      return at < vram.size ? vram.bytes[at]! : 0xff;
    }
    if (a * 4 >= vram.size) return 0xff;
    const latch = vram.words[a]!;
    this.latch = latch;
    if (!(gr[GR_MODE]! & 0x08)) return (latch >>> ((gr[GR_PLANE_READ]! & 3) * 8)) & 0xff;
    // Read mode 1: a bit is set where all enabled planes match the colour compare value.
    let diff = (latch ^ MASK16[gr[GR_COMPARE_VALUE]! & 0xf]!) & MASK16[gr[GR_COMPARE_MASK]! & 0xf]!;
    diff |= diff >>> 16;
    diff |= diff >>> 8;
    return ~diff & 0xff;
  }

  writeByte(offset: number, value: number): void {
    const a = this.address(offset);
    if (a < 0) return;
    const regs = this.regs;
    const gr = regs.gr;
    const vram = this.vram;
    const planeMask = regs.seq(SR_PLANE_WRITE);
    if (regs.seq(SR_MEMORY_MODE) & 0x08) {
      if (planeMask & (1 << (a & 3)) && a < vram.size) {
        vram.bytes[a] = value;
        vram.deviceDirty[a >>> VRAM_PAGE_SHIFT] = 1;
      }
      return;
    }
    if (gr[GR_MODE]! & 0x10) {
      const plane = (gr[GR_PLANE_READ]! & 2) | (a & 1);
      if (!(planeMask & (1 << plane))) return;
      const at = ((a & ~1) << 1) | plane;
      if (at >= vram.size) return;
      vram.bytes[at] = value;
      vram.deviceDirty[at >>> VRAM_PAGE_SHIFT] = 1;
      return;
    }
    if (a * 4 >= vram.size) return;
    const latch = this.latch;
    let v: number;
    let bitMask = gr[GR_BIT_MASK]!;
    switch (gr[GR_MODE]! & 3) {
      case 0: {
        const r = gr[GR_DATA_ROTATE]! & 7;
        v = ((value >>> r) | (value << (8 - r))) & 0xff;
        v = (v * 0x01010101) >>> 0;
        const setMask = MASK16[gr[GR_SR_ENABLE]! & 0xf]!;
        v = ((v & ~setMask) | (MASK16[gr[GR_SR_VALUE]! & 0xf]! & setMask)) >>> 0;
        break;
      }
      case 1:
        this.store(a, latch, planeMask);
        return;
      case 2:
        v = MASK16[value & 0x0f]!;
        break;
      default: {
        const r = gr[GR_DATA_ROTATE]! & 7;
        bitMask &= (value >>> r) | (value << (8 - r));
        v = MASK16[gr[GR_SR_VALUE]! & 0xf]!;
      }
    }
    switch (gr[GR_DATA_ROTATE]! >> 3) {
      case 1:
        v &= latch;
        break;
      case 2:
        v |= latch;
        break;
      case 3:
        v ^= latch;
        break;
    }
    const bits = ((bitMask & 0xff) * 0x01010101) >>> 0;
    this.store(a, ((v & bits) | (latch & ~bits)) >>> 0, planeMask);
  }

  private store(a: number, v: number, planeMask: number): void {
    const words = this.vram.words;
    const writeMask = MASK16[planeMask & 0xf]!;
    words[a] = ((words[a]! & ~writeMask) | (v & writeMask)) >>> 0;
    this.vram.deviceDirty[(a * 4) >>> VRAM_PAGE_SHIFT] = 1;
  }
}

/** VRAM at BAR0 as a bus region (the trapping modes): any width, any alignment; 8 bytes arrive as two 4-byte halves. */
export class LinearFrameBuffer implements IoRegion {
  readonly name = 'vga-lfb';
  readonly valid: SizeRule = { min: 1, max: 8, unaligned: true };
  readonly impl: SizeRule = { min: 1, max: 4 };

  constructor(
    private readonly vram: Vram,
    /** Guest-physical address of BAR0. */
    readonly base: number,
  ) {}

  get length(): number {
    return this.vram.size;
  }

  read(offset: number, size: AccessSize): number {
    const view = this.vram.view;
    if (size === 1) return view.getUint8(offset);
    if (size === 2) return view.getUint16(offset, true);
    return view.getUint32(offset, true);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const vram = this.vram;
    if (size === 1) vram.view.setUint8(offset, value);
    else if (size === 2) vram.view.setUint16(offset, value, true);
    else vram.view.setUint32(offset, value >>> 0, true);
    vram.deviceDirty[offset >>> VRAM_PAGE_SHIFT] = 1;
    // An unaligned access may end on the next page.
    vram.deviceDirty[(offset + size - 1) >>> VRAM_PAGE_SHIFT] = 1;
  }

  /**
   * REP STOS: `count` items of `size` bytes holding `value` (8-byte items: `high` is the upper
   * half), the first at `at`, stepping down when `df`. The whole run lies inside the LFB.
   */
  fill(at: number, size: number, count: number, df: boolean, value: number, high = 0): void {
    const offset = df ? at - (count - 1) * size : at;
    const bytes = size * count;
    const vram = this.vram;
    if (size === 1) vram.bytes.fill(value & 0xff, offset, offset + bytes);
    else if (offset % 4 === 0 && (size === 4 || (size === 8 && value === high)) && bytes % 4 === 0) {
      vram.words.fill(value >>> 0, offset >>> 2, (offset + bytes) >>> 2);
    } else {
      const view = vram.view;
      for (let at = offset; at < offset + bytes; at += size) {
        if (size === 2) view.setUint16(at, value, true);
        else {
          view.setUint32(at, value >>> 0, true);
          if (size === 8) view.setUint32(at + 4, high >>> 0, true);
        }
      }
    }
    vram.markDirty(offset, bytes);
  }

  /**
   * REP MOVS into the LFB: `count` items of `size` bytes from `source` (guest RAM, the item
   * for the first item at `sourceAt`), both walking down when `df`.
   */
  copyIn(at: number, size: number, count: number, df: boolean, source: Uint8Array, sourceAt: number): void {
    const span = (count - 1) * size;
    const offset = df ? at - span : at;
    const from = df ? sourceAt - span : sourceAt;
    this.vram.bytes.set(source.subarray(from, from + span + size), offset);
    this.vram.markDirty(offset, span + size);
  }

  /** REP MOVS out of the LFB into `target` (guest RAM), the mirror of copyIn. */
  copyOut(at: number, size: number, count: number, df: boolean, target: Uint8Array, targetAt: number): void {
    const span = (count - 1) * size;
    const offset = df ? at - span : at;
    const to = df ? targetAt - span : targetAt;
    target.set(this.vram.bytes.subarray(offset, offset + span + size), to);
  }
}
