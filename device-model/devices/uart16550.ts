/**
 * 16550A UART (COM1 by default: ports 0x3F8–0x3FF, IRQ 4), the guest console.
 *
 * Time does not pass inside this model:
 * - A byte written to THR goes to `output` at once, so THRE and TEMT are always 1. The THRE
 *   interrupt still behaves as after a real THR→shift-register transfer (re-armed by every THR
 *   write, cleared by reading IIR), so an interrupt-driven transmit loop runs as on hardware.
 * - The FIFO character timeout ("no byte received or read for 4 character times") elapses at
 *   once: whenever the RX FIFO holds data below the trigger level, the timeout is indicated.
 * Reset values follow QEMU's: divisor 12 (9600 baud), MCR = OUT2, modem inputs CTS|DSR|DCD.
 * Unlike QEMU, MCR.OUT2 gates the IRQ line as PC serial boards do, and loopback mode raises
 * the modem-status delta bits as the 16550 data sheet says.
 */
import type { Device, DeviceResources } from '../../shared/io-bus.js';
import type { ConsoleOutput, RaiseIrq } from './device-effects.js';

export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;

const FIFO_SIZE = 16;

// Register offsets.
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

export const IER_RDI = 0x01; // received data available (and FIFO timeout)
export const IER_THRI = 0x02; // transmitter holding register empty
export const IER_RLSI = 0x04; // receiver line status
export const IER_MSI = 0x08; // modem status

export const IIR_NO_INT = 0x01;
export const IIR_MSI = 0x00;
export const IIR_THRI = 0x02;
export const IIR_RDI = 0x04;
export const IIR_RLSI = 0x06;
export const IIR_TIMEOUT = 0x0c;
export const IIR_FIFO_ENABLED = 0xc0;

export const FCR_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const FCR_CLEAR_TX = 0x04;
const FCR_DMA_MODE = 0x08;
const FCR_TRIGGER_SHIFT = 6;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export const LCR_DLAB = 0x80;

export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;
const MCR_WRITABLE = 0x1f;

export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_PE = 0x04;
export const LSR_FE = 0x08;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
const MSR_LINES = 0xf0;

export interface Uart16550Options {
  raiseIrq: RaiseIrq;
  output: ConsoleOutput;
  base?: number;
  irq?: number;
  name?: string;
}

export class Uart16550 implements Device {
  readonly name: string;
  readonly base: number;
  readonly irq: number;
  readonly resources: DeviceResources;

  private readonly raiseIrq: RaiseIrq;
  private readonly output: ConsoleOutput;
  private readonly txByte = new Uint8Array(1);

  private ier = 0;
  private lcr = 0;
  private mcr = MCR_OUT2;
  private scr = 0;
  private divisor = 12;
  private fifoEnabled = false;
  private fcrRest = 0; // DMA mode bit and trigger bits, kept while the FIFO is on
  private triggerLevel = 1;
  /** OE/PE/FE/BI; DR, THRE and TEMT are derived. */
  private lineErrors = 0;
  private thrPending = false;

  // RX FIFO (capacity 1 when FIFOs are off: the 16450's single RBR).
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private lastRx = 0;

  private modemInputs = MSR_CTS | MSR_DSR | MSR_DCD;
  private modemLines: number;
  private msrDeltas = 0;

  private irqLevel = false;

  constructor(options: Uart16550Options) {
    this.raiseIrq = options.raiseIrq;
    this.output = options.output;
    this.base = options.base ?? COM1_BASE;
    this.irq = options.irq ?? COM1_IRQ;
    this.name = options.name ?? `uart16550@0x${this.base.toString(16)}`;
    // Byte registers: the bus splits wider accesses into bytes, as QEMU's memory core does for this device.
    const registers = {
      base: this.base,
      length: 8,
      impl: { min: 1, max: 1 },
      read: (offset: number) => {
        const value = this.readRegister(offset);
        this.updateIrq();
        return value;
      },
      write: (offset: number, _size: number, value: number) => {
        this.writeRegister(offset, value);
        this.updateIrq();
      },
    } as const;
    this.resources = { ports: [registers], irqs: [this.irq] };
    this.modemLines = this.currentModemLines();
  }

  // ---- host side ----

  /**
   * Host input. Bytes go into the RX FIFO; those that find it full are lost and set OE
   * (with FIFOs off, each new byte overwrites RBR and sets OE). Returns how many were kept.
   */
  receive(bytes: Uint8Array): number {
    let kept = 0;
    for (const b of bytes) if (this.pushRx(b)) kept++;
    this.updateIrq();
    return kept;
  }

  /** Free RX FIFO space, so a caller can pace host input instead of overrunning (QEMU does). */
  canReceive(): number {
    return this.rxCapacity() - this.rxCount;
  }

  /** Host-side modem inputs (bits of MSR 4–7: CTS, DSR, RI, DCD); changes set the delta bits. */
  setModemInputs(lines: number): void {
    this.modemInputs = lines & MSR_LINES;
    this.refreshModemLines();
    this.updateIrq();
  }

  /** The level this device last drove onto its IRQ line. */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  // ---- guest side ----

  private readRegister(offset: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR_DLL:
        return dlab ? this.divisor & 0xff : this.popRx();
      case IER_DLM:
        return dlab ? this.divisor >>> 8 : this.ier;
      case IIR_FCR: {
        const iir = this.interruptId();
        // Reading IIR acknowledges a THRE interrupt, but only when it is the one reported.
        if ((iir & 0x0f) === IIR_THRI) this.thrPending = false;
        return iir;
      }
      case LCR:
        return this.lcr;
      case MCR:
        return this.mcr;
      case LSR: {
        const lsr = this.lineStatus();
        this.lineErrors = 0;
        return lsr;
      }
      case MSR: {
        const msr = this.modemLines | this.msrDeltas;
        this.msrDeltas = 0;
        return msr;
      }
      case SCR:
        return this.scr;
      default:
        return 0xff; // not a register (the bus passes offsets 0–7 only)
    }
  }

  private writeRegister(offset: number, value: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR_DLL:
        if (dlab) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        return;
      case IER_DLM:
        if (dlab) this.divisor = (this.divisor & 0x00ff) | (value << 8);
        else this.writeIer(value);
        return;
      case IIR_FCR:
        this.writeFcr(value);
        return;
      case LCR:
        this.lcr = value;
        return;
      case MCR:
        this.mcr = value & MCR_WRITABLE;
        this.refreshModemLines();
        return;
      case LSR:
      case MSR:
        return; // read-only (factory test modes are not modelled)
      case SCR:
        this.scr = value;
        return;
      default:
        return; // not a register (ioWrite passes offsets 0–7 only)
    }
  }

  private writeIer(value: number): void {
    const next = value & 0x0f;
    const changed = this.ier ^ next;
    this.ier = next;
    // Enabling the THRE interrupt while THR is empty raises it at once (Linux's 8250 driver
    // relies on this); only a 0→1 change does, rewriting the same value does not.
    if (changed & IER_THRI) this.thrPending = (next & IER_THRI) !== 0;
  }

  private writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      // Changing FCR0 empties both FIFOs (16550A).
      this.fifoEnabled = enable;
      this.clearRx();
    }
    if (!enable) return; // the other FCR bits are only programmed with FCR0 = 1
    if (value & FCR_CLEAR_RX) this.clearRx();
    // FCR_CLEAR_TX: the TX FIFO is always empty here.
    this.fcrRest = value & (FCR_DMA_MODE | (3 << FCR_TRIGGER_SHIFT));
    this.triggerLevel = TRIGGER_LEVELS[(value >>> FCR_TRIGGER_SHIFT) & 3]!;
  }

  private transmit(byte: number): void {
    // THR written: its THRE interrupt is acknowledged ...
    this.thrPending = false;
    if (this.mcr & MCR_LOOP) {
      this.pushRx(byte);
    } else {
      this.txByte[0] = byte;
      this.output(this.txByte);
    }
    // ... and the byte leaves THR at once, which is a new THR-empty event.
    this.thrPending = true;
  }

  // ---- derived state ----

  private lineStatus(): number {
    let lsr = this.lineErrors | LSR_THRE | LSR_TEMT;
    if (this.rxCount > 0) lsr |= LSR_DR;
    return lsr;
  }

  /** IIR: the highest-priority pending interrupt among the enabled sources. */
  private interruptId(): number {
    const fifo = this.fifoEnabled ? IIR_FIFO_ENABLED : 0;
    if (this.ier & IER_RLSI && this.lineErrors & LSR_ERRORS) return fifo | IIR_RLSI;
    if (this.ier & IER_RDI && this.rxCount > 0) {
      if (this.fifoEnabled && this.rxCount < this.triggerLevel) return fifo | IIR_TIMEOUT;
      return fifo | IIR_RDI;
    }
    if (this.ier & IER_THRI && this.thrPending) return fifo | IIR_THRI;
    if (this.ier & IER_MSI && this.msrDeltas) return fifo | IIR_MSI;
    return fifo | IIR_NO_INT;
  }

  private updateIrq(): void {
    // A PC's serial port drives its ISA IRQ only while MCR.OUT2 is set.
    const level = (this.interruptId() & IIR_NO_INT) === 0 && (this.mcr & MCR_OUT2) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.raiseIrq(this.irq, level);
  }

  private currentModemLines(): number {
    if (!(this.mcr & MCR_LOOP)) return this.modemInputs;
    // Loopback wires the modem outputs back to the inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
    return (
      (this.mcr & MCR_RTS ? MSR_CTS : 0) |
      (this.mcr & MCR_DTR ? MSR_DSR : 0) |
      (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
      (this.mcr & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  private refreshModemLines(): void {
    const next = this.currentModemLines();
    const changed = next ^ this.modemLines;
    if (changed & MSR_CTS) this.msrDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.msrDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.msrDeltas |= MSR_DDCD;
    if (changed & MSR_RI && !(next & MSR_RI)) this.msrDeltas |= MSR_TERI; // trailing edge only
    this.modemLines = next;
  }

  // ---- RX FIFO ----

  private rxCapacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  private pushRx(byte: number): boolean {
    if (this.rxCount < this.rxCapacity()) {
      this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
      this.rxCount++;
      return true;
    }
    this.lineErrors |= LSR_OE;
    if (!this.fifoEnabled) {
      // 16450 behaviour: the new character overwrites the unread one.
      this.rx[this.rxHead] = byte;
      return true;
    }
    return false; // a full FIFO keeps its contents; the new character is lost
  }

  private popRx(): number {
    if (this.rxCount === 0) {
      // Empty: QEMU returns 0 with FIFOs on and the stale RBR with them off.
      return this.fifoEnabled ? 0 : this.lastRx;
    }
    const byte = this.rx[this.rxHead]!;
    this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
    this.rxCount--;
    this.lastRx = byte;
    return byte;
  }

  private clearRx(): void {
    this.rxHead = 0;
    this.rxCount = 0;
  }

  /** Debug view of the register file (no side effects), for tests and crash reports. */
  snapshot(): Uart16550Snapshot {
    return {
      ier: this.ier,
      iir: this.interruptId(),
      fcr: (this.fifoEnabled ? FCR_ENABLE : 0) | this.fcrRest,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr: this.lineStatus(),
      msr: this.modemLines | this.msrDeltas,
      scr: this.scr,
      divisor: this.divisor,
      rxCount: this.rxCount,
    };
  }
}

export interface Uart16550Snapshot {
  ier: number;
  iir: number;
  fcr: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  divisor: number;
  rxCount: number;
}
