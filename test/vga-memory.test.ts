/**
 * Guest access to VRAM: the legacy window (VBE banks, mode 13h chain-4, text-mode odd/even,
 * planar write/read modes with latches) and the LFB (sizes, dirty pages, REP STOS/MOVS), also
 * as COPY ioreqs through the real dispatcher, and the std VGA's PCI function.
 */
import { describe, expect, it } from 'vitest';
import { createP2mBuffer, P2mType, PAGE_SIZE } from '../shared/p2m.js';
import { IoBus } from '../shared/io-bus.js';
import { IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_WRITE, IoreqRecord } from '../shared/ioreq.js';
import { DM_COUNTERS } from '../shared/run-stats.js';
import { createDirtyVramBuffer } from '../shared/dirty-vram.js';
import { STD_VGA_BDF, type VgaConfig, type VgaMode } from '../shared/vga-config.js';
import { PciHost } from '../device-model/devices/pci-host.js';
import { StdVga } from '../device-model/devices/vga/std-vga.js';
import { GuestRam } from '../device-model/guest-ram.js';
import { IoreqDispatcher } from '../device-model/ioreq-dispatch.js';
import { mmioOf } from './support/bus-access.js';

const MiB = 1 << 20;
const LFB = 0xf0000000;
const WINDOW = 0xa0000;

function vgaConfig(mode: VgaMode): VgaConfig {
  return {
    mode,
    scan: 'memcmp',
    refreshHz: 60,
    vram: new SharedArrayBuffer(16 * MiB),
    dirtyVram: createDirtyVramBuffer(16 * MiB),
    lfbAddress: LFB,
  };
}

function setup(mode: VgaMode = 'trap') {
  const ramBuf = new SharedArrayBuffer(2 * MiB);
  const p2m = createP2mBuffer();
  const types = new Uint8Array(p2m);
  types.fill(P2mType.RAM_RW, 0, (2 * MiB) / PAGE_SIZE);
  types.fill(P2mType.MMIO_DM, WINDOW / PAGE_SIZE, 0xc0000 / PAGE_SIZE);
  const counters = new Float64Array(DM_COUNTERS.length);
  const vga = new StdVga({ vga: vgaConfig(mode), p2m, counters, domid: 1 });
  const bus = new IoBus();
  const pciHost = new PciHost(bus);
  bus.attach(vga);
  const dispatcher = new IoreqDispatcher(bus, pciHost, new GuestRam(ramBuf, p2m), counters);
  const ram = new Uint8Array(ramBuf);
  const vram = vga.vram;
  const outb = (port: number, value: number) => bus.writePort(port, 1, value);
  const vbe = (index: number, value: number) => {
    bus.writePort(0x1ce, 2, index);
    bus.writePort(0x1cf, 2, value);
  };
  const copy = (fields: Partial<IoreqRecord>): IoreqRecord => {
    const req = new IoreqRecord();
    req.type = IOREQ_TYPE_COPY;
    Object.assign(req, { size: 4, count: 1, dir: IOREQ_WRITE }, fields);
    dispatcher.dispatch(req);
    return req;
  };
  const window = vga.window;
  return { vga, bus, pciHost, dispatcher, ram, vram, outb, vbe, copy, window };
}

describe('legacy window', () => {
  it('with VBE on shows 64 KiB of VRAM at the bank, linearly; 0xB0000 up reads 0xFF', () => {
    const { vram, vbe, window } = setup();
    vbe(1, 640);
    vbe(2, 480);
    vbe(3, 8);
    vbe(4, 1);
    vbe(5, 1);
    mmioOf(window).mmioWrite(WINDOW + 3, 1, 0x77);
    mmioOf(window).mmioWrite(WINDOW + 0x10005, 1, 0x99); // outside the 64 KiB window: dropped
    expect(vram.bytes[0x10003]).toBe(0x77);
    expect(mmioOf(window).mmioRead(WINDOW + 0x10005, 1)).toBe(0xff);
    expect(vram.bytes[0x20005]).toBe(0);
    // Wider accesses are bytes, lowest address first.
    mmioOf(window).mmioWrite(WINDOW + 0x100, 4, 0x44332211);
    expect(Array.from(vram.bytes.subarray(0x10100, 0x10104))).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(mmioOf(window).mmioRead(WINDOW + 2, 4)).toBe(0x00007700);
    expect(vram.deviceDirty[0x10]).toBe(1);
  });

  it('mode 13h (chain-4, 128 KiB map): byte a of the window is VRAM byte a, if its plane is enabled', () => {
    const { vram, outb, window } = setup();
    outb(0x3c4, 4);
    outb(0x3c5, 0x0e); // chain-4
    outb(0x3ce, 6);
    outb(0x3cf, 0x05); // graphics, 64 KiB at 0xA0000
    outb(0x3c4, 2);
    outb(0x3c5, 0x0f); // all planes (mode 3 leaves only 0 and 1 on)
    for (let a = 0; a < 8; a++) mmioOf(window).mmioWrite(WINDOW + 0x1230 + a, 1, 0xa0 + a);
    outb(0x3c4, 2);
    outb(0x3c5, 0x0b); // plane 2 off
    mmioOf(window).mmioWrite(WINDOW + 0x1232, 1, 0x55);
    expect(Array.from(vram.bytes.subarray(0x1230, 0x1238))).toEqual([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]);
    expect(mmioOf(window).mmioRead(WINDOW + 0x1235, 1)).toBe(0xa5);
  });

  it('text mode (odd/even at 0xB8000): even addresses go to plane 0, odd to plane 1', () => {
    const { vram, window } = setup(); // reset state is mode 3
    mmioOf(window).mmioWrite(0xb8000, 2, 0x1f41); // 'A' on blue
    mmioOf(window).mmioWrite(0xb8002, 1, 0x42);
    expect(Array.from(vram.bytes.subarray(0, 8))).toEqual([0x41, 0x1f, 0, 0, 0x42, 0, 0, 0]);
    expect(mmioOf(window).mmioRead(0xb8000, 2)).toBe(0x1f41);
    expect(mmioOf(window).mmioRead(0xa0000, 1)).toBe(0xff); // mode 3 maps only 0xB8000–0xBFFFF
  });

  it('planar write mode 0 with set/reset and bit mask, latched copy (mode 1), write mode 2, read modes 0 and 1', () => {
    const { vram, outb, window } = setup();
    const gr = (i: number, v: number) => (outb(0x3ce, i), outb(0x3cf, v));
    const sr = (i: number, v: number) => (outb(0x3c4, i), outb(0x3c5, v));
    sr(4, 0x06); // planar (no chain-4, no odd/even)
    sr(2, 0x0f);
    gr(5, 0x00); // write mode 0, read mode 0
    gr(6, 0x05); // graphics, 64 KiB at 0xA0000
    gr(3, 0x00);
    gr(8, 0xff);
    gr(1, 0x00);
    mmioOf(window).mmioWrite(WINDOW + 10, 1, 0x3c); // every plane gets 0x3C
    expect(vram.words[10]).toBe(0x3c3c3c3c);
    // Set/reset: planes 0 and 2 from the set/reset value (plane 0 = 1s, plane 2 = 0s).
    gr(0, 0x01);
    gr(1, 0x05);
    mmioOf(window).mmioWrite(WINDOW + 11, 1, 0xa5);
    expect(vram.words[11]).toBe(0xa500a5ff >>> 0);
    // Bit mask 0x0F: the high nibble keeps the latch (loaded by a read).
    gr(1, 0x00);
    gr(8, 0x0f);
    mmioOf(window).mmioRead(WINDOW + 10, 1);
    mmioOf(window).mmioWrite(WINDOW + 10, 1, 0x00);
    expect(vram.words[10]).toBe(0x30303030);
    // Write mode 1: the latches as they are.
    gr(5, 0x01);
    mmioOf(window).mmioRead(WINDOW + 11, 1);
    mmioOf(window).mmioWrite(WINDOW + 12, 1, 0);
    expect(vram.words[12]).toBe(vram.words[11]);
    // Write mode 2: the value's low nibble says which planes get the (bit-masked) 1s.
    gr(5, 0x02);
    gr(8, 0x81);
    mmioOf(window).mmioRead(WINDOW + 13, 1); // latch = 0
    mmioOf(window).mmioWrite(WINDOW + 13, 1, 0x06);
    expect(vram.words[13]).toBe(0x00818100);
    // XOR with the latch (function select 3).
    gr(3, 0x18);
    gr(8, 0xff);
    gr(5, 0x00);
    mmioOf(window).mmioRead(WINDOW + 13, 1);
    mmioOf(window).mmioWrite(WINDOW + 13, 1, 0xff);
    expect(vram.words[13]).toBe(0xff7e7eff >>> 0);
    gr(3, 0x00);
    // Read mode 0 picks a plane; read mode 1 compares colours.
    gr(4, 2);
    expect(mmioOf(window).mmioRead(WINDOW + 11, 1)).toBe(0x00);
    gr(4, 3);
    expect(mmioOf(window).mmioRead(WINDOW + 11, 1)).toBe(0xa5);
    gr(5, 0x08);
    gr(2, 0x0b); // colour 1011b: where planes are ff, a5, 00, a5 that is the bits of 0xA5
    gr(7, 0x0f);
    expect(mmioOf(window).mmioRead(WINDOW + 11, 1)).toBe(0xa5);
    gr(7, 0x01); // compare plane 0 only: all match
    expect(mmioOf(window).mmioRead(WINDOW + 11, 1)).toBe(0xff);
    // Map mask: planes 1–3 only.
    gr(5, 0x00);
    sr(2, 0x0e);
    mmioOf(window).mmioWrite(WINDOW + 14, 1, 0xee);
    expect(vram.words[14]).toBe(0xeeeeee00 >>> 0);
  });
});

describe('linear frame buffer', () => {
  it('reads and writes 1, 2, 4 and 8 bytes, at any alignment, marking the pages written', () => {
    const { vram, copy } = setup();
    copy({ addrLow: LFB + 0x1000, size: 4, dataLow: 0x11223344 });
    copy({ addrLow: LFB + 0x1ffe, size: 4, dataLow: 0xaabbccdd }); // crosses into page 2
    copy({ addrLow: LFB + 0x3000, size: 8, dataLow: 0x01020304, dataHigh: 0x05060708 });
    copy({ addrLow: LFB + 0x5001, size: 2, dataLow: 0xbeef });
    copy({ addrLow: LFB + 0x6000, size: 1, dataLow: 0x7f });
    expect(vram.view.getUint32(0x1000, true)).toBe(0x11223344);
    expect(vram.view.getUint32(0x1ffe, true)).toBe(0xaabbccdd);
    expect(vram.view.getUint16(0x5001, true)).toBe(0xbeef);
    expect(copy({ addrLow: LFB + 0x3000, size: 8, dir: IOREQ_READ })).toMatchObject({ dataLow: 0x01020304, dataHigh: 0x05060708 });
    expect(copy({ addrLow: LFB + 0x1fff, size: 2, dir: IOREQ_READ }).dataLow).toBe(0xbbcc);
    expect(copy({ addrLow: LFB + 0x6000, size: 1, dir: IOREQ_READ }).dataLow).toBe(0x7f);
    const dirty = [...vram.deviceDirty.subarray(0, 8)];
    expect(dirty).toEqual([0, 1, 1, 1, 0, 1, 1, 0]);
  });

  it('rep stos and rep movs requests (count > 1, data_is_ptr, df) land in VRAM', () => {
    const { vram, ram, copy } = setup();
    copy({ addrLow: LFB + 0x8000, size: 4, count: 1024, dataLow: 0x00ff8040 });
    expect(new Uint32Array(vram.bytes.buffer, 0x8000, 1024).every((w) => w === 0x00ff8040)).toBe(true);
    expect(vram.view.getUint32(0x9000, true)).toBe(0);
    for (let i = 0; i < 64; i++) ram[0x4000 + i] = i;
    copy({ addrLow: LFB + 0xa000, size: 4, count: 16, dataLow: 0x4000, dataIsPtr: true });
    expect(Array.from(vram.bytes.subarray(0xa000, 0xa040))).toEqual(Array.from({ length: 64 }, (_, i) => i));
    copy({ addrLow: LFB + 0xa03c, size: 4, count: 16, dataLow: 0x103c, dataIsPtr: true, dir: IOREQ_READ, df: true });
    // Both walk down from their last item: the same 64 bytes land at 0x1000.
    expect(Array.from(ram.subarray(0x1000, 0x1040))).toEqual(Array.from({ length: 64 }, (_, i) => i));
    copy({ addrLow: LFB + 0xc00e, size: 2, count: 8, dataLow: 0xabcd, df: true });
    expect(vram.view.getUint16(0xc000, true)).toBe(0xabcd);
    expect(vram.view.getUint16(0xbffe, true)).toBe(0);
  });

  it('bulk fill and copy entry points match the per-item results', () => {
    const { vga, vram } = setup();
    const lfb = vga.lfb;
    mmioOf(lfb).mmioFill(LFB + 0x2000, 4, 1024, false, 0x12345678);
    mmioOf(lfb).mmioFill(LFB + 0x3ffe, 2, 3, true, 0x9abc);
    mmioOf(lfb).mmioFill(LFB + 0x5000, 8, 2, false, 0x01020304, 0x05060708);
    expect(new Uint32Array(vram.bytes.buffer, 0x2000, 1024).every((w) => w === 0x12345678)).toBe(true);
    expect([vram.view.getUint16(0x3ffa, true), vram.view.getUint16(0x3ffe, true), vram.view.getUint16(0x3ff8, true)]).toEqual([0x9abc, 0x9abc, 0]);
    expect(Array.from(new Uint32Array(vram.bytes.buffer, 0x5000, 4))).toEqual([0x01020304, 0x05060708, 0x01020304, 0x05060708]);
    const src = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
    mmioOf(lfb).mmioCopyIn(LFB + 0x701c, 4, 8, true, src, 28);
    expect(Array.from(vram.bytes.subarray(0x7000, 0x7020))).toEqual(Array.from(src));
    const out = new Uint8Array(32);
    mmioOf(lfb).mmioCopyOut(LFB + 0x7000, 4, 8, false, out, 0);
    expect(out).toEqual(src);
    expect([...vram.deviceDirty.subarray(2, 8)]).toEqual([1, 1, 0, 1, 0, 1]);
  });

  it('is claimed on the bus only in the trapping modes; the window always is', () => {
    for (const mode of ['trap', 'buffered', 'shared', 'shared-dirty'] as const) {
      const { bus } = setup(mode);
      expect(bus.mmioRange(LFB, 4) !== undefined).toBe(mode === 'trap' || mode === 'buffered');
      expect(bus.mmioRange(WINDOW, 4)).toBeDefined();
      expect(bus.portOwner(0x1ce)?.name).toBe('std-vga');
      expect(bus.portOwner(0x3da)?.name).toBe('std-vga');
      expect(bus.listPci().map(([sbdf, fn]) => [sbdf, fn.name])).toEqual([[STD_VGA_BDF, 'std-vga']]);
    }
  });
});

describe('PCI function', () => {
  it('is 1234:1111 class 0300 at 00:02.0 with BAR0 = the 16 MiB prefetchable LFB, decoding on', () => {
    const { pciHost } = setup();
    const read = (reg: number) => pciHost.configRead(STD_VGA_BDF, reg, 4);
    expect(read(0x00)).toBe(0x11111234);
    expect(read(0x04) & 0xffff).toBe(0x0003);
    expect(read(0x08)).toBe(0x03000002);
    expect(read(0x10)).toBe((LFB | 0x08) >>> 0);
    expect(read(0x2c)).toBe(0x11001af4);
    pciHost.configWrite(STD_VGA_BDF, 0x10, 4, 0xffffffff);
    expect(read(0x10)).toBe(0xff000008);
    pciHost.configWrite(STD_VGA_BDF, 0x10, 4, LFB);
    expect(read(0x10)).toBe((LFB | 0x08) >>> 0);
  });
});
