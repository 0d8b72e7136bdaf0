import { describe, expect, it } from 'vitest';
import { cyclesBetween, ManualClock, nsForCycles } from '../hypervisor/devices/clock.js';
import type { IrqInput } from '../hypervisor/devices/irq-input.js';
import { Pic8259 } from '../hypervisor/devices/pic8259.js';
import { PIT_HZ, Pit8254 } from '../hypervisor/devices/pit8254.js';
import { portsOf } from './support/bus-access.js';

class LineRecorder implements IrqInput {
  readonly events: [number, boolean][] = [];
  setIrqLevel(irq: number, level: boolean): void {
    this.events.push([irq, level]);
  }
}

/** Clock time at which exactly `cycles` PIT cycles have passed since `t0`. */
const at = (t0: number, cycles: number): number => t0 + nsForCycles(cycles, PIT_HZ);

function setup(t0 = 5_000): { clock: ManualClock; pit: Pit8254; lines: LineRecorder } {
  const clock = new ManualClock(t0);
  const lines = new LineRecorder();
  return { clock, pit: new Pit8254({ clock, irqs: lines }), lines };
}

function outb(pit: Pit8254, port: number, v: number): void {
  portsOf(pit).ioWrite(port, 1, v);
}
function inb(pit: Pit8254, port: number): number {
  return portsOf(pit).ioRead(port, 1);
}
function program(pit: Pit8254, channel: number, control: number, count: number): void {
  outb(pit, 0x43, control);
  outb(pit, 0x40 + channel, count & 0xff);
  outb(pit, 0x40 + channel, (count >> 8) & 0xff);
}
function latchAndRead(pit: Pit8254, channel: number): number {
  outb(pit, 0x43, channel << 6); // counter latch command
  const lo = inb(pit, 0x40 + channel);
  return lo | (inb(pit, 0x40 + channel) << 8);
}

describe('clock arithmetic', () => {
  it('nsForCycles is the exact inverse of cyclesBetween, also hours into a run', () => {
    for (const start of [0, 123_456_789, 3_600 * 1e9 + 17]) {
      for (const cycles of [1, 2, 1193, 65536, 1_193_182, 1_193_183, 4_295_000_000]) {
        const ns = nsForCycles(cycles, PIT_HZ);
        expect(cyclesBetween(start, start + ns, PIT_HZ)).toBeGreaterThanOrEqual(cycles);
        expect(cyclesBetween(start, start + ns - 1, PIT_HZ)).toBeLessThan(cycles);
      }
    }
    expect(nsForCycles(PIT_HZ, PIT_HZ)).toBe(1e9);
    expect(cyclesBetween(0, 3_600e9, PIT_HZ)).toBe(3_600 * PIT_HZ);
  });
});

describe('8254 channel 0 and IRQ 0', () => {
  it('mode 2 ticks every `count` cycles and service() pulses IRQ 0', () => {
    const { clock, pit, lines } = setup();
    program(pit, 0, 0x34, 1193); // channel 0, lo/hi, mode 2, binary
    const t0 = clock.now();
    expect(pit.nextDeadline()).toBe(at(t0, 1193));
    clock.set(at(t0, 1193) - 1);
    expect(pit.pendingTicks).toBe(0);
    pit.service();
    expect(lines.events).toEqual([]);
    clock.set(at(t0, 1193));
    expect(pit.pendingTicks).toBe(1);
    pit.service();
    expect(lines.events).toEqual([
      [0, false],
      [0, true],
    ]);
    expect(pit.pendingTicks).toBe(0);
    expect(pit.nextDeadline()).toBe(at(t0, 2 * 1193));
    expect(pit.ticksDelivered).toBe(1);
  });

  it('mode 3 with count 0 runs at 18.2 Hz with a square wave on OUT', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x36, 0); // mode 3, count 65536
    const t0 = clock.now();
    expect(pit.nextDeadline()).toBe(at(t0, 65536));
    expect(pit.nextDeadline() - t0).toBe(54_925_402); // 65536 / 1.193182 MHz, rounded up
    clock.set(at(t0, 32767));
    expect(pit.output(0)).toBe(true);
    clock.set(at(t0, 32768));
    expect(pit.output(0)).toBe(false);
    clock.set(at(t0, 65536));
    expect(pit.output(0)).toBe(true);
    expect(pit.pendingTicks).toBe(1);
  });

  it('keeps at most one tick pending: missed ticks are dropped, the grid is kept', () => {
    const { clock, pit, lines } = setup();
    program(pit, 0, 0x34, 1000);
    const t0 = clock.now();
    clock.set(at(t0, 10 * 1000 + 500)); // the vCPU was away for ten periods
    expect(pit.pendingTicks).toBe(1);
    expect(pit.nextDeadline()).toBe(at(t0, 1000)); // due since the first missed tick
    pit.service();
    expect(lines.events.length).toBe(2);
    expect(pit.ticksDropped).toBe(9);
    expect(pit.pendingTicks).toBe(0);
    expect(pit.nextDeadline()).toBe(at(t0, 11 * 1000));
  });

  it('ticks reach the guest through the PIC, and an unacknowledged tick merges with the next', () => {
    const clock = new ManualClock(0);
    const pic = new Pic8259();
    const pit = new Pit8254({ clock, irqs: pic });
    for (const [p, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 0x04], [0x21, 0x01], [0x21, 0]] as const) portsOf(pic).ioWrite(p, 1, v);
    program(pit, 0, 0x34, 100);
    clock.set(at(0, 100));
    pit.service();
    clock.set(at(0, 200));
    pit.service(); // the first tick was not acknowledged yet
    expect(pic.acknowledge()).toBe(0x20);
    portsOf(pic).ioWrite(0x20, 1, 0x20);
    expect(pic.hasPendingInterrupt()).toBe(false);
    clock.set(at(0, 300));
    pit.service();
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('mode 0 is a one-shot: OUT low until terminal count, one tick, then the counter wraps', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x30, 100); // mode 0
    const t0 = clock.now();
    expect(pit.output(0)).toBe(false);
    clock.set(at(t0, 99));
    expect(pit.output(0)).toBe(false);
    expect(latchAndRead(pit, 0)).toBe(1);
    clock.set(at(t0, 100));
    expect(pit.output(0)).toBe(true);
    expect(pit.pendingTicks).toBe(1);
    pit.service();
    clock.set(at(t0, 102));
    expect(latchAndRead(pit, 0)).toBe(0xfffe);
    clock.set(at(t0, 100_000));
    expect(pit.pendingTicks).toBe(0);
    expect(pit.nextDeadline()).toBe(Infinity);
    expect(pit.output(0)).toBe(true);
  });

  it('a control word stops the channel and drops its pending tick', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x34, 100);
    const t0 = clock.now();
    clock.set(at(t0, 150));
    outb(pit, 0x43, 0x34);
    expect(pit.pendingTicks).toBe(0);
    expect(pit.nextDeadline()).toBe(Infinity);
    expect(latchAndRead(pit, 0)).toBe(50); // held at the value it had
  });

  it('modes 4 and 1 give one tick after the count (mode 4 one cycle later)', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x38, 10); // mode 4
    const t0 = clock.now();
    expect(pit.nextDeadline()).toBe(at(t0, 11));
    clock.set(at(t0, 10));
    expect(pit.output(0)).toBe(false); // the strobe
    clock.set(at(t0, 11));
    expect(pit.output(0)).toBe(true);
    program(pit, 0, 0x32, 10); // mode 1: starts at once on channel 0
    expect(pit.output(0)).toBe(false);
    expect(pit.nextDeadline()).toBe(at(clock.now(), 10));
  });
});

describe('8254 counter reads', () => {
  it('latch freezes the exact count; later latches wait until it is read', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x34, 5000);
    const t0 = clock.now();
    clock.set(at(t0, 1234));
    outb(pit, 0x43, 0x00);
    clock.set(at(t0, 2000));
    outb(pit, 0x43, 0x00); // ignored: the first latch is still unread
    expect(inb(pit, 0x40)).toBe((5000 - 1234) & 0xff);
    clock.set(at(t0, 3000));
    expect(inb(pit, 0x40)).toBe((5000 - 1234) >> 8);
    expect(latchAndRead(pit, 0)).toBe(2000);
  });

  it('reads lo/hi in order without a latch and counts mode 2 down by one per cycle', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x34, 0x1234);
    const t0 = clock.now();
    clock.set(at(t0, 0x34));
    expect(inb(pit, 0x40)).toBe(0x00); // 0x1200 low byte
    expect(inb(pit, 0x40)).toBe(0x12);
    clock.set(at(t0, 0x1234 + 1));
    expect(latchAndRead(pit, 0)).toBe(0x1233); // reloaded, then one cycle
  });

  it('mode 3 counts down by two', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x36, 1000);
    const t0 = clock.now();
    clock.set(at(t0, 100));
    expect(latchAndRead(pit, 0)).toBe(800);
    clock.set(at(t0, 600));
    expect(latchAndRead(pit, 0)).toBe(800); // second half-period
  });

  it('LSB-only and MSB-only access modes', () => {
    const { clock, pit } = setup();
    outb(pit, 0x43, 0x54); // channel 1, LSB only, mode 2
    outb(pit, 0x41, 0x80);
    const t0 = clock.now();
    clock.set(at(t0, 0x10));
    expect(inb(pit, 0x41)).toBe(0x70);
    expect(inb(pit, 0x41)).toBe(0x70);
    outb(pit, 0x43, 0x64); // channel 1, MSB only, mode 2
    outb(pit, 0x41, 0x02); // count 0x200
    const t1 = clock.now();
    clock.set(at(t1, 0x101));
    expect(inb(pit, 0x41)).toBe(0x00); // 0x0ff
  });

  it('read-back latches status then count; status shows OUT, null count, access, mode', () => {
    const { clock, pit } = setup();
    outb(pit, 0x43, 0x34);
    outb(pit, 0x43, 0xe2); // read-back: status only, channel 0
    expect(inb(pit, 0x40)).toBe(0x80 | 0x40 | 0x30 | (2 << 1)); // OUT high, null count
    outb(pit, 0x40, 100);
    outb(pit, 0x40, 0);
    const t0 = clock.now();
    clock.set(at(t0, 99));
    outb(pit, 0x43, 0xc2); // count and status, channel 0
    clock.set(at(t0, 120));
    expect(inb(pit, 0x40)).toBe(0x00 | 0x30 | (2 << 1)); // OUT low on the last cycle
    expect(inb(pit, 0x40)).toBe(1);
    expect(inb(pit, 0x40)).toBe(0);
  });

  it('BCD counts in decimal digits, 0 meaning 10000', () => {
    const { clock, pit } = setup();
    program(pit, 0, 0x31, 0x1000); // mode 0, BCD, 1000
    const t0 = clock.now();
    clock.set(at(t0, 1));
    expect(latchAndRead(pit, 0)).toBe(0x0999);
    expect(pit.nextDeadline()).toBe(at(t0, 1000));
    program(pit, 0, 0x35, 0); // mode 2, BCD, 10000
    const t1 = clock.now();
    expect(pit.nextDeadline()).toBe(at(t1, 10000));
    clock.set(at(t1, 1));
    expect(latchAndRead(pit, 0)).toBe(0x9999);
  });
});

describe('8254 channel 2 and port 0x61', () => {
  it("Linux's calibration loop: bit 5 of 0x61 rises when channel 2 reaches terminal count", () => {
    const { clock, pit } = setup();
    outb(pit, 0x61, (inb(pit, 0x61) & ~0x02) | 0x01); // gate on, speaker off
    program(pit, 2, 0xb0, 11932); // channel 2, lo/hi, mode 0: ~10 ms
    const t0 = clock.now();
    expect(inb(pit, 0x61) & 0x20).toBe(0);
    clock.set(at(t0, 11931));
    expect(inb(pit, 0x61) & 0x20).toBe(0);
    clock.set(at(t0, 11932));
    expect(inb(pit, 0x61) & 0x20).toBe(0x20);
    expect(inb(pit, 0x61) & 0x03).toBe(0x01);
    expect(pit.pendingTicks).toBe(0); // channel 2 has no interrupt
  });

  it('a low gate pauses mode 0 and holds mode 2 with OUT high; a rising gate restarts mode 2', () => {
    const { clock, pit } = setup();
    program(pit, 2, 0xb0, 1000); // gate still low: waits
    const t0 = clock.now();
    clock.set(at(t0, 5000));
    expect(latchAndRead(pit, 2)).toBe(1000);
    outb(pit, 0x61, 0x01);
    const t1 = clock.now();
    clock.set(at(t1, 400));
    outb(pit, 0x61, 0x00); // pause at 600
    clock.set(at(t1, 900));
    expect(latchAndRead(pit, 2)).toBe(600);
    expect(inb(pit, 0x61) & 0x20).toBe(0);

    program(pit, 2, 0xb4, 1000); // mode 2, gate low
    clock.advance(1e6);
    expect(inb(pit, 0x61) & 0x20).toBe(0x20);
    outb(pit, 0x61, 0x01);
    const t2 = clock.now();
    clock.set(at(t2, 250));
    expect(latchAndRead(pit, 2)).toBe(750);
    outb(pit, 0x61, 0x00);
    outb(pit, 0x61, 0x01); // rising gate: full count again
    expect(latchAndRead(pit, 2)).toBe(1000);
  });

  it('bit 4 toggles with time; the speaker bit reads back', () => {
    const { clock, pit } = setup(0);
    outb(pit, 0x61, 0x03);
    const a = inb(pit, 0x61);
    clock.advance(16_384);
    const b = inb(pit, 0x61);
    expect((a ^ b) & 0x10).toBe(0x10);
    expect(b & 0x03).toBe(0x03);
  });
});
