/**
 * The std VGA's register interfaces as a guest sees them: Bochs VBE DISPI (ID, GETCAPS, enable
 * with and without clearing, bank, virtual width, offsets, limits), the legacy registers
 * (masks, attribute flip-flop and input status 1, CR0–7 protection, mono/colour ports, the VBE
 * mode reflected in them) and the DAC. Expected values were read back from qemu-system-i386 7.2.
 */
import { describe, expect, it } from 'vitest';
import {
  VBE_8BIT_DAC,
  VBE_ENABLED,
  VBE_GETCAPS,
  VBE_INDEX_BANK,
  VBE_INDEX_BPP,
  VBE_INDEX_ENABLE,
  VBE_INDEX_ID,
  VBE_INDEX_VIDEO_MEMORY_64K,
  VBE_INDEX_VIRT_HEIGHT,
  VBE_INDEX_VIRT_WIDTH,
  VBE_INDEX_X_OFFSET,
  VBE_INDEX_XRES,
  VBE_INDEX_Y_OFFSET,
  VBE_INDEX_YRES,
  VBE_LFB_ENABLED,
  VBE_NOCLEARMEM,
  VbeDispi,
} from '../device-model/devices/vga/vbe-dispi.js';
import { dac6to8 } from '../device-model/devices/vga/vga-dac.js';
import { VgaRegisters } from '../device-model/devices/vga/vga-registers.js';
import { Vram } from '../device-model/devices/vga/vram.js';
import { portsOf } from './support/bus-access.js';

const MiB = 1 << 20;

function setup() {
  const vram = new Vram(new SharedArrayBuffer(16 * MiB));
  const regs = new VgaRegisters();
  const vbe = new VbeDispi(vram, regs);
  // The guest's view: 16-bit index/data accesses.
  const write = (index: number, value: number) => {
    portsOf(vbe).ioWrite(0x1ce, 2, index);
    portsOf(vbe).ioWrite(0x1cf, 2, value);
  };
  const read = (index: number) => {
    portsOf(vbe).ioWrite(0x1ce, 2, index);
    return portsOf(vbe).ioRead(0x1cf, 2);
  };
  const outb = (port: number, value: number) => portsOf(regs).ioWrite(port, 1, value);
  const inb = (port: number) => portsOf(regs).ioRead(port, 1);
  const setMode = (x: number, y: number, bpp: number, enable: number) => {
    write(VBE_INDEX_ENABLE, 0);
    write(VBE_INDEX_XRES, x);
    write(VBE_INDEX_YRES, y);
    write(VBE_INDEX_BPP, bpp);
    write(VBE_INDEX_ENABLE, enable);
  };
  return { vram, regs, vbe, write, read, outb, inb, setMode };
}

describe('VBE DISPI', () => {
  it('ID reads 0xB0C5 at reset and keeps only written values 0xB0C0–0xB0C5', () => {
    const { write, read } = setup();
    expect(read(VBE_INDEX_ID)).toBe(0xb0c5);
    write(VBE_INDEX_ID, 0xb0c0);
    expect(read(VBE_INDEX_ID)).toBe(0xb0c0);
    write(VBE_INDEX_ID, 0x1234);
    expect(read(VBE_INDEX_ID)).toBe(0xb0c0);
    write(VBE_INDEX_ID, 0xb0c6);
    expect(read(VBE_INDEX_ID)).toBe(0xb0c0);
    write(VBE_INDEX_ID, 0xb0c5);
    expect(read(VBE_INDEX_ID)).toBe(0xb0c5);
  });

  it('the index port reads back; VIDEO_MEMORY_64K is 256; unknown indexes read 0', () => {
    const { vbe, read } = setup();
    portsOf(vbe).ioWrite(0x1ce, 2, 9);
    expect(portsOf(vbe).ioRead(0x1ce, 2)).toBe(9);
    expect(read(VBE_INDEX_VIDEO_MEMORY_64K)).toBe(256);
    expect(read(0xb)).toBe(0);
    expect(read(0x1234)).toBe(0);
    // A 32-bit access at the index port covers both registers.
    portsOf(vbe).ioWrite(0x1ce, 4, VBE_INDEX_XRES | (320 << 16));
    expect(read(VBE_INDEX_XRES)).toBe(320);
    expect(portsOf(vbe).ioRead(0x1ce, 4)).toBe((VBE_INDEX_XRES | (320 << 16)) >>> 0);
  });

  it('GETCAPS makes XRES/YRES/BPP read the limits and the other registers their values', () => {
    const { write, read } = setup();
    write(VBE_INDEX_XRES, 800);
    write(VBE_INDEX_ENABLE, VBE_GETCAPS);
    expect([read(VBE_INDEX_XRES), read(VBE_INDEX_YRES), read(VBE_INDEX_BPP), read(VBE_INDEX_ENABLE)]).toEqual([16000, 12000, 32, VBE_GETCAPS]);
    write(VBE_INDEX_ENABLE, 0);
    expect(read(VBE_INDEX_XRES)).toBe(800);
  });

  it('registers are stored raw while disabled and checked on enable: VIRT_WIDTH = XRES, VIRT_HEIGHT = lines VRAM holds', () => {
    const { write, read, vbe, setMode } = setup();
    write(VBE_INDEX_XRES, 643);
    write(VBE_INDEX_YRES, 0);
    write(VBE_INDEX_BPP, 7);
    write(VBE_INDEX_VIRT_WIDTH, 999);
    write(VBE_INDEX_X_OFFSET, 5);
    expect([read(VBE_INDEX_XRES), read(VBE_INDEX_YRES), read(VBE_INDEX_BPP), read(VBE_INDEX_VIRT_WIDTH), read(VBE_INDEX_X_OFFSET)]).toEqual([
      643, 0, 7, 999, 5,
    ]);
    setMode(640, 480, 32, VBE_ENABLED | VBE_LFB_ENABLED);
    expect(vbe.enabled).toBe(true);
    expect(read(VBE_INDEX_ENABLE)).toBe(0x41);
    expect([read(VBE_INDEX_VIRT_WIDTH), read(VBE_INDEX_VIRT_HEIGHT), read(VBE_INDEX_X_OFFSET), read(VBE_INDEX_Y_OFFSET)]).toEqual([
      640,
      6553, // 16 MiB / 2560 bytes per line
      0,
      0,
    ]);
    expect([vbe.lineBytes, vbe.startAddress]).toEqual([2560, 0]);
  });

  it('while enabled: virtual width and offsets move the start; XRES rounds down to 8; YRES is clamped to VRAM', () => {
    const { write, read, vbe, setMode } = setup();
    setMode(640, 480, 32, VBE_ENABLED);
    write(VBE_INDEX_VIRT_WIDTH, 1000);
    write(VBE_INDEX_Y_OFFSET, 10);
    write(VBE_INDEX_X_OFFSET, 3);
    expect([read(VBE_INDEX_VIRT_WIDTH), read(VBE_INDEX_VIRT_HEIGHT), read(VBE_INDEX_X_OFFSET), read(VBE_INDEX_Y_OFFSET)]).toEqual([
      1000, 4194, 3, 10,
    ]);
    expect([vbe.lineBytes, vbe.startAddress]).toEqual([4000, 10 * 4000 + 12]);
    write(VBE_INDEX_XRES, 641);
    expect([read(VBE_INDEX_XRES), read(VBE_INDEX_VIRT_WIDTH)]).toEqual([640, 1000]);
    write(VBE_INDEX_BPP, 15); // 15 bpp takes 16 bits
    expect([read(VBE_INDEX_VIRT_HEIGHT), vbe.lineBytes]).toEqual([8388, 2000]);
    write(VBE_INDEX_YRES, 60000);
    expect(read(VBE_INDEX_YRES)).toBe(8388);
    write(VBE_INDEX_BPP, 12); // not a depth: 8
    expect(read(VBE_INDEX_BPP)).toBe(8);
    // An offset that would put the frame past the end of VRAM is dropped.
    write(VBE_INDEX_YRES, 480);
    write(VBE_INDEX_Y_OFFSET, 12000);
    expect(read(VBE_INDEX_Y_OFFSET)).toBe(12000);
    write(VBE_INDEX_VIRT_WIDTH, 16000);
    expect(read(VBE_INDEX_Y_OFFSET)).toBe(0);
  });

  it('enabling clears the visible frame unless NOCLEARMEM, and marks it dirty', () => {
    const { vram, setMode } = setup();
    vram.bytes.fill(0xaa, 0, 2 * MiB);
    setMode(640, 480, 32, VBE_ENABLED | VBE_NOCLEARMEM);
    expect(vram.bytes[0]).toBe(0xaa);
    expect(vram.deviceDirty.some((d) => d !== 0)).toBe(false);
    setMode(640, 480, 16, VBE_ENABLED);
    // 480 lines × 1280 bytes cleared, the byte after them untouched.
    expect(vram.bytes.subarray(0, 480 * 1280).every((b) => b === 0)).toBe(true);
    expect(vram.bytes[480 * 1280]).toBe(0xaa);
    expect(vram.deviceDirty.subarray(0, 150).every((d) => d === 1)).toBe(true);
    expect(vram.deviceDirty[150]).toBe(0);
  });

  it('BANK is masked to VRAM and selects 64 KiB; any ENABLE write other than turning VBE on resets the offset', () => {
    const { write, read, vbe, setMode } = setup();
    setMode(640, 480, 8, VBE_ENABLED);
    write(VBE_INDEX_BANK, 300);
    expect(read(VBE_INDEX_BANK)).toBe(44);
    expect(vbe.bankOffset).toBe(44 << 16);
    write(VBE_INDEX_ENABLE, 0);
    expect([read(VBE_INDEX_BANK), vbe.bankOffset]).toEqual([44, 0]);
  });

  it('the 8-bit DAC flag follows ENABLE bit 5', () => {
    const { write, vbe } = setup();
    write(VBE_INDEX_ENABLE, VBE_ENABLED | VBE_8BIT_DAC);
    expect(vbe.dac8bit).toBe(true);
    write(VBE_INDEX_ENABLE, VBE_ENABLED);
    expect(vbe.dac8bit).toBe(false);
  });

  it('a VBE mode is described in the legacy registers, and reasserted after guest writes', () => {
    const { regs, outb, inb, setMode } = setup();
    setMode(640, 480, 32, VBE_ENABLED);
    outb(0x3ce, 6);
    expect(inb(0x3cf)).toBe(0x07);
    // The guest's sequencer is untouched; memory access uses VBE's copy.
    outb(0x3c4, 4);
    expect(inb(0x3c5)).toBe(0x02);
    expect(regs.seq(4) & 0x08).toBe(0x08);
    outb(0x3cf, 0x00);
    expect(inb(0x3cf)).toBe(0x05); // graphics and the 64 KiB window put back
    outb(0x3d4, 0x01);
    expect(inb(0x3d5)).toBe(640 / 8 - 1);
  });
});

describe('legacy VGA registers', () => {
  it('start as SeaBIOS leaves mode 3: colour, screen on, mode 3 values', () => {
    const { inb, outb } = setup();
    expect(inb(0x3cc)).toBe(0x67);
    inb(0x3da);
    expect(inb(0x3c0)).toBe(0x20);
    const sr = [0, 1, 2, 3, 4].map((i) => (outb(0x3c4, i), inb(0x3c5)));
    const gr = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => (outb(0x3ce, i), inb(0x3cf)));
    expect(sr).toEqual([0x03, 0x00, 0x03, 0x00, 0x02]);
    expect(gr).toEqual([0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff]);
  });

  it('index and value masks as QEMU: sequencer, graphics controller, attribute controller', () => {
    const { inb, outb } = setup();
    const masks = (indexPort: number, n: number) =>
      Array.from({ length: n }, (_, i) => {
        outb(indexPort, i);
        outb(indexPort + 1, 0xff);
        return inb(indexPort + 1);
      });
    expect(masks(0x3c4, 8)).toEqual([0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff]);
    expect(masks(0x3ce, 16)).toEqual([0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0]);
    outb(0x3c4, 0x12);
    expect(inb(0x3c4)).toBe(0x02);
    outb(0x3ce, 0x1f);
    expect(inb(0x3ce)).toBe(0x0f);
    const ar = Array.from({ length: 0x15 }, (_, i) => {
      inb(0x3da);
      outb(0x3c0, i | 0x20);
      outb(0x3c0, 0xff);
      inb(0x3da);
      outb(0x3c0, i | 0x20);
      return inb(0x3c1);
    });
    expect(ar).toEqual([...new Array(16).fill(0x3f), 0xef, 0xff, 0x3f, 0x0f, 0x0f]);
  });

  it('input status 1 toggles retrace/display-enable and resets the attribute flip-flop', () => {
    const { inb, outb, regs } = setup();
    expect([inb(0x3da), inb(0x3da), inb(0x3da)]).toEqual([0x09, 0x00, 0x09]);
    outb(0x3c0, 0x11); // index
    expect(inb(0x3c0)).toBe(0); // data phase: reads 0
    inb(0x3da); // back to the index phase
    expect(inb(0x3c0)).toBe(0x11);
    expect(regs.arIndex & 0x20).toBe(0); // the screen is off until PAS is set again
    outb(0x3c0, 0x20);
    expect(regs.arIndex).toBe(0x20);
    // Without resetting, index and data alternate: this write goes to AR 0x00 and the next is an index.
    outb(0x3c0, 0x3f);
    outb(0x3c0, 0x21);
    expect(regs.arIndex).toBe(0x21);
    inb(0x3da);
    outb(0x3c0, 0x20);
    expect(inb(0x3c1)).toBe(0x3f);
  });

  it('CR11 bit 7 locks CR0–CR7 except CR7 bit 4', () => {
    const { inb, outb } = setup();
    outb(0x3d4, 0x11);
    outb(0x3d5, 0x8e);
    outb(0x3d4, 0x01);
    outb(0x3d5, 0x33);
    expect(inb(0x3d5)).toBe(0x4f);
    outb(0x3d4, 0x07);
    outb(0x3d5, 0x00);
    expect(inb(0x3d5)).toBe(0x0f); // mode 3's 0x1F with bit 4 cleared
    outb(0x3d4, 0x11);
    outb(0x3d5, 0x0e);
    outb(0x3d4, 0x01);
    outb(0x3d5, 0x33);
    expect(inb(0x3d5)).toBe(0x33);
  });

  it('misc output bit 0 chooses the colour or mono CRTC ports; the other set reads 0xFF', () => {
    const { inb, outb, regs } = setup();
    outb(0x3d4, 7);
    expect([inb(0x3d4), inb(0x3b4), inb(0x3ba)]).toEqual([7, 0xff, 0xff]);
    outb(0x3c2, 0x66);
    expect([inb(0x3cc), inb(0x3b4), inb(0x3d4)]).toEqual([0x66, 7, 0xff]);
    outb(0x3c2, 0xff);
    expect(inb(0x3cc)).toBe(0xef);
    // 16-bit accesses are byte pairs: index then data.
    outb(0x3c2, 0x67);
    portsOf(regs).ioWrite(0x3c4, 2, 0x0f02);
    outb(0x3c4, 2);
    expect(inb(0x3c5)).toBe(0x0f);
    expect(portsOf(regs).ioRead(0x3c4, 2)).toBe(0x0f02);
  });

  it('DAC: three values per entry through auto-incrementing indexes, stored as written; state and indexes read back', () => {
    const { inb, outb, regs } = setup();
    // Reset palette: EGA's 64 colours (entry 1 blue 2/3, entry 8 blue 1/3, 63 white).
    outb(0x3c7, 0);
    const first = Array.from({ length: 27 }, () => inb(0x3c9));
    expect(first).toEqual([0, 0, 0, 0, 0, 0x2a, 0, 0x2a, 0, 0, 0x2a, 0x2a, 0x2a, 0, 0, 0x2a, 0, 0x2a, 0x2a, 0x2a, 0, 0x2a, 0x2a, 0x2a, 0, 0, 0x15]);
    expect(Array.from(regs.dac.palette.subarray(63 * 3, 65 * 3))).toEqual([0x3f, 0x3f, 0x3f, 0, 0, 0]);
    outb(0x3c8, 5);
    for (const v of [0x41, 0x82, 0xff, 7]) outb(0x3c9, v);
    expect([inb(0x3c8), inb(0x3c7)]).toEqual([6, 0]);
    outb(0x3c7, 5);
    expect([inb(0x3c9), inb(0x3c9), inb(0x3c9), inb(0x3c9), inb(0x3c7)]).toEqual([0x41, 0x82, 0xff, 0x2a, 3]);
    // The pixel mask is not modelled: QEMU reads 0.
    outb(0x3c6, 0x5a);
    expect(inb(0x3c6)).toBe(0);
  });

  it('6-bit DAC values widen as QEMU does (bit 0 copied into the new low bits)', () => {
    expect([0x00, 0x01, 0x20, 0x2a, 0x3f, 0x15].map(dac6to8)).toEqual([0x00, 0x07, 0x80, 0xa8, 0xff, 0x57]);
  });
});
