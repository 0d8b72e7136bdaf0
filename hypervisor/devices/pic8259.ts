import type { Device, DeviceResources } from '../../shared/io-bus.js';
import type { IrqInput } from './irq-input.js';
import { bytePortRegions } from './port-byte-access.js';

/**
 * The PC's two Intel 8259A PICs (master at 0x20–0x21, slave at 0xA0–0xA1, slave INT wired to
 * master IR2) and the PIIX ELCR at 0x4D0–0x4D1 that makes individual lines level-triggered.
 * In Xen this is the vPIC (xen/arch/x86/hvm/vpic.c); the behaviour below follows the 8259A data
 * sheet, with these choices where Xen and QEMU differ:
 *
 * - Device lines (setIrqLevel): a rising edge sets IRR; a falling line clears IRR in both modes,
 *   because the data sheet requires IR to stay high until the acknowledge (else IR7 is returned).
 *   Xen does the same. Level-triggered (ELCR) lines keep IRR set while high, also after an ack.
 * - Cascade: master IR2 latches a rising edge of the slave's INT and holds it until the master
 *   acknowledges IR2 (as QEMU). So a slave request withdrawn before the acknowledge yields a
 *   spurious IRQ 15 — master ISR bit 2 set, slave ISR untouched — which is what guests see on PCs
 *   and why Linux EOIs only the master for it. After acknowledging IR2 the latch is re-armed from
 *   the slave's INT, so a slave with further requests is not lost.
 * - ICW1's LTIM bit is ignored (the ELCR decides, as on PIIX); ISA IRQ 2 has no line (cascade).
 * - ELCR writable bits: 0xF8 on the master, 0xDE on the slave (IRQ 0, 1, 2, 8, 13 are always edge).
 * - Poll: the read acknowledges the chip it is read from and returns 0x80 | level, or 0 if none.
 * - Accesses wider than a byte are split into byte accesses on consecutive ports.
 */

const ICW_NONE = 0;
const ICW2 = 2;
const ICW3 = 3;
const ICW4 = 4;

const MASTER_ELCR_MASK = 0xf8;
const SLAVE_ELCR_MASK = 0xde;

/** One 8259A: registers, init sequence, priorities, EOI and rotation. Cascade wiring is the pair's job. */
export class Pic8259Chip {
  irr = 0;
  imr = 0;
  isr = 0;
  elcr = 0;
  /** Current level of each IR input (for edge detection). */
  lines = 0;
  /** The IR with the highest priority (0 after ICW1: IR0 highest, IR7 lowest). */
  priorityAdd = 0;
  irqBase = 0;
  readIsr = false;
  poll = false;
  specialMask = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  icw3 = 0;
  private initStep = ICW_NONE;
  private needIcw4 = false;
  private single = false;

  constructor(
    readonly isMaster: boolean,
    readonly elcrMask: number,
  ) {}

  /** 0 = highest, 7 = lowest, 8 = none set in mask, under the current rotation. */
  priorityOf(mask: number): number {
    if ((mask & 0xff) === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR this chip would signal on INT now, or -1. */
  highestRequest(): number {
    const requested = this.priorityOf(this.irr & ~this.imr);
    if (requested === 8) return -1;
    const irq = (requested + this.priorityAdd) & 7;
    let inService = this.isr;
    // Special fully nested mode: another request from the slave may nest over IR2 in service.
    if (this.specialFullyNested && this.isMaster && irq === 2) inService &= ~(1 << 2);
    // Special mask mode: masked levels in service do not hold off lower priorities.
    if (this.specialMask) inService &= ~this.imr;
    return requested < this.priorityOf(inService) ? irq : -1;
  }

  /** INTA for `irq`: forget the edge, mark it in service (or auto-EOI it). */
  intack(irq: number): void {
    const mask = 1 << irq;
    if (!(this.elcr & mask)) this.irr &= ~mask;
    if (!this.autoEoi) this.isr |= mask;
    else if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
  }

  setInput(irq: number, level: boolean): void {
    const mask = 1 << irq;
    if (level) {
      if (!(this.lines & mask) || this.elcr & mask) this.irr |= mask;
      this.lines |= mask;
    } else {
      this.lines &= ~mask;
      this.irr &= ~mask;
    }
  }

  writeElcr(value: number): void {
    this.elcr = value & this.elcrMask;
    // A line made level-triggered while high is requesting.
    this.irr |= this.lines & this.elcr;
  }

  /** Port base+0: ICW1, OCW2 or OCW3. */
  writeCommand(value: number): void {
    if (value & 0x10) {
      this.icw1(value);
    } else if (value & 0x08) {
      if (value & 0x04) this.poll = true;
      if (value & 0x02) this.readIsr = (value & 1) !== 0;
      if (value & 0x40) this.specialMask = (value & 0x20) !== 0;
    } else {
      this.ocw2(value);
    }
  }

  private icw1(value: number): void {
    // Edge-sense reset: an edge line must go low and high again to request.
    this.irr &= this.elcr;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.rotateOnAutoEoi = false;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    this.needIcw4 = (value & 0x01) !== 0;
    this.single = (value & 0x02) !== 0;
    if (!this.needIcw4) {
      // Without ICW4 every ICW4 function is zero.
      this.autoEoi = false;
      this.specialFullyNested = false;
    }
    this.initStep = ICW2;
  }

  private ocw2(value: number): void {
    const cmd = value >> 5;
    switch (cmd) {
      case 0: // rotate in auto-EOI mode: clear
      case 4: // rotate in auto-EOI mode: set
        this.rotateOnAutoEoi = cmd === 4;
        break;
      case 1: // non-specific EOI
      case 5: {
        // non-specific EOI and rotate
        let inService = this.isr;
        if (this.specialMask) inService &= ~this.imr;
        const p = this.priorityOf(inService);
        if (p === 8) break;
        const irq = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << irq);
        if (cmd === 5) this.priorityAdd = (irq + 1) & 7;
        break;
      }
      case 3: // specific EOI
      case 7: {
        // rotate on specific EOI
        const irq = value & 7;
        this.isr &= ~(1 << irq);
        if (cmd === 7) this.priorityAdd = (irq + 1) & 7;
        break;
      }
      case 6: // set priority: the named IR becomes the lowest
        this.priorityAdd = (value + 1) & 7;
        break;
      default: // 2: no operation
        break;
    }
  }

  /** Port base+1: ICW2–ICW4 during initialisation, OCW1 (IMR) otherwise. */
  writeData(value: number): void {
    switch (this.initStep) {
      case ICW2:
        this.irqBase = value & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? ICW4 : ICW_NONE) : ICW3;
        break;
      case ICW3:
        this.icw3 = value;
        this.initStep = this.needIcw4 ? ICW4 : ICW_NONE;
        break;
      case ICW4:
        this.specialFullyNested = (value & 0x10) !== 0;
        this.autoEoi = (value & 0x02) !== 0;
        this.initStep = ICW_NONE;
        break;
      default:
        this.imr = value;
    }
  }

  /** True while the chip waits for ICW2–ICW4. */
  get initializing(): boolean {
    return this.initStep !== ICW_NONE;
  }

  readCommand(): number {
    return this.readIsr ? this.isr : this.irr;
  }
}

/** Which chip and IR a spurious or real acknowledge named. */
export interface PicAcknowledge {
  readonly vector: number;
  /** 0–15; 7 or 15 for a spurious interrupt. */
  readonly irq: number;
  readonly spurious: boolean;
}

export class Pic8259 implements Device, IrqInput {
  readonly name = 'pic8259';
  /** Both chips and the ELCR pair. */
  readonly resources: DeviceResources = {
    ports: bytePortRegions([[0x20, 2], [0xa0, 2], [0x4d0, 2]], (p) => this.readByte(p), (p, v) => this.writeByte(p, v)),
  };

  readonly master = new Pic8259Chip(true, MASTER_ELCR_MASK);
  readonly slave = new Pic8259Chip(false, SLAVE_ELCR_MASK);
  private slaveInt = false;
  /** The last acknowledge, for counters and tests. */
  lastAcknowledge: PicAcknowledge | undefined;
  spuriousCount = 0;

  /** Drive ISA line `irq` (0–15). IRQ 2 is the cascade and has no device line: ignored, as Xen does. */
  setIrqLevel(irq: number, level: boolean): void {
    if (!Number.isInteger(irq) || irq < 0 || irq > 15) throw new RangeError(`pic8259: no IRQ ${irq}`);
    if (irq === 2) return;
    if (irq < 8) {
      this.master.setInput(irq, level);
    } else {
      this.slave.setInput(irq - 8, level);
      this.propagateCascade();
    }
  }

  /** The master's INT output: an interrupt is waiting for the CPU. */
  hasPendingInterrupt(): boolean {
    return this.master.highestRequest() >= 0;
  }

  /**
   * The INTA cycle: moves the highest request from IRR to ISR (on the slave too for IR2) and
   * returns the vector. If the request has gone, returns the spurious vector of IR7 on the
   * master (IRQ 7) or, when the master chose IR2, on the slave (IRQ 15).
   */
  acknowledge(): number {
    const irq = this.master.highestRequest();
    let ack: PicAcknowledge;
    if (irq < 0) {
      ack = { vector: this.master.irqBase | 7, irq: 7, spurious: true };
    } else if (irq !== 2) {
      this.master.intack(irq);
      ack = { vector: this.master.irqBase + irq, irq, spurious: false };
    } else {
      this.master.intack(2);
      const irq2 = this.slave.highestRequest();
      if (irq2 < 0) {
        ack = { vector: this.slave.irqBase | 7, irq: 15, spurious: true };
      } else {
        this.slave.intack(irq2);
        ack = { vector: this.slave.irqBase + irq2, irq: 8 + irq2, spurious: false };
      }
      this.rearmCascade();
    }
    if (ack.spurious) this.spuriousCount++;
    this.lastAcknowledge = ack;
    return ack.vector;
  }

  private chipAt(port: number): Pic8259Chip | undefined {
    if (port === 0x20 || port === 0x21) return this.master;
    if (port === 0xa0 || port === 0xa1) return this.slave;
    return undefined;
  }

  private readByte(port: number): number {
    if (port === 0x4d0) return this.master.elcr;
    if (port === 0x4d1) return this.slave.elcr;
    const chip = this.chipAt(port);
    if (!chip) return 0xff;
    if (chip.poll) {
      chip.poll = false;
      const irq = chip.highestRequest();
      if (irq < 0) return 0;
      chip.intack(irq);
      // A polled master IR2 leaves the slave to be polled next; a polled slave re-arms IR2.
      if (chip === this.slave) this.rearmCascade();
      return 0x80 | irq;
    }
    return (port & 1) === 0 ? chip.readCommand() : chip.imr;
  }

  private writeByte(port: number, value: number): void {
    if (port === 0x4d0) {
      this.master.writeElcr(value);
      return;
    }
    if (port === 0x4d1) {
      this.slave.writeElcr(value);
      this.propagateCascade();
      return;
    }
    const chip = this.chipAt(port);
    if (!chip) return;
    if ((port & 1) === 0) {
      const icw1 = (value & 0x10) !== 0;
      chip.writeCommand(value);
      if (chip === this.master && icw1) this.rearmCascade();
    } else {
      chip.writeData(value);
    }
    if (chip === this.slave) this.propagateCascade();
  }

  /** Slave INT → master IR2, latched on the rising edge. */
  private propagateCascade(): void {
    const level = this.slave.highestRequest() >= 0;
    if (level && !this.slaveInt) this.master.irr |= 1 << 2;
    this.slaveInt = level;
  }

  /** After the master consumed (or reset) IR2: request again if the slave still signals INT. */
  private rearmCascade(): void {
    this.slaveInt = this.slave.highestRequest() >= 0;
    if (this.slaveInt) this.master.irr |= 1 << 2;
    else this.master.irr &= ~(1 << 2);
  }
}
