import { describe, expect, it } from 'vitest';
import { IoBus } from '../shared/io-bus.js';
import {
  FCR_CLEAR_RX,
  FCR_ENABLE,
  IER_MSI,
  IER_RDI,
  IER_RLSI,
  IER_THRI,
  LCR_DLAB,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  Uart16550,
} from '../device-model/devices/uart16550.js';
import { portsOf } from './support/bus-access.js';

const THR = 0x3f8;
const IER = 0x3f9;
const IIR = 0x3fa;
const FCR = 0x3fa;
const LCR = 0x3fb;
const MCR = 0x3fc;
const LSR = 0x3fd;
const MSR = 0x3fe;
const SCR = 0x3ff;

function setup() {
  const irqEvents: [number, boolean][] = [];
  const out: number[] = [];
  const uart = new Uart16550({
    raiseIrq: (line, level) => irqEvents.push([line, level]),
    output: (bytes) => out.push(...bytes),
  });
  const bus = new IoBus();
  bus.attach(uart);
  const inb = (port: number) => bus.readPort(port, 1)!;
  const outb = (port: number, value: number) => void bus.writePort(port, 1, value);
  const text = () => String.fromCharCode(...out);
  return { uart, bus, inb, outb, out, text, irqEvents };
}

const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

describe('16550A register file', () => {
  it('comes out of reset with the values a QEMU -kernel guest reads', () => {
    const { inb, outb } = setup();
    expect([inb(IER), inb(IIR), inb(LCR), inb(MCR), inb(LSR), inb(MSR), inb(SCR)]).toEqual([
      0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00,
    ]);
    outb(LCR, LCR_DLAB);
    expect([inb(THR), inb(IER)]).toEqual([0x0c, 0x00]); // divisor 12: 9600 baud
  });

  it('switches offsets 0 and 1 to the divisor latch while LCR.DLAB is set', () => {
    const { inb, outb, out, uart } = setup();
    outb(IER, 0x05);
    outb(LCR, 0x83);
    outb(THR, 0x01);
    outb(IER, 0x02);
    expect(out).toEqual([]); // divisor writes are not transmitted
    expect([inb(THR), inb(IER), inb(LCR)]).toEqual([0x01, 0x02, 0x83]);
    expect(uart.snapshot().divisor).toBe(0x0201);
    outb(LCR, 0x03);
    expect(inb(IER)).toBe(0x05); // IER untouched by the DLM write
    expect(inb(IIR) & 0x0f).not.toBe(0x0f); // IIR stays readable whatever DLAB is
  });

  it('keeps IER to 4 bits, MCR to 5 bits, and SCR as written', () => {
    const { inb, outb } = setup();
    outb(IER, 0xff);
    outb(MCR, 0xff);
    outb(SCR, 0x5a);
    expect([inb(IER), inb(MCR), inb(SCR)]).toEqual([0x0f, 0x1f, 0x5a]);
  });

  it('transmits THR bytes at once, leaving THRE and TEMT set', () => {
    const { inb, outb, text } = setup();
    for (const c of 'hi\n') outb(THR, c.charCodeAt(0));
    expect(text()).toBe('hi\n');
    expect(inb(LSR)).toBe(0x60);
  });

  it('splits a word access into byte accesses (THR then IER)', () => {
    const { bus, inb, out } = setup();
    bus.writePort(THR, 2, 0x0241);
    expect(out).toEqual([0x41]);
    expect(inb(IER)).toBe(0x02);
    expect(bus.readPort(LCR, 2)).toBe(0x0800); // LCR 0x00, MCR 0x08
  });
});

describe('16550A THRE interrupt', () => {
  it('is raised by enabling it with THR empty, cleared by reading IIR, re-armed by a THR write', () => {
    const { inb, outb } = setup();
    outb(IER, IER_THRI);
    expect(inb(IIR)).toBe(0x02);
    expect(inb(IIR)).toBe(0x01); // the first read acknowledged it
    outb(IER, IER_THRI);
    expect(inb(IIR)).toBe(0x01); // same IER value again: no new interrupt
    outb(THR, 0x41);
    expect(inb(IIR)).toBe(0x02); // THR emptied again
    outb(IER, 0);
    outb(IER, IER_THRI);
    expect(inb(IIR)).toBe(0x02); // 0 → 1 raises it again
  });

  it('drives IRQ 4 high while pending and low once acknowledged', () => {
    const { inb, outb, irqEvents } = setup();
    outb(IER, IER_THRI);
    expect(irqEvents).toEqual([[4, true]]);
    inb(IIR);
    expect(irqEvents).toEqual([
      [4, true],
      [4, false],
    ]);
  });

  it('is acknowledged by an IIR read only when it is the interrupt reported', () => {
    const { inb, outb, uart } = setup();
    outb(IER, IER_THRI | IER_RDI);
    uart.receive(bytes('x'));
    expect(inb(IIR)).toBe(0x04); // received data outranks THRE
    inb(THR);
    expect(inb(IIR)).toBe(0x02); // THRE still pending
    expect(inb(IIR)).toBe(0x01);
  });

  it('carries an interrupt-driven transmit loop to the end of its buffer', () => {
    const { uart, inb, outb, text } = setup();
    const message = 'interrupt-driven transmit of more than one FIFO load of text\r\n';
    let next = 0;
    outb(FCR, FCR_ENABLE);
    outb(IER, IER_THRI);
    let interrupts = 0;
    // The guest's handler: runs while the IRQ line is high, as the PIC would deliver it.
    while (uart.irqAsserted && interrupts < 100) {
      interrupts++;
      const iir = inb(IIR);
      if ((iir & 0x0f) !== 0x02) continue;
      if (next === message.length) {
        outb(IER, 0); // nothing left: stop THRE interrupts
        continue;
      }
      for (let i = 0; i < 16 && next < message.length; i++) outb(THR, message.charCodeAt(next++));
    }
    expect(text()).toBe(message);
    expect(uart.irqAsserted).toBe(false);
    expect(interrupts).toBe(Math.ceil(message.length / 16) + 1);
  });
});

describe('16550A FIFOs', () => {
  it('reports FIFO mode in IIR bits 7:6 only while FCR0 is set', () => {
    const { inb, outb } = setup();
    expect(inb(IIR)).toBe(0x01);
    outb(FCR, 0x07);
    expect(inb(IIR)).toBe(0xc1);
    outb(FCR, 0x00);
    expect(inb(IIR)).toBe(0x01);
  });

  it('raises received-data at the trigger level and the character timeout below it', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, 0x87); // FIFO on, RX cleared, trigger 8
    outb(IER, IER_RDI);
    uart.receive(bytes('abc'));
    expect(inb(LSR) & 0x01).toBe(1);
    expect(inb(IIR)).toBe(0xcc); // timeout: data waits below the trigger level
    uart.receive(bytes('defgh'));
    expect(inb(IIR)).toBe(0xc4); // 8 bytes: trigger level reached
    expect(inb(THR)).toBe(0x61);
    expect(inb(IIR)).toBe(0xcc); // back under the trigger level
    let drained = '';
    while (inb(LSR) & 0x01) drained += String.fromCharCode(inb(THR));
    expect(drained).toBe('bcdefgh');
    expect(inb(IIR)).toBe(0xc1);
  });

  it.each([
    [0x01, 1],
    [0x41, 4],
    [0x81, 8],
    [0xc1, 14],
  ])('FCR %s sets trigger level %i', (fcr, level) => {
    const { inb, outb, uart } = setup();
    outb(FCR, fcr);
    outb(IER, IER_RDI);
    uart.receive(new Uint8Array(level - 1));
    if (level > 1) expect(inb(IIR)).toBe(0xcc);
    uart.receive(new Uint8Array(1));
    expect(inb(IIR)).toBe(0xc4);
  });

  it('keeps the first 16 bytes and sets OE when the RX FIFO overflows', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, FCR_ENABLE);
    expect(uart.canReceive()).toBe(16);
    expect(uart.receive(bytes('abcdefghijklmnopqrst'))).toBe(16);
    expect(uart.canReceive()).toBe(0);
    expect(inb(LSR)).toBe(0x63);
    expect(inb(LSR)).toBe(0x61); // reading LSR clears OE
    let got = '';
    while (inb(LSR) & 0x01) got += String.fromCharCode(inb(THR));
    expect(got).toBe('abcdefghijklmnop');
    expect(inb(THR)).toBe(0); // empty FIFO reads 0 (QEMU)
  });

  it('with FIFOs off, holds one byte: the next overwrites it and sets OE', () => {
    const { inb, uart } = setup();
    expect(uart.canReceive()).toBe(1);
    uart.receive(bytes('pq'));
    expect(inb(LSR)).toBe(0x63);
    expect(inb(THR)).toBe(0x71);
    expect(inb(LSR)).toBe(0x60);
    expect(inb(THR)).toBe(0x71); // the stale RBR
  });

  it('empties the RX FIFO on FCR RX reset and on toggling FCR0, and ignores FCR bits with FCR0 = 0', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, FCR_ENABLE);
    uart.receive(bytes('abc'));
    outb(FCR, FCR_ENABLE | FCR_CLEAR_RX);
    expect(inb(LSR) & 0x01).toBe(0);
    uart.receive(bytes('abc'));
    outb(FCR, 0xc0); // FCR0 = 0: FIFOs off (and emptied), trigger bits not taken
    expect(inb(LSR) & 0x01).toBe(0);
    expect(uart.snapshot().fcr).toBe(0x00);
    outb(FCR, 0x41);
    expect(uart.snapshot().fcr).toBe(0x41);
  });
});

describe('16550A interrupt priorities', () => {
  it('orders line status > received data > THRE > modem status', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, 0x07);
    outb(IER, IER_RLSI | IER_RDI | IER_THRI | IER_MSI);
    uart.setModemInputs(0x30); // DCD dropped: modem status delta
    uart.receive(new Uint8Array(17)); // data plus an overrun
    expect(inb(IIR)).toBe(0xc6);
    inb(LSR); // clears OE
    expect(inb(IIR)).toBe(0xc4);
    while (inb(LSR) & 0x01) inb(THR);
    expect(inb(IIR)).toBe(0xc2); // reading it acknowledges THRE
    expect(inb(IIR)).toBe(0xc0);
    expect(inb(MSR)).toBe(0x38); // CTS|DSR, DDCD
    expect(inb(IIR)).toBe(0xc1);
  });

  it('reports but does not signal sources whose IER bit is clear', () => {
    const { inb, outb, uart } = setup();
    outb(IER, IER_THRI);
    uart.receive(new Uint8Array(2)); // overrun with FIFOs off, but RLSI/RDI disabled
    expect(inb(IIR)).toBe(0x02);
    expect(inb(LSR)).toBe(0x63);
  });
});

describe('16550A IRQ line and MCR.OUT2', () => {
  it('gates the IRQ with OUT2, as a PC serial port does', () => {
    const { inb, outb, irqEvents, uart } = setup();
    outb(MCR, 0x00);
    outb(IER, IER_THRI);
    expect(uart.snapshot().iir).toBe(0x02); // pending inside the UART ...
    expect(irqEvents).toEqual([]); // ... but not on the ISA line
    outb(MCR, MCR_OUT2);
    expect(irqEvents).toEqual([[4, true]]);
    outb(MCR, 0x00);
    expect(irqEvents).toEqual([
      [4, true],
      [4, false],
    ]);
    outb(MCR, MCR_OUT2);
    inb(IIR);
    expect(irqEvents.at(-1)).toEqual([4, false]);
    expect(irqEvents).toHaveLength(4);
  });

  it('follows the pending state as a level on a custom port and line', () => {
    const events: [number, boolean][] = [];
    const com2 = new Uart16550({ base: 0x2f8, irq: 3, raiseIrq: (l, v) => events.push([l, v]), output: () => {} });
    portsOf(com2).ioWrite(0x2f9, 1, IER_RDI);
    com2.receive(bytes('k'));
    expect(events).toEqual([[3, true]]);
    expect(portsOf(com2).ioRead(0x2f8, 1)).toBe(0x6b);
    expect(events).toEqual([
      [3, true],
      [3, false],
    ]);
  });
});

describe('16550A loopback', () => {
  it('sends THR bytes to its own receiver instead of the console', () => {
    const { inb, outb, out } = setup();
    outb(FCR, FCR_ENABLE);
    outb(MCR, MCR_LOOP | MCR_OUT2);
    outb(THR, 0x55);
    outb(THR, 0xaa);
    expect(out).toEqual([]);
    expect(inb(LSR)).toBe(0x61);
    expect([inb(THR), inb(THR)]).toEqual([0x55, 0xaa]);
    outb(MCR, MCR_OUT2);
    outb(THR, 0x21);
    expect(out).toEqual([0x21]);
  });

  it('overruns like a line would', () => {
    const { inb, outb } = setup();
    outb(FCR, FCR_ENABLE);
    outb(MCR, MCR_LOOP);
    for (let i = 0; i < 17; i++) outb(THR, 0x41 + i);
    expect(inb(LSR)).toBe(0x63);
  });

  it('wires RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD with delta bits, TERI on RI falling only', () => {
    const { inb, outb } = setup();
    outb(MCR, MCR_LOOP | MCR_OUT2); // from CTS|DSR|DCD to DCD only
    expect(inb(MSR)).toBe(0x80 | 0x03); // DCTS, DDSR
    expect(inb(MSR)).toBe(0x80);
    outb(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS | MCR_DTR | MCR_OUT1);
    expect(inb(MSR)).toBe(0xf0 | 0x03); // CTS and DSR changed; RI rising is not TERI
    outb(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS | MCR_DTR);
    expect(inb(MSR)).toBe(0xb0 | 0x04); // TERI
    outb(MCR, MCR_OUT2);
    expect(inb(MSR)).toBe(0xb0); // external lines CTS|DSR|DCD again: no change
  });

  it('raises a modem-status interrupt from a loopback line change', () => {
    const { inb, outb } = setup();
    outb(MCR, MCR_LOOP | MCR_OUT2);
    inb(MSR);
    outb(IER, IER_MSI);
    expect(inb(IIR)).toBe(0x01);
    outb(MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR);
    expect(inb(IIR)).toBe(0x00);
    expect(inb(MSR)).toBe(0xa2);
    expect(inb(IIR)).toBe(0x01);
  });
});
