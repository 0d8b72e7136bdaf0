/**
 * The display: geometry from the registers (VBE, mode 13h, blank cases), each pixel format
 * converted to RGBA against hand-computed pixels (QEMU's expansions), redrawing only the lines
 * that touch dirty pages, palette changes redrawing everything, and the counters.
 */
import { describe, expect, it } from 'vitest';
import { createP2mBuffer } from '../shared/p2m.js';
import { createDirtyVramBuffer } from '../shared/dirty-vram.js';
import { DM_COUNTER_INDEX, DM_COUNTERS } from '../shared/run-stats.js';
import type { VgaMode } from '../shared/vga-config.js';
import { isBlank, type GraphicsGeometry } from '../device-model/devices/vga/display-geometry.js';
import { StdVga } from '../device-model/devices/vga/std-vga.js';
import { portsOf, mmioOf } from './support/bus-access.js';

const MiB = 1 << 20;
const LFB = 0xf0000000;

function setup(mode: VgaMode = 'trap') {
  const counters = new Float64Array(DM_COUNTERS.length);
  const vga = new StdVga({
    vga: { mode, scan: 'memcmp', refreshHz: 60, vram: new SharedArrayBuffer(16 * MiB), dirtyVram: createDirtyVramBuffer(16 * MiB), lfbAddress: LFB },
    p2m: createP2mBuffer(),
    counters,
    domid: 1,
  });
  const vbe = (index: number, value: number) => vga.vbe.writeRegister(index, value);
  const setMode = (x: number, y: number, bpp: number) => {
    vbe(4, 0);
    vbe(1, x);
    vbe(2, y);
    vbe(3, bpp);
    vbe(4, 0x41);
  };
  const outb = (port: number, value: number) => portsOf(vga.regs).ioWrite(port, 1, value);
  const counter = (name: (typeof DM_COUNTERS)[number]) => counters[DM_COUNTER_INDEX[name]]!;
  /** Pixel (x, y) of the surface as [r, g, b, a]. */
  const pixel = (x: number, y: number) => {
    const s = vga.display.surface;
    const at = (y * s.width + x) * 4;
    return Array.from(s.rgba.subarray(at, at + 4));
  };
  /** A guest write through the LFB (what trap mode's device does). */
  const lfb = (offset: number, size: 1 | 2 | 4, value: number) => mmioOf(vga.lfb).mmioWrite(LFB + offset, size, value);
  return { vga, vbe, setMode, outb, counter, pixel, lfb };
}

describe('display geometry', () => {
  it('VBE modes: size, depth, line bytes and start from DISPI', () => {
    const { vga, vbe, setMode } = setup();
    setMode(640, 480, 32);
    vbe(6, 800); // virtual width
    vbe(9, 2); // y offset
    vga.display.refresh();
    const g = vga.display.geometry as GraphicsGeometry;
    expect([g.format, g.width, g.height, g.lineBytes]).toEqual(['rgb32', 640, 480, 2560]);
    expect([g.lineAddress[0], g.lineAddress[1], g.lineAddress[479]]).toEqual([2 * 3200, 3 * 3200, 481 * 3200]);
    expect([g.firstPage, g.pageCount]).toEqual([1, Math.floor((481 * 3200 + 2560 - 1) / 4096) - 1 + 1]);
    expect([vga.display.surface.width, vga.display.surface.height]).toEqual([640, 480]);
  });

  it('mode 13h as QEMU shows it: 640x400, each pixel doubled across and each line twice', () => {
    const { vga, outb } = setup();
    const regs: [number, number, number][] = [
      [0x3c4, 4, 0x0e],
      [0x3ce, 5, 0x40],
      [0x3ce, 6, 0x05],
      [0x3d4, 0x11, 0x0e], // unlock CR0–7
      [0x3d4, 0x01, 0x4f],
      [0x3d4, 0x07, 0x1f],
      [0x3d4, 0x09, 0x41],
      [0x3d4, 0x12, 0x8f],
      [0x3d4, 0x13, 0x28],
      [0x3d4, 0x14, 0x40],
      [0x3d4, 0x17, 0xa3],
    ];
    for (const [port, index, value] of regs) {
      outb(port, index);
      outb(port + 1, value);
    }
    vga.display.refresh();
    const g = vga.display.geometry as GraphicsGeometry;
    expect([g.format, g.width, g.height, g.lineBytes]).toEqual(['indexed8x2', 640, 400, 320]);
    expect(Array.from(g.lineAddress.subarray(0, 5))).toEqual([0, 0, 320, 320, 640]);
    expect(g.lineAddress[399]).toBe(199 * 320);
  });

  it('blank: palette-address-source bit clear, text mode, VBE 4 bpp', () => {
    const { vga, vbe, setMode, outb } = setup();
    vga.display.refresh();
    expect(isBlank(vga.display.geometry)).toBe(true); // mode 3 text
    setMode(640, 480, 4);
    vga.display.refresh();
    expect(vga.display.geometry).toMatchObject({ format: 'blank', reason: expect.stringMatching(/4 bpp/) });
    vbe(3, 8);
    vga.display.refresh();
    expect(vga.display.geometry.format).toBe('indexed8');
    portsOf(vga.regs).ioRead(0x3da, 1);
    outb(0x3c0, 0x00); // PAS clear: the screen goes off
    vga.display.refresh();
    expect(vga.display.geometry).toMatchObject({ format: 'blank', reason: expect.stringMatching(/palette/) });
  });
});

describe('pixel conversion', () => {
  it('32 bpp: B, G, R, X bytes', () => {
    const { vga, setMode, pixel, lfb } = setup();
    setMode(640, 480, 32);
    lfb(0, 4, 0x00112233);
    lfb(4 * 639 + 2560 * 479, 4, 0xff8040c0);
    vga.display.refresh();
    expect(pixel(0, 0)).toEqual([0x11, 0x22, 0x33, 0xff]);
    expect(pixel(639, 479)).toEqual([0x80, 0x40, 0xc0, 0xff]);
    expect(pixel(1, 0)).toEqual([0, 0, 0, 0xff]);
  });

  it('24 bpp: B, G, R bytes, pixels 3 bytes apart', () => {
    const { vga, setMode, pixel, lfb } = setup();
    setMode(320, 200, 24);
    lfb(3, 1, 0x01); // pixel 1: blue
    lfb(4, 1, 0x02);
    lfb(5, 1, 0x03);
    vga.display.refresh();
    expect(pixel(1, 0)).toEqual([0x03, 0x02, 0x01, 0xff]);
  });

  it('16 bpp RGB565 with top bits repeated, 15 bpp RGB555 with low bits zero: QEMU 7.2 screendump values', () => {
    const { vga, setMode, vbe, pixel, lfb } = setup();
    setMode(320, 200, 16);
    lfb(0, 2, 0xffff);
    lfb(2, 2, 0xf800); // red 31
    lfb(4, 2, 0x07e0); // green 63
    lfb(6, 2, 0x001f); // blue 31
    lfb(8, 2, 0x8410); // r=16, g=32, b=16
    lfb(10, 2, 0x0821); // r=1, g=1, b=1
    vga.display.refresh();
    expect([pixel(0, 0), pixel(1, 0), pixel(2, 0), pixel(3, 0), pixel(4, 0), pixel(5, 0)]).toEqual([
      [255, 255, 255, 0xff],
      [255, 0, 0, 0xff],
      [0, 255, 0, 0xff],
      [0, 0, 255, 0xff],
      [132, 130, 132, 0xff],
      [8, 4, 8, 0xff],
    ]);
    vbe(3, 15);
    lfb(10, 2, 0x0421); // r=1, g=1, b=1 in RGB555
    vga.display.refresh(); // the clear happened only on enable: VRAM keeps its words
    expect([pixel(0, 0), pixel(1, 0), pixel(2, 0), pixel(3, 0), pixel(4, 0), pixel(5, 0)]).toEqual([
      [248, 248, 248, 0xff], // 0xFFFF: bit 15 ignored
      [240, 0, 0, 0xff], // 0xF800: red = 11110b
      [8, 248, 0, 0xff], // 0x07E0: red = 00001b, green = 11111b
      [0, 0, 248, 0xff],
      [8, 0, 128, 0xff], // 0x8410: red = 00001b, green = 00000b, blue = 10000b
      [8, 8, 8, 0xff],
    ]);
  });

  it('8 bpp through the DAC: 6-bit values widened as QEMU does, or as written with the 8-bit DAC flag', () => {
    const { vga, setMode, vbe, outb, pixel, lfb } = setup();
    setMode(320, 200, 8);
    outb(0x3c8, 7);
    for (const v of [0x20, 0x01, 0x3f]) outb(0x3c9, v);
    lfb(5, 1, 7);
    lfb(6, 1, 1); // the reset EGA palette: entry 1 is blue 0x2A (-> 0xA8)
    vga.display.refresh();
    expect(pixel(5, 0)).toEqual([0x80, 0x07, 0xff, 0xff]);
    expect(pixel(6, 0)).toEqual([0, 0, 0xa8, 0xff]);
    expect(pixel(0, 0)).toEqual([0, 0, 0, 0xff]);
    vbe(4, 0x41 | 0x20); // 8-bit DAC (re-enabling while on clears nothing)
    vga.display.refresh();
    expect(pixel(5, 0)).toEqual([0x20, 0x01, 0x3f, 0xff]);
  });

  it('legacy 16-colour planar (mode 12h shape): planes combine MSB first, through the attribute palette', () => {
    const { vga, outb, pixel } = setup();
    const set: [number, number, number][] = [
      [0x3c4, 4, 0x06],
      [0x3ce, 5, 0x00],
      [0x3ce, 6, 0x05],
      [0x3d4, 0x11, 0x0e],
      [0x3d4, 0x01, 0x4f],
      [0x3d4, 0x07, 0x3e],
      [0x3d4, 0x09, 0x40],
      [0x3d4, 0x12, 0xdf],
      [0x3d4, 0x13, 0x28],
      [0x3d4, 0x17, 0xe3],
    ];
    for (const [port, index, value] of set) {
      outb(port, index);
      outb(port + 1, value);
    }
    // Attribute palette entry 5 -> DAC 0x3F (white), entry 0x0A -> DAC 0x01 (blue 0x2A).
    portsOf(vga.regs).ioRead(0x3da, 1);
    outb(0x3c0, 0x05);
    outb(0x3c0, 0x3f);
    outb(0x3c0, 0x0a);
    outb(0x3c0, 0x01);
    outb(0x3c0, 0x20);
    // First byte of each plane: pixel 0 = 0101b (planes 0, 2), pixel 1 = 1010b (planes 1, 3).
    vga.vram.words[0] = 0x40804080;
    vga.vram.deviceDirty[0] = 1;
    vga.display.refresh();
    const g = vga.display.geometry as GraphicsGeometry;
    expect([g.format, g.width, g.height]).toEqual(['planar4', 640, 480]);
    expect(pixel(0, 0)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(pixel(1, 0)).toEqual([0, 0, 0xa8, 0xff]);
    expect(pixel(2, 0)).toEqual([0, 0, 0, 0xff]);
  });
});

describe('refresh', () => {
  it('redraws only lines on dirty pages; counts refreshes, frames, pages and dirty pages', () => {
    const { vga, setMode, counter, pixel } = setup();
    setMode(1024, 768, 32); // one line = one 4 KiB page
    expect(vga.display.refresh()).toBe(true);
    expect([counter('refreshes'), counter('frames'), counter('dirty_pages'), counter('pages_scanned')]).toEqual([1, 1, 768, 768]);
    expect(vga.display.refresh()).toBe(false);
    expect([counter('refreshes'), counter('frames'), counter('dirty_pages')]).toEqual([2, 1, 768]);
    // Written behind the device's back (no dirty mark): trap mode cannot see it, so line 10 keeps its old pixels...
    vga.vram.view.setUint32(10 * 4096, 0x00ff0000, true);
    mmioOf(vga.lfb).mmioWrite(LFB + 20 * 4096, 4, 0x0000ff00); // ...while a device write to line 20 is drawn
    mmioOf(vga.lfb).mmioWrite(LFB + 21 * 4096 + 8, 4, 0x0000ff00);
    mmioOf(vga.lfb).mmioWrite(LFB + 767 * 4096, 1, 0x01);
    expect(vga.display.refresh()).toBe(true);
    expect(vga.display.updatedRows).toEqual([20, 22, 767, 768]);
    expect(pixel(0, 10)).toEqual([0, 0, 0, 0xff]);
    expect(pixel(0, 20)).toEqual([0, 0xff, 0, 0xff]);
    expect([counter('frames'), counter('dirty_pages')]).toEqual([2, 771]);
    // A palette-independent format ignores DAC writes; a mode change redraws all (line 10 shows now).
    portsOf(vga.regs).ioWrite(0x3c8, 1, 0);
    portsOf(vga.regs).ioWrite(0x3c9, 1, 0x3f);
    expect(vga.display.refresh()).toBe(false);
    vga.vbe.writeRegister(6, 1024 + 8);
    vga.display.refresh();
    expect(vga.display.surface.width).toBe(1024);
  });

  it('a changed palette redraws every line of an indexed mode', () => {
    const { vga, setMode, outb, pixel, lfb, counter } = setup();
    setMode(320, 200, 8);
    lfb(320 * 150, 1, 9);
    vga.display.refresh();
    expect(pixel(0, 150)).toEqual([0, 0, 0xff, 0xff]); // EGA entry 9: blue 0x3F
    outb(0x3c8, 9);
    for (const v of [0x3f, 0, 0]) outb(0x3c9, v);
    const frames = counter('frames');
    expect(vga.display.refresh()).toBe(true);
    expect(counter('frames')).toBe(frames + 1);
    expect(pixel(0, 150)).toEqual([0xff, 0, 0, 0xff]);
  });

  it('going blank turns the surface black once, keeping its size', () => {
    const { vga, setMode, lfb, pixel, vbe } = setup();
    setMode(320, 200, 32);
    lfb(0, 4, 0xffffff);
    vga.display.refresh();
    expect(pixel(0, 0)).toEqual([0xff, 0xff, 0xff, 0xff]);
    vbe(4, 0); // VBE off: mode 3 text is not drawn
    expect(vga.display.refresh()).toBe(true);
    expect(vga.display.updatedRows).toEqual([0, 200]);
    expect(vga.display.refresh()).toBe(false);
    expect(vga.display.updatedRows).toEqual([]);
    expect([vga.display.surface.width, vga.display.surface.height]).toEqual([320, 200]);
    expect(pixel(0, 0)).toEqual([0, 0, 0, 0xff]);
  });
});
