import { describe, expect, it } from 'vitest';
import { IoBus } from '../shared/io-bus.js';
import { ManualClock, nsForCycles } from '../hypervisor/devices/clock.js';
import { createPlatformDevices, nextTimerDeadline, attachPlatformDevices } from '../hypervisor/devices/platform-devices.js';
import { PIT_HZ } from '../hypervisor/devices/pit8254.js';
import { Port80 } from '../hypervisor/devices/port80.js';
import { portsOf } from './support/bus-access.js';

describe('port 0x80', () => {
  it('reads all ones (as QEMU) and records the POST codes written', () => {
    const p = new Port80();
    expect(portsOf(p).ioRead(0x80, 1)).toBe(0xff);
    expect(portsOf(p).ioRead(0x80, 2)).toBe(0xffff);
    expect(portsOf(p).ioRead(0x80, 4)).toBe(0xffffffff);
    expect(p.lastCode).toBeUndefined();
    portsOf(p).ioWrite(0x80, 1, 0x12);
    portsOf(p).ioWrite(0x80, 2, 0xab34);
    expect(p.lastCode).toBe(0x34);
    expect(portsOf(p).ioRead(0x80, 1)).toBe(0xff); // not the last code
    expect(p.history()).toEqual([0x12, 0x34]);
    for (let i = 0; i < 300; i++) portsOf(p).ioWrite(0x80, 1, i & 0xff);
    expect(p.writes).toBe(302);
    expect(p.history().length).toBe(256);
    expect(p.history()[255]).toBe(299 & 0xff);
    expect(p.history()[0]).toBe(44);
  });
});

describe('the hypervisor devices on one bus', () => {
  const out = (bus: IoBus, port: number, v: number): void => void bus.writePort(port, 1, v);
  const inp = (bus: IoBus, port: number): number => bus.readPort(port, 1)!;

  it('registers every port and routes PIT and RTC interrupts through the PIC', () => {
    const clock = new ManualClock(0);
    const dev = createPlatformDevices({ clock, startTime: 0, memory: { ramBelow4G: 64 << 20 } });
    const bus = new IoBus();
    attachPlatformDevices(bus, dev);
    for (const p of [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1]) expect(bus.portOwner(p)).toBe(dev.pic);
    for (const p of [0x40, 0x41, 0x42, 0x43, 0x61]) expect(bus.portOwner(p)).toBe(dev.pit);
    expect(bus.portOwner(0x70)).toBe(dev.rtc);
    expect(bus.portOwner(0x80)).toBe(dev.port80);

    for (const [p, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 4], [0x21, 1], [0xa0, 0x11], [0xa1, 0x28], [0xa1, 2], [0xa1, 1], [0x21, 0], [0xa1, 0]]) {
      out(bus, p!, v!);
    }
    expect(nextTimerDeadline(dev.timers)).toBe(Infinity); // nothing programmed: HLT may sleep forever

    out(bus, 0x43, 0x34);
    out(bus, 0x40, 1193 & 0xff);
    out(bus, 0x40, 1193 >> 8);
    out(bus, 0x70, 0x0b);
    out(bus, 0x71, 0x42); // RTC periodic interrupt, 1024 Hz
    const rtcTick = nsForCycles(32, 32768);
    const pitTick = nsForCycles(1193, PIT_HZ);
    expect(nextTimerDeadline(dev.timers)).toBe(Math.min(rtcTick, pitTick));

    clock.set(Math.max(rtcTick, pitTick));
    for (const t of dev.timers) t.service();
    expect(dev.pic.acknowledge()).toBe(0x20); // IRQ 0 first
    out(bus, 0x20, 0x20);
    expect(dev.pic.acknowledge()).toBe(0x28); // then IRQ 8 through the cascade
    out(bus, 0x70, 0x0c);
    expect(inp(bus, 0x71)).toBe(0xc0);
    out(bus, 0xa0, 0x20);
    out(bus, 0x20, 0x20);
    expect(dev.pic.hasPendingInterrupt()).toBe(false);

    out(bus, 0x70, 0x34);
    expect(inp(bus, 0x71)).toBe(0x00);
    out(bus, 0x70, 0x35);
    expect(inp(bus, 0x71)).toBe(0x03); // (64 − 16) MiB / 64 KiB = 768
  });
});
