import { describe, expect, it } from 'vitest';
import { IoBus } from '../shared/io-bus.js';
import type { AccessSize } from '../shared/io-bus.js';
import { createPcChipset, createPiix3IsaBridge, HOST_BRIDGE_BDF, ISA_BRIDGE_BDF } from '../device-model/devices/i440fx-chipset.js';
import { PciConfigSpace, ROM_BAR } from '../device-model/devices/pci-config-space.js';
import { formatBdf, PciHost, sbdf } from '../device-model/devices/pci-host.js';
import { Piix4Pm } from '../device-model/devices/piix4-pm.js';

/** A bus with the PCI host and, unless `bare`, the pc chipset's functions (00:00.0, 00:01.0, 00:01.3). */
function pciBus(options: { bare?: boolean } = {}) {
  const bus = new IoBus();
  const host = new PciHost(bus);
  bus.attach(host);
  if (!options.bare) {
    bus.attach(createPcChipset());
    bus.attach(new Piix4Pm({ shutdown: () => {}, raiseIrq: () => {} }));
  }
  const read = (port: number, size: AccessSize) => bus.readPort(port, size);
  const write = (port: number, size: AccessSize, value: number) => void bus.writePort(port, size, value);
  const cf8 = (b: number, d: number, f: number, reg: number) =>
    write(0xcf8, 4, (0x80000000 | (b << 16) | (d << 11) | (f << 8) | reg) >>> 0);
  return { bus, host, read, write, cf8 };
}

/** A VGA-like function: 16 MiB prefetchable LFB, a 4 KiB MMIO BAR, a 32-byte I/O BAR, a 64 KiB ROM. */
function testFunction() {
  return new PciConfigSpace({
    name: 'test vga',
    vendorId: 0x1234,
    deviceId: 0x1111,
    revision: 2,
    classCode: 0x030000,
    interruptPin: 1,
    bars: [
      { kind: 'mem32', size: 16 << 20, prefetchable: true },
      undefined,
      { kind: 'mem32', size: 0x1000 },
      { kind: 'io', size: 32 },
    ],
    romSize: 0x10000,
  });
}

describe('PCI configuration mechanism #1 (ports 0xCF8/0xCFC)', () => {
  it('reads the i440FX host bridge and PIIX3 IDs as QEMU pc shows them', () => {
    const { read, cf8 } = pciBus();
    cf8(0, 0, 0, 0x00);
    expect(read(0xcfc, 4)).toBe(0x12378086);
    cf8(0, 0, 0, 0x08);
    expect(read(0xcfc, 4)).toBe(0x06000002); // class 06 00 00, revision 2
    cf8(0, 1, 0, 0x00);
    expect(read(0xcfc, 4)).toBe(0x70008086);
    cf8(0, 1, 0, 0x08);
    expect(read(0xcfc, 4)).toBe(0x06010000);
    cf8(0, 1, 0, 0x0c);
    expect(read(0xcfc, 4)).toBe(0x00800000); // multi-function header
    cf8(0, 1, 0, 0x2c);
    expect(read(0xcfc, 4)).toBe(0x11001af4);
  });

  it('serves byte and word accesses at the data port offsets', () => {
    const { read, cf8 } = pciBus();
    cf8(0, 0, 0, 0x00);
    expect([read(0xcfc, 1), read(0xcfd, 1), read(0xcfe, 1), read(0xcff, 1)]).toEqual([0x86, 0x80, 0x37, 0x12]);
    expect([read(0xcfc, 2), read(0xcfe, 2)]).toEqual([0x8086, 0x1237]);
  });

  it('writes bytes and words at 0xCFD/0xCFE to the right registers', () => {
    const fn = testFunction();
    const { bus, read, write, cf8 } = pciBus({ bare: true });
    bus.attach({ name: 'test vga', resources: { pci: [{ sbdf: sbdf(0, 2, 0), config: fn }] } });
    cf8(0, 2, 0, 0x3c);
    write(0xcfc, 1, 0x0b); // interrupt line
    write(0xcfd, 1, 0x04); // interrupt pin: read-only
    expect(read(0xcfc, 2)).toBe(0x010b);
    cf8(0, 2, 0, 0x10);
    write(0xcfe, 2, 0xe000); // BAR0 bits 31:16
    expect(read(0xcfc, 4)).toBe(0xe0000008);
    write(0xcfd, 1, 0xff); // bits 15:8 lie below the 16 MiB size: read-only zero
    expect(read(0xcfc, 4)).toBe(0xe0000008);
    expect(fn.configRead(0x10, 4)).toBe(0xe0000008); // the same state seen by SBDF
  });

  it('latches 0xCF8 on 32-bit writes only and reads it back as written', () => {
    const { read, write } = pciBus();
    write(0xcf8, 4, 0x8000f800);
    write(0xcf8, 1, 0x12);
    write(0xcf8, 2, 0x3456);
    expect(read(0xcf8, 4)).toBe(0x8000f800);
    expect(read(0xcf8, 2)).toBe(0xf800);
    expect(read(0xcf8, 1)).toBe(0x00);
  });

  it('reads all ones with the enable bit clear, for absent functions, and for other buses', () => {
    const { read, write, cf8 } = pciBus();
    write(0xcf8, 4, 0x00000000);
    expect(read(0xcfc, 4)).toBe(0xffffffff);
    write(0xcfc, 4, 0);
    cf8(0, 31, 0, 0);
    expect(read(0xcfc, 4)).toBe(0xffffffff);
    expect(read(0xcfe, 2)).toBe(0xffff);
    expect(read(0xcff, 1)).toBe(0xff);
    cf8(1, 0, 0, 0);
    expect(read(0xcfc, 4)).toBe(0xffffffff);
    cf8(0, 0, 1, 0); // function 1 of a single-function device
    expect(read(0xcfc, 4)).toBe(0xffffffff);
  });

  it('ignores CF8 bits 1:0 when choosing the register (Xen and the PCI spec, not QEMU)', () => {
    const { read, write } = pciBus();
    write(0xcf8, 4, 0x80000002);
    expect(read(0xcfc, 4)).toBe(0x12378086);
    expect(read(0xcf8, 4)).toBe(0x80000002);
  });

  it('leaves 0xCF9 and 0xCFA–0xCFB to others', () => {
    const { bus } = pciBus();
    expect(bus.portOwner(0xcf8)?.name).toBe('pci-host');
    expect(bus.portOwner(0xcf9)).toBeUndefined();
    expect(bus.portOwner(0xcfb)).toBeUndefined();
    expect(bus.portOwner(0xcff)?.name).toBe('pci-host');
  });
});

describe('PCI config by SBDF (Xen PCI_CONFIG ioreqs)', () => {
  it('reaches the same functions as the port path', () => {
    const { host, read, write, cf8 } = pciBus();
    expect(host.configRead(HOST_BRIDGE_BDF, 0, 4)).toBe(0x12378086);
    expect(host.configRead(ISA_BRIDGE_BDF, 0x0e, 1)).toBe(0x80);
    host.configWrite(HOST_BRIDGE_BDF, 0x3c, 1, 0x0a);
    cf8(0, 0, 0, 0x3c);
    expect(read(0xcfc, 1)).toBe(0x0a);
    write(0xcfc, 1, 0x05);
    expect(host.configRead(HOST_BRIDGE_BDF, 0x3c, 1)).toBe(0x05);
  });

  it('answers absent functions, other segments and extended offsets with all ones', () => {
    const { host } = pciBus();
    expect(host.configRead(sbdf(0, 5, 0), 0, 4)).toBe(0xffffffff);
    expect(host.configRead(sbdf(0, 5, 0), 0, 1)).toBe(0xff);
    expect(host.configRead(sbdf(0, 0, 0, 1), 0, 4)).toBe(0xffffffff);
    expect(host.configRead(HOST_BRIDGE_BDF, 0x100, 4)).toBe(0xffffffff);
    expect(host.configRead(HOST_BRIDGE_BDF, 0xfe, 4)).toBe(0xffff0000); // last two bytes exist
    expect(host.configRead(HOST_BRIDGE_BDF, 0, 8)).toBe(0xffffffff); // malformed size
    host.configWrite(sbdf(0, 5, 0), 0x3c, 1, 1); // dropped, no throw
  });

  it('encodes SBDF as Xen does and refuses a second function at one address', () => {
    expect(sbdf(0, 1, 3)).toBe(0x000b);
    expect(sbdf(2, 31, 7, 1)).toBe(0x102ff);
    expect(formatBdf(sbdf(0, 2, 0))).toBe('0000:00:02.0');
    const { bus } = pciBus();
    const second = { name: 'second', resources: { pci: [{ sbdf: HOST_BRIDGE_BDF, config: testFunction() }] } };
    expect(() => bus.attach(second)).toThrow(/already belongs to i440fx-piix3/);
    expect(bus.listPci().map(([id]) => formatBdf(id))).toEqual(['0000:00:00.0', '0000:00:01.0', '0000:00:01.3']);
  });
});

describe('PCI config space semantics', () => {
  it('sizes BARs: all ones reads back the size mask with the type bits kept', () => {
    const fn = testFunction();
    const size = (reg: number, pattern = 0xffffffff) => {
      const old = fn.configRead(reg, 4);
      fn.configWrite(reg, 4, pattern);
      const mask = fn.configRead(reg, 4);
      fn.configWrite(reg, 4, old);
      expect(fn.configRead(reg, 4)).toBe(old);
      return mask;
    };
    expect(size(0x10)).toBe(0xff000008); // 16 MiB, prefetchable memory
    expect(size(0x14)).toBe(0x00000000); // unimplemented
    expect(size(0x18)).toBe(0xfffff000); // 4 KiB memory
    expect(size(0x1c)).toBe(0xffffffe1); // 32 bytes of I/O
    expect(size(0x30, 0xfffffffe)).toBe(0xffff0000); // 64 KiB ROM, enable bit left clear
  });

  it('keeps read-only fields and applies the command mask and status write-1-to-clear', () => {
    const { bus } = pciBus();
    const hb = bus.pciFunction(HOST_BRIDGE_BDF)!;
    hb.configWrite(0x00, 4, 0);
    hb.configWrite(0x08, 4, 0xffffffff);
    expect(hb.configRead(0x00, 4)).toBe(0x12378086);
    expect(hb.configRead(0x08, 4)).toBe(0x06000002);
    hb.configWrite(0x04, 4, 0xffffffff);
    expect(hb.configRead(0x04, 4)).toBe(0x00000507); // QEMU 7.2 reads the same
    hb.configWrite(0x10, 4, 0xffffffff);
    expect(hb.configRead(0x10, 4)).toBe(0); // the host bridge has no BARs
    hb.configWrite(0x3c, 4, 0xffffffff);
    expect(hb.configRead(0x3c, 4)).toBe(0x000000ff); // line writable, pin read-only

    const isa = bus.pciFunction(ISA_BRIDGE_BDF)!;
    const status = new PciConfigSpace({ name: 's', vendorId: 1, deviceId: 2, revision: 0, classCode: 0, status: 0x8210 });
    status.configWrite(0x06, 2, 0x8000); // clear "detected parity error" only
    expect(status.configRead(0x06, 2)).toBe(0x0210);
    status.configWrite(0x06, 2, 0x0210); // not clear-on-write bits: unchanged
    expect(status.configRead(0x06, 2)).toBe(0x0210);
    expect(isa.configRead(0x06, 2)).toBe(0x0200);
  });

  it('tells BAR listeners where a BAR decodes, and when it stops', () => {
    const fn = testFunction();
    const events: [number, number | undefined][] = [];
    fn.onBarChange((bar, address) => events.push([bar, address]));
    fn.assignBar(0, 0xe0000000);
    expect(events).toEqual([]); // memory decoding still off
    expect(fn.barAddress(0)).toBeUndefined();
    fn.configWrite(0x04, 2, 0x0003);
    expect(events).toEqual([[0, 0xe0000000]]);
    expect(fn.barAddress(0)).toBe(0xe0000000);
    // A guest sizing the BAR with decoding on: unmapped during the probe, back after.
    fn.configWrite(0x10, 4, 0xffffffff);
    fn.configWrite(0x10, 4, 0xe0000000);
    expect(events.slice(1)).toEqual([
      [0, undefined],
      [0, 0xe0000000],
    ]);
    fn.configWrite(0x13, 1, 0xd0); // a byte write moves it too
    expect(events.at(-1)).toEqual([0, 0xd0000000]);
    fn.assignBar(3, 0xc000);
    expect(events.at(-1)).toEqual([3, 0xc000]);
    fn.configWrite(0x04, 2, 0x0002); // I/O decoding off
    expect(events.at(-1)).toEqual([3, undefined]);
    fn.assignBar(ROM_BAR, 0xfebe0000);
    expect(fn.barAddress(ROM_BAR)).toBeUndefined(); // ROM enable bit still clear
    fn.configWrite(0x30, 4, 0xfebe0001);
    expect(events.at(-1)).toEqual([ROM_BAR, 0xfebe0000]);
    const count = events.length;
    fn.configWrite(0x04, 2, 0x0002); // no change: no event
    expect(events).toHaveLength(count);
  });

  it('rejects BAR sizes that are not powers of two', () => {
    const make = (size: number, kind: 'io' | 'mem32') =>
      new PciConfigSpace({ name: 'x', vendorId: 1, deviceId: 1, revision: 0, classCode: 0, bars: [{ kind, size }] });
    expect(() => make(3000, 'mem32')).toThrow(RangeError);
    expect(() => make(8, 'mem32')).toThrow(RangeError);
    expect(() => make(4, 'io')).not.toThrow();
  });

  it('routes PIIX3 PIRQ writes to the listener, as qemu-dm passes them to Xen', () => {
    const routes: [number, number | undefined][] = [];
    const isa = createPiix3IsaBridge((link, irq) => routes.push([link, irq]));
    expect(isa.configRead(0x60, 4)).toBe(0x0b0b0a0a); // what SeaBIOS leaves
    isa.configWrite(0x60, 4, 0x0b800a05);
    expect(routes).toEqual([
      [0, 5],
      [2, undefined],
    ]);
  });
});
