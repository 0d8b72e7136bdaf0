/**
 * The bus's one place for sizes (shared/io-bus.ts): declared valid and implemented sizes, the
 * splitting and widening QEMU's memory core does, routing, and all-or-nothing attachment.
 */
import { describe, expect, it } from 'vitest';
import { BusConflictError, IoBus, type AccessSize, type Device, type IoRegion } from '../shared/io-bus.js';

/** A region that logs each handler call and reads back bytes of a pattern. */
function logging(base: number, length: number, rules: Pick<IoRegion, 'valid' | 'impl'> = {}) {
  const log: string[] = [];
  const region: IoRegion = {
    base,
    length,
    ...rules,
    read: (offset: number, size: AccessSize) => {
      log.push(`r${size}@${offset}`);
      let v = 0;
      for (let i = 0; i < size; i++) v |= (0x10 + offset + i) << (8 * i);
      return v >>> 0;
    },
    write: (offset: number, size: AccessSize, value: number) => void log.push(`w${size}@${offset}=${value.toString(16)}`),
  };
  return { region, log };
}

function deviceOf(name: string, resources: Device['resources']): Device {
  return { name, resources };
}

describe('access sizes, once, on the bus', () => {
  it('splits a wider access into implemented pieces, low address first', () => {
    const { region, log } = logging(0x3f8, 8, { impl: { min: 1, max: 1 } });
    const bus = new IoBus();
    bus.attach(deviceOf('uart-like', { ports: [region] }));
    expect(bus.readPort(0x3f9, 2)).toBe(0x1211);
    bus.writePort(0x3f8, 4, 0x44332211);
    expect(log).toEqual(['r1@1', 'r1@2', 'w1@0=11', 'w1@1=22', 'w1@2=33', 'w1@3=44']);
  });

  it('widens a narrower access to the implemented minimum and masks the result', () => {
    const { region, log } = logging(0xfe000000, 0x100, { impl: { min: 4, max: 4 } });
    const bus = new IoBus();
    bus.attach(deviceOf('dword-only', { mmio: [region] }));
    expect(bus.readMmio(0xfe000004, 1)).toBe(0x14);
    bus.writeMmio(0xfe000008, 2, 0xbeef);
    expect(log).toEqual(['r4@4', 'w4@8=beef']);
  });

  it('refuses sizes outside the valid rule and misaligned MMIO unless allowed, counting them', () => {
    const { region, log } = logging(0xfe000000, 0x100, { valid: { min: 2, max: 4 } });
    const loose = logging(0xfe001000, 0x100, { valid: { min: 1, max: 8, unaligned: true } });
    const bus = new IoBus();
    bus.attach(deviceOf('strict', { mmio: [region] }));
    bus.attach(deviceOf('loose', { mmio: [loose.region] }));
    expect(bus.readMmio(0xfe000000, 1)).toBe(0xff);
    expect(bus.readMmio(0xfe000002, 4)).toBe(0xffffffff); // misaligned
    bus.writeMmio(0xfe000000, 8, 1, 2);
    expect(log).toEqual([]);
    expect(bus.invalidAccesses).toBe(3);
    expect(bus.readMmio(0xfe001003, 2)).toBe(0x1413);
    expect(loose.log).toEqual(['r2@3']);
  });

  it('carries 8-byte accesses as two 4-byte halves with the high half beside', () => {
    const { region, log } = logging(0xe0000000, 0x1000);
    const bus = new IoBus();
    bus.attach(deviceOf('ram-like', { mmio: [region] }));
    expect(bus.readMmio(0xe0000000, 8)).toBe(0x13121110);
    expect(bus.readHigh).toBe(0x17161514);
    bus.writeMmio(0xe0000010, 8, 0x11111111, 0x22222222);
    expect(log).toEqual(['r4@0', 'r4@4', 'w4@16=11111111', 'w4@20=22222222']);
  });

  it('gives a port access to the owner of its first port; split pieces past the region read as unclaimed', () => {
    const { region, log } = logging(0x60, 1, { impl: { min: 1, max: 1 } });
    const bus = new IoBus();
    bus.attach(deviceOf('one-port', { ports: [region] }));
    expect(bus.readPort(0x60, 2)).toBe(0xff10);
    bus.writePort(0x60, 2, 0x1234);
    expect(log).toEqual(['r1@0', 'w1@0=34']);
    expect(bus.readPort(0x61, 1)).toBeUndefined();
    expect(bus.writePort(0x61, 1, 0)).toBe(false);
  });

  it('routes MMIO only to a region holding the whole access', () => {
    const { region } = logging(0xfe000000, 0x10);
    const bus = new IoBus();
    bus.attach(deviceOf('small', { mmio: [region] }));
    expect(bus.readMmio(0xfe00000c, 4)).toBe(0x1f1e1d1c);
    expect(bus.readMmio(0xfe00000e, 4)).toBeUndefined();
  });
});

describe('attaching a device claims all of its resources or none', () => {
  it('rejects an overlap, leaving the earlier claims and the new device out entirely', () => {
    const bus = new IoBus();
    const a = logging(0x40, 4);
    bus.attach(deviceOf('pit', { ports: [a.region] }));
    const b = logging(0x80, 1);
    const c = logging(0x42, 2);
    const bad = deviceOf('clash', { ports: [b.region, c.region] });
    expect(() => bus.attach(bad)).toThrow(BusConflictError);
    expect(() => bus.attach(bad)).toThrow(/clash: ports 0x42–0x43 overlap pit \(0x40–0x43\)/);
    expect(bus.claimsPort(0x80)).toBe(false);
    expect(bus.portOwner(0x42)?.name).toBe('pit');
    expect(bus.listDevices().map((d) => d.name)).toEqual(['pit']);
  });

  it('rejects overlapping regions within one device and a PCI function claimed twice', () => {
    const bus = new IoBus();
    const twice = deviceOf('self-overlap', { mmio: [logging(0x1000, 0x100).region, logging(0x1080, 0x100).region] });
    expect(() => bus.attach(twice)).toThrow(BusConflictError);
    const fn = { name: 'fn', configRead: () => 0, configWrite: () => {} };
    bus.attach(deviceOf('first', { pci: [{ sbdf: 0x10, config: fn }] }));
    expect(() => bus.attach(deviceOf('second', { pci: [{ sbdf: 0x10, config: fn }] }))).toThrow(/already belongs to first/);
    expect(bus.listPci().map(([sbdf]) => sbdf)).toEqual([0x10]);
  });

  it('refuses bad ranges and size rules with the device named', () => {
    const bus = new IoBus();
    expect(() => bus.attach(deviceOf('far', { ports: [logging(0xfffe, 4).region] }))).toThrow(/far: bad port range/);
    expect(() => bus.attach(deviceOf('odd', { mmio: [logging(0x1000, 4, { valid: { min: 4, max: 2 } }).region] }))).toThrow(/odd: bad access sizes/);
    expect(() => bus.attach(deviceOf('wide', { ports: [logging(0x10, 4, { valid: { min: 1, max: 8 } }).region] }))).toThrow(/wide: bad access sizes/);
  });

  it('detach releases every claim, so the resources can be claimed again', () => {
    const bus = new IoBus();
    const dev = deviceOf('d', { ports: [logging(0x70, 2).region], mmio: [logging(0xfed00000, 0x400).region], pci: [{ sbdf: 8, config: { name: 'f', configRead: () => 0, configWrite: () => {} } }] });
    bus.attach(dev);
    bus.detach(dev);
    expect([bus.claimsPort(0x70), bus.mmioRange(0xfed00000, 4), bus.pciFunction(8), bus.listDevices().length]).toEqual([false, undefined, undefined, 0]);
    bus.attach(dev);
    expect(bus.portOwner(0x71)).toBe(dev);
  });
});
