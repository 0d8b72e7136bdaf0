import { describe, expect, it } from 'vitest';
import { ManualClock, nsForCycles } from '../hypervisor/devices/clock.js';
import { pcCmosImage } from '../hypervisor/devices/cmos-pc-layout.js';
import type { IrqInput } from '../hypervisor/devices/irq-input.js';
import { RtcCmos } from '../hypervisor/devices/rtc-cmos.js';
import { portsOf } from './support/bus-access.js';

class LineRecorder implements IrqInput {
  readonly events: [number, boolean][] = [];
  setIrqLevel(irq: number, level: boolean): void {
    this.events.push([irq, level]);
  }
}

const T0 = 1_000_000; // clock origin of the tests (ns)
// Thursday 2024-02-29 23:59:58 UTC: a leap day two seconds before midnight.
const START = Date.UTC(2024, 1, 29, 23, 59, 58) / 1000;

function setup(startTime = START, cmos?: Uint8Array): { clock: ManualClock; rtc: RtcCmos; lines: LineRecorder } {
  const clock = new ManualClock(T0);
  const lines = new LineRecorder();
  return { clock, rtc: new RtcCmos({ clock, startTime, cmos, irqs: lines }), lines };
}

function read(rtc: RtcCmos, index: number): number {
  portsOf(rtc).ioWrite(0x70, 1, index);
  return portsOf(rtc).ioRead(0x71, 1);
}
function write(rtc: RtcCmos, index: number, value: number): void {
  portsOf(rtc).ioWrite(0x70, 1, index);
  portsOf(rtc).ioWrite(0x71, 1, value);
}
const timeRegs = (rtc: RtcCmos): number[] => [0, 2, 4, 6, 7, 8, 9, 0x32].map((i) => read(rtc, i));

describe('RTC time and date', () => {
  it('reads BCD, 24-hour time by default and rolls over midnight into March', () => {
    const { clock, rtc } = setup();
    expect(timeRegs(rtc)).toEqual([0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20]);
    clock.advance(1.5e9);
    expect(read(rtc, 0)).toBe(0x59);
    clock.advance(0.5e9);
    expect(timeRegs(rtc)).toEqual([0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20]);
  });

  it('follows register B: binary, and 12-hour with the PM bit', () => {
    const { rtc } = setup();
    write(rtc, 0x0b, 0x06); // binary, 24 h
    expect(timeRegs(rtc)).toEqual([58, 59, 23, 5, 29, 2, 24, 20]);
    write(rtc, 0x0b, 0x04); // binary, 12 h
    expect(read(rtc, 4)).toBe(0x80 | 11);
    write(rtc, 0x0b, 0x00); // BCD, 12 h
    expect(read(rtc, 4)).toBe(0x91);
    const midnight = setup(Date.UTC(2001, 0, 1, 0, 30, 0) / 1000).rtc;
    write(midnight, 0x0b, 0x00);
    expect(read(midnight, 4)).toBe(0x12); // 12 AM
    expect(read(midnight, 9)).toBe(0x01);
    expect(read(midnight, 0x32)).toBe(0x20);
  });

  it('SET freezes the registers; clearing it starts the clock from what was written', () => {
    const { clock, rtc } = setup();
    write(rtc, 0x0b, 0x82); // SET, BCD, 24 h
    clock.advance(0.25e9); // set while 0.25 s into the second
    for (const [i, v] of [[0, 0x30], [2, 0x15], [4, 0x10], [7, 0x31], [8, 0x12], [9, 0x99], [0x32, 0x19]] as const) write(rtc, i, v);
    clock.advance(5e9);
    expect(read(rtc, 0)).toBe(0x30); // frozen
    expect(read(rtc, 0x0a) & 0x80).toBe(0); // no update in progress while SET
    write(rtc, 0x0b, 0x02);
    expect(rtc.currentTime()).toBe(Date.UTC(1999, 11, 31, 10, 15, 30) / 1000);
    expect(read(rtc, 6)).toBe(0x06); // Friday, derived from the date
    // The divider phase is kept: the next update is on the original one-second grid.
    clock.set(T0 + 6e9 - 1);
    expect(read(rtc, 0)).toBe(0x30);
    clock.set(T0 + 6e9);
    expect(read(rtc, 0)).toBe(0x31);
  });

  it('a single field written while running replaces just that field', () => {
    const { rtc } = setup();
    write(rtc, 2, 0x05);
    expect(timeRegs(rtc)).toEqual([0x58, 0x05, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20]);
  });

  it('UIP is set during the last 244 µs before each update', () => {
    const { clock, rtc } = setup();
    clock.set(T0 + 1e9 - 244_141);
    expect(read(rtc, 0x0a)).toBe(0x26);
    clock.set(T0 + 1e9 - 244_140);
    expect(read(rtc, 0x0a)).toBe(0xa6);
    clock.set(T0 + 1e9);
    expect(read(rtc, 0x0a)).toBe(0x26);
  });

  it('register D reports valid RAM and time; C and D ignore writes', () => {
    const { rtc } = setup();
    expect(read(rtc, 0x0d)).toBe(0x80);
    write(rtc, 0x0d, 0);
    write(rtc, 0x0c, 0xff);
    expect(read(rtc, 0x0d)).toBe(0x80);
    expect(read(rtc, 0x0c)).toBe(0);
  });
});

describe('RTC interrupts and register C', () => {
  it('periodic interrupt: PF and IRQF in C, IRQ 8 raised once, reading C clears both', () => {
    const { clock, rtc, lines } = setup();
    write(rtc, 0x0b, 0x42); // PIE, 24 h; rate 6 = 1024 Hz
    const periodEnd = (k: number): number => T0 + nsForCycles(32 * k, 32768);
    expect(rtc.nextDeadline()).toBe(periodEnd(1));
    clock.set(periodEnd(1) - 1);
    rtc.service();
    expect(lines.events).toEqual([]);
    clock.set(periodEnd(5)); // several periods: they merge into one flag
    rtc.service();
    expect(lines.events).toEqual([[8, true]]);
    expect(rtc.nextDeadline()).toBe(Infinity); // nothing more until C is read
    expect(read(rtc, 0x0c)).toBe(0xc0);
    expect(lines.events).toEqual([
      [8, true],
      [8, false],
    ]);
    expect(read(rtc, 0x0c)).toBe(0);
    expect(rtc.nextDeadline()).toBe(periodEnd(6));
  });

  it('PF is set without PIE, and enabling PIE then raises IRQ 8 at once', () => {
    const { clock, rtc, lines } = setup();
    clock.advance(2e6);
    expect(read(rtc, 0x0a)).toBe(0x26);
    write(rtc, 0x0b, 0x42);
    expect(lines.events).toEqual([[8, true]]);
    expect(read(rtc, 0x0c)).toBe(0xc0);
  });

  it('rate 15 ticks at 2 Hz; rate 0 turns the periodic flag off', () => {
    const { clock, rtc } = setup();
    write(rtc, 0x0a, 0x2f);
    write(rtc, 0x0b, 0x42);
    expect(rtc.nextDeadline()).toBe(T0 + 500e6);
    write(rtc, 0x0a, 0x20);
    clock.advance(0.9e9);
    expect(read(rtc, 0x0c)).toBe(0);
    expect(rtc.nextDeadline()).toBe(Infinity);
  });

  it('update-ended interrupt at each second boundary', () => {
    const { clock, rtc, lines } = setup();
    write(rtc, 0x0a, 0x20); // no periodic flag
    write(rtc, 0x0b, 0x12); // UIE
    clock.advance(0.3e9);
    expect(rtc.nextDeadline()).toBe(T0 + 1e9);
    clock.set(T0 + 1e9);
    rtc.service();
    expect(lines.events).toEqual([[8, true]]);
    expect(read(rtc, 0x0c)).toBe(0x90);
    expect(rtc.nextDeadline()).toBe(T0 + 2e9);
  });

  it('alarm interrupt when the time matches; 0xC0–0xFF match anything', () => {
    const { clock, rtc, lines } = setup();
    write(rtc, 0x0a, 0x20);
    // Alarm at 00:00:03, five seconds after the start.
    write(rtc, 0x01, 0x03);
    write(rtc, 0x03, 0x00);
    write(rtc, 0x05, 0x00);
    write(rtc, 0x0b, 0x22); // AIE
    expect(rtc.nextDeadline()).toBe(T0 + 5e9);
    clock.set(T0 + 4.999e9);
    rtc.service();
    expect(lines.events).toEqual([]);
    clock.set(T0 + 5e9);
    rtc.service();
    expect(lines.events).toEqual([[8, true]]);
    expect(read(rtc, 0x0c)).toBe(0xb0); // IRQF | AF | UF (UF set, not enabled)
    // "Any hour, any minute, second 10": the next match is 00:00:10.
    write(rtc, 0x03, 0xff);
    write(rtc, 0x05, 0xc0);
    write(rtc, 0x01, 0x10);
    expect(rtc.nextDeadline()).toBe(T0 + 12e9);
    // An alarm that can never match sets no deadline and no flag.
    write(rtc, 0x05, 0x25);
    expect(rtc.nextDeadline()).toBe(Infinity);
    clock.advance(100_000e9);
    expect(read(rtc, 0x0c) & 0x20).toBe(0);
  });

  it('an alarm passed while nobody looked is still flagged', () => {
    const { clock, rtc } = setup();
    write(rtc, 0x01, 0x00);
    write(rtc, 0x03, 0x30);
    write(rtc, 0x05, 0x00); // 00:30:00
    clock.advance(7200e9);
    expect(read(rtc, 0x0c) & 0x20).toBe(0x20);
  });
});

describe('CMOS RAM and ports', () => {
  it('holds the pc machine fields for 128 MiB', () => {
    const { rtc } = setup(START, pcCmosImage({ ramBelow4G: 128 * 1024 * 1024 }));
    expect([read(rtc, 0x15), read(rtc, 0x16)]).toEqual([0x80, 0x02]); // 640 KiB
    expect([read(rtc, 0x17), read(rtc, 0x18)]).toEqual([0xff, 0xff]); // 127 MiB in KiB, capped
    expect([read(rtc, 0x30), read(rtc, 0x31)]).toEqual([0xff, 0xff]);
    expect([read(rtc, 0x34), read(rtc, 0x35)]).toEqual([0x00, 0x07]); // 112 MiB / 64 KiB = 1792
    expect([read(rtc, 0x5b), read(rtc, 0x5c), read(rtc, 0x5d)]).toEqual([0, 0, 0]);
    expect(read(rtc, 0x10)).toBe(0x00); // no floppy
    expect(read(rtc, 0x14)).toBe(0x06); // FPU, PS/2 mouse, VGA
    expect(read(rtc, 0x5f)).toBe(0); // one CPU
    expect(read(rtc, 0x3d)).toBe(0x12); // boot c, then a
    expect(read(rtc, 0x38)).toBe(0x30); // then d
  });

  it('computes the fields for small and large memory', () => {
    const small = pcCmosImage({ ramBelow4G: 16 * 1024 * 1024, cpus: 4 });
    expect([small[0x17], small[0x18]]).toEqual([0x00, 0x3c]); // 15360 KiB
    expect([small[0x34], small[0x35]]).toEqual([0, 0]);
    expect(small[0x5f]).toBe(3);
    const big = pcCmosImage({ ramBelow4G: 3584 * 1024 * 1024, ramAbove4G: 2 * 1024 ** 3 });
    expect([big[0x34], big[0x35]]).toEqual([0x00, 0xdf]); // (3584 − 16) MiB / 64 KiB = 57088
    expect([big[0x5b], big[0x5c], big[0x5d]]).toEqual([0x00, 0x80, 0x00]); // 32768 × 64 KiB
    expect(() => pcCmosImage({ ramBelow4G: 1 << 20, bootOrder: 'x' })).toThrow(RangeError);
  });

  it('port 0x70 is write-only, carries the NMI mask, and indexes 128 bytes', () => {
    const { rtc } = setup();
    expect(portsOf(rtc).ioRead(0x70, 1)).toBe(0xff);
    portsOf(rtc).ioWrite(0x70, 1, 0x80 | 0x40);
    expect(rtc.nmiDisabled).toBe(true);
    portsOf(rtc).ioWrite(0x71, 1, 0xa5);
    portsOf(rtc).ioWrite(0x70, 1, 0x40);
    expect(rtc.nmiDisabled).toBe(false);
    expect(portsOf(rtc).ioRead(0x71, 1)).toBe(0xa5);
    portsOf(rtc).ioWrite(0x70, 1, 0xc0); // same byte, index bit 7 is the NMI mask
    expect(portsOf(rtc).ioRead(0x71, 1)).toBe(0xa5);
  });
});
