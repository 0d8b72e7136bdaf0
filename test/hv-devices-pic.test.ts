import { describe, expect, it } from 'vitest';
import { Pic8259 } from '../hypervisor/devices/pic8259.js';
import { portsOf } from './support/bus-access.js';

function outb(pic: Pic8259, port: number, value: number): void {
  portsOf(pic).ioWrite(port, 1, value);
}
function inb(pic: Pic8259, port: number): number {
  return portsOf(pic).ioRead(port, 1);
}

/** Linux's init_8259A (and our guests'): ICW1 0x11, bases 0x20/0x28, cascade 4/2, ICW4 8086 mode. */
function linuxInit(pic: Pic8259, icw4Master = 0x01, icw4Slave = 0x01): void {
  outb(pic, 0x21, 0xff);
  outb(pic, 0xa1, 0xff);
  outb(pic, 0x20, 0x11);
  outb(pic, 0x21, 0x20);
  outb(pic, 0x21, 0x04);
  outb(pic, 0x21, icw4Master);
  outb(pic, 0xa0, 0x11);
  outb(pic, 0xa1, 0x28);
  outb(pic, 0xa1, 0x02);
  outb(pic, 0xa1, icw4Slave);
  outb(pic, 0x21, 0x00);
  outb(pic, 0xa1, 0x00);
}

const EOI = 0x20;
const readIsr = (pic: Pic8259, port: number): number => {
  outb(pic, port, 0x0b);
  const v = inb(pic, port);
  outb(pic, port, 0x0a);
  return v;
};

describe('8259A pair: initialisation', () => {
  it('takes the ICW sequence, then OCW1 writes the IMR', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    expect(pic.master.irqBase).toBe(0x20);
    expect(pic.slave.irqBase).toBe(0x28);
    expect(pic.master.icw3).toBe(0x04);
    expect(pic.slave.icw3).toBe(0x02);
    expect(pic.master.initializing).toBe(false);
    outb(pic, 0x21, 0xfb);
    outb(pic, 0xa1, 0xff);
    expect(inb(pic, 0x21)).toBe(0xfb);
    expect(inb(pic, 0xa1)).toBe(0xff);
  });

  it('ICW1 clears the IMR and ISR and resets the edge sense', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0x21, 0x55);
    pic.setIrqLevel(3, true);
    pic.acknowledge();
    expect(pic.master.isr).toBe(1 << 3);
    pic.setIrqLevel(4, true); // held high across the re-init
    outb(pic, 0x20, 0x11);
    expect(inb(pic, 0x21)).toBe(0); // IMR cleared (reads still work during the ICW steps)
    outb(pic, 0x21, 0x20);
    outb(pic, 0x21, 0x04);
    outb(pic, 0x21, 0x01);
    expect(pic.master.imr).toBe(0);
    expect(pic.master.isr).toBe(0);
    expect(pic.hasPendingInterrupt()).toBe(false); // IRQ 4 needs a new rising edge
    pic.setIrqLevel(4, false);
    pic.setIrqLevel(4, true);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('single mode without ICW4 skips ICW3 and ICW4', () => {
    const pic = new Pic8259();
    outb(pic, 0x20, 0x12); // ICW1: single, no ICW4
    outb(pic, 0x21, 0x40); // ICW2
    expect(pic.master.initializing).toBe(false);
    outb(pic, 0x21, 0xfe); // OCW1, not ICW3
    expect(inb(pic, 0x21)).toBe(0xfe);
    expect(pic.master.autoEoi).toBe(false);
  });
});

describe('8259A pair: priorities and EOI', () => {
  it('delivers the highest-priority request first; lower ones wait for the EOI', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(5, true);
    pic.setIrqLevel(3, true);
    expect(pic.hasPendingInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x23);
    expect(pic.hasPendingInterrupt()).toBe(false); // IRQ 5 is lower than IRQ 3 in service
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x25);
    outb(pic, 0x20, EOI);
    expect(pic.hasPendingInterrupt()).toBe(false);
  });

  it('lets a higher priority nest over one in service', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(5, true);
    expect(pic.acknowledge()).toBe(0x25);
    pic.setIrqLevel(1, true);
    expect(pic.hasPendingInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21);
    expect(readIsr(pic, 0x20)).toBe((1 << 5) | (1 << 1));
    // Non-specific EOI ends the highest in service (IRQ 1).
    outb(pic, 0x20, EOI);
    expect(readIsr(pic, 0x20)).toBe(1 << 5);
  });

  it('specific EOI ends the named level', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(5, true);
    pic.acknowledge();
    pic.setIrqLevel(1, true);
    pic.acknowledge();
    outb(pic, 0x20, 0x60 | 5); // specific EOI for IRQ 5
    expect(readIsr(pic, 0x20)).toBe(1 << 1);
  });

  it('masked lines stay in IRR but are not signalled', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0x21, 1 << 6);
    pic.setIrqLevel(6, true);
    expect(inb(pic, 0x20)).toBe(1 << 6);
    expect(pic.hasPendingInterrupt()).toBe(false);
    outb(pic, 0x21, 0);
    expect(pic.acknowledge()).toBe(0x26);
  });

  it('OCW3 selects IRR or ISR for reads of the command port', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(4, true);
    pic.setIrqLevel(6, true);
    outb(pic, 0x20, 0x0a);
    expect(inb(pic, 0x20)).toBe(0x50);
    pic.acknowledge();
    expect(inb(pic, 0x20)).toBe(0x40); // IRR: IRQ 4's edge consumed
    outb(pic, 0x20, 0x0b);
    expect(inb(pic, 0x20)).toBe(0x10); // ISR
    expect(inb(pic, 0x20)).toBe(0x10); // the selection sticks
  });

  it('poll command acknowledges and returns 0x80 | level, then 0 when idle', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(6, true);
    outb(pic, 0x20, 0x0c);
    expect(inb(pic, 0x20)).toBe(0x86);
    expect(pic.master.isr).toBe(1 << 6);
    outb(pic, 0x20, EOI);
    outb(pic, 0x20, 0x0c);
    expect(inb(pic, 0x20)).toBe(0);
  });
});

describe('8259A pair: rotation', () => {
  it('rotate on non-specific EOI makes the serviced level the lowest', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    outb(pic, 0x20, 0xa0); // rotate on non-specific EOI
    expect(pic.master.priorityAdd).toBe(2);
    pic.setIrqLevel(0, true);
    pic.setIrqLevel(3, true);
    expect(pic.acknowledge()).toBe(0x23); // IRQ 3 now outranks IRQ 0
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('set priority makes the named level the lowest', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0x20, 0xc0 | 4); // IRQ 4 lowest, IRQ 5 highest
    pic.setIrqLevel(4, true);
    pic.setIrqLevel(7, true);
    pic.setIrqLevel(0, true);
    expect(pic.acknowledge()).toBe(0x27);
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x20);
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('rotate on specific EOI ends the named level and makes it the lowest', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(3, true);
    pic.acknowledge();
    outb(pic, 0x20, 0xe0 | 3);
    expect(pic.master.isr).toBe(0);
    expect(pic.master.priorityAdd).toBe(4);
  });

  it('rotate in auto-EOI mode rotates on every acknowledge', () => {
    const pic = new Pic8259();
    linuxInit(pic, 0x03); // master ICW4: 8086 + auto-EOI
    outb(pic, 0x20, 0x80); // rotate in AEOI: set
    pic.setIrqLevel(1, true);
    pic.setIrqLevel(5, true);
    expect(pic.acknowledge()).toBe(0x21);
    expect(pic.master.isr).toBe(0);
    expect(pic.master.priorityAdd).toBe(2);
    pic.setIrqLevel(1, false);
    pic.setIrqLevel(1, true); // IRQ 1 again, now below IRQ 5
    expect(pic.acknowledge()).toBe(0x25);
    expect(pic.acknowledge()).toBe(0x21);
    outb(pic, 0x20, 0x00); // rotate in AEOI: clear
    expect(pic.master.rotateOnAutoEoi).toBe(false);
  });
});

describe('8259A pair: trigger modes and ELCR', () => {
  it('ELCR keeps the PC edge-only lines edge-triggered', () => {
    const pic = new Pic8259();
    outb(pic, 0x4d0, 0xff);
    outb(pic, 0x4d1, 0xff);
    expect(inb(pic, 0x4d0)).toBe(0xf8);
    expect(inb(pic, 0x4d1)).toBe(0xde);
  });

  it('an edge line held high interrupts once; a level line again after each EOI', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(5, true);
    expect(pic.acknowledge()).toBe(0x25);
    outb(pic, 0x20, EOI);
    expect(pic.hasPendingInterrupt()).toBe(false);

    outb(pic, 0x4d1, 1 << (11 - 8)); // IRQ 11 level-triggered
    pic.setIrqLevel(11, true);
    expect(pic.acknowledge()).toBe(0x2b);
    outb(pic, 0xa0, EOI);
    outb(pic, 0x20, EOI);
    expect(pic.hasPendingInterrupt()).toBe(true); // still asserted
    expect(pic.acknowledge()).toBe(0x2b);
    pic.setIrqLevel(11, false);
    outb(pic, 0xa0, EOI);
    outb(pic, 0x20, EOI);
    expect(pic.hasPendingInterrupt()).toBe(false);
  });

  it('an edge line needs a low before the next edge', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(4, true);
    pic.acknowledge();
    outb(pic, 0x20, EOI);
    pic.setIrqLevel(4, true); // no transition
    expect(pic.hasPendingInterrupt()).toBe(false);
    pic.setIrqLevel(4, false);
    pic.setIrqLevel(4, true);
    expect(pic.acknowledge()).toBe(0x24);
  });
});

describe('8259A pair: spurious interrupts', () => {
  it('IRQ 7 when a master request goes away before the acknowledge', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(3, true);
    expect(pic.hasPendingInterrupt()).toBe(true);
    pic.setIrqLevel(3, false);
    expect(pic.acknowledge()).toBe(0x27);
    expect(pic.lastAcknowledge).toEqual({ vector: 0x27, irq: 7, spurious: true });
    expect(pic.master.isr).toBe(0); // nothing to EOI
    expect(pic.spuriousCount).toBe(1);
  });

  it('IRQ 15 when a slave request goes away after the master latched it', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0x4d1, 1 << (10 - 8));
    pic.setIrqLevel(10, true);
    expect(pic.hasPendingInterrupt()).toBe(true);
    pic.setIrqLevel(10, false);
    expect(pic.acknowledge()).toBe(0x2f);
    expect(pic.lastAcknowledge).toEqual({ vector: 0x2f, irq: 15, spurious: true });
    expect(pic.master.isr).toBe(1 << 2); // the guest EOIs the master only, as Linux does
    expect(pic.slave.isr).toBe(0);
    outb(pic, 0x20, EOI);
    expect(pic.hasPendingInterrupt()).toBe(false);
  });
});

describe('8259A pair: cascade', () => {
  it('routes slave lines through IR2 with both ISRs set', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(12, true);
    expect(inb(pic, 0x20) & 0x04).toBe(0x04); // master IRR bit 2
    expect(pic.acknowledge()).toBe(0x2c);
    expect(pic.master.isr).toBe(1 << 2);
    expect(pic.slave.isr).toBe(1 << 4);
    outb(pic, 0xa0, EOI);
    outb(pic, 0x20, EOI);
    expect(pic.master.isr | pic.slave.isr).toBe(0);
  });

  it('delivers a second slave request after both EOIs, in priority order', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(11, true);
    pic.setIrqLevel(9, true);
    expect(pic.acknowledge()).toBe(0x29);
    expect(pic.hasPendingInterrupt()).toBe(false);
    outb(pic, 0xa0, EOI);
    expect(pic.hasPendingInterrupt()).toBe(false); // master IR2 still in service
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x2b);
  });

  it('a masked cascade or a masked slave line holds slave interrupts', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0xa1, 1 << 6);
    pic.setIrqLevel(14, true);
    expect(pic.hasPendingInterrupt()).toBe(false);
    outb(pic, 0x21, 1 << 2);
    outb(pic, 0xa1, 0);
    expect(pic.hasPendingInterrupt()).toBe(false);
    outb(pic, 0x21, 0);
    expect(pic.acknowledge()).toBe(0x2e);
  });

  it('master IRQ 0/1 outrank the slave; IRQ 3–7 rank below it', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(4, true);
    pic.setIrqLevel(8, true);
    pic.setIrqLevel(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x28);
    outb(pic, 0xa0, EOI);
    outb(pic, 0x20, EOI);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('special fully nested mode lets a higher slave request nest over IR2 in service', () => {
    const nested = new Pic8259();
    linuxInit(nested, 0x11); // master ICW4: SFNM
    nested.setIrqLevel(12, true);
    expect(nested.acknowledge()).toBe(0x2c);
    nested.setIrqLevel(9, true);
    expect(nested.hasPendingInterrupt()).toBe(true);
    expect(nested.acknowledge()).toBe(0x29);

    const plain = new Pic8259();
    linuxInit(plain);
    plain.setIrqLevel(12, true);
    plain.acknowledge();
    plain.setIrqLevel(9, true);
    expect(plain.hasPendingInterrupt()).toBe(false);
  });

  it('auto-EOI leaves nothing in service on either chip', () => {
    const pic = new Pic8259();
    linuxInit(pic, 0x03, 0x03);
    pic.setIrqLevel(14, true);
    expect(pic.acknowledge()).toBe(0x2e);
    expect(pic.master.isr).toBe(0);
    expect(pic.slave.isr).toBe(0);
    pic.setIrqLevel(3, true);
    expect(pic.acknowledge()).toBe(0x23);
    expect(pic.master.isr).toBe(0);
  });
});

describe('8259A pair: special mask mode and port access', () => {
  it('special mask mode lets lower levels through while a masked level is in service', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    pic.setIrqLevel(3, true);
    pic.acknowledge();
    pic.setIrqLevel(5, true);
    expect(pic.hasPendingInterrupt()).toBe(false);
    outb(pic, 0x21, 1 << 3);
    outb(pic, 0x20, 0x68); // OCW3: set special mask mode
    expect(pic.acknowledge()).toBe(0x25);
    outb(pic, 0x20, 0x48); // OCW3: reset special mask mode
    expect(pic.master.specialMask).toBe(false);
  });

  it('splits word accesses into bytes on consecutive ports', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    outb(pic, 0x21, 0x5a);
    pic.setIrqLevel(1, true);
    expect(portsOf(pic).ioRead(0x20, 2)).toBe(0x5a02);
    portsOf(pic).ioWrite(0x4d0, 2, 0x2018);
    expect(inb(pic, 0x4d0)).toBe(0x18);
    expect(inb(pic, 0x4d1)).toBe(0x20 & 0xde);
  });

  it('rejects lines outside 0–15 and ignores the cascade line', () => {
    const pic = new Pic8259();
    linuxInit(pic);
    expect(() => pic.setIrqLevel(16, true)).toThrow(RangeError);
    pic.setIrqLevel(2, true);
    expect(pic.hasPendingInterrupt()).toBe(false);
  });
});
