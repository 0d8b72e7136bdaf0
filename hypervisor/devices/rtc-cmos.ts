import type { Device, DeviceResources } from '../../shared/io-bus.js';
import { cyclesBetween, floorDiv, nsForCycles, NS_PER_SEC, type Clock } from './clock.js';
import { CMOS_CENTURY, CMOS_SIZE } from './cmos-pc-layout.js';
import type { IrqInput } from './irq-input.js';
import { bytePortRegions } from './port-byte-access.js';
import type { TimedDevice } from './timed-device.js';

/**
 * The MC146818 RTC and its 128 bytes of CMOS RAM: port 0x70 (index; bit 7 masks NMI) and 0x71
 * (data). Xen keeps registers 0x00–0x0D in the hypervisor (xen/arch/x86/hvm/rtc.c) and sends the
 * rest of the RAM to the device model; here both live in one device.
 *
 * Time: wall-clock seconds (UTC, as QEMU's default -rtc base=utc) plus the injected clock. The
 * divider chain starts when the device is created: every second boundary and every periodic
 * interrupt falls on a fixed grid from then on, and setting the time changes the seconds count,
 * not the phase (as the real chip). Registers are computed on read, so nothing runs between
 * accesses. Choices, documented:
 * - Time registers follow register B (BCD or binary, 12 or 24 h, PM = bit 7); alarm registers are
 *   stored raw and compared raw, 0xC0–0xFF meaning "any", as the chip does.
 * - The day of week (register 6, Sunday = 1) is derived from the date; writes to it are ignored.
 *   Daylight-saving (DSE) and the divider-reset values of register A are stored but have no effect.
 * - The year is register 9 plus the century byte 0x32, as QEMU.
 * - UIP (A bit 7) is set during the last 244.14 µs (8 cycles of 32.768 kHz) before each update, as QEMU.
 * - Interrupts: PF at the periodic rate (A bits 3–0), UF at each update, AF when the alarm matches;
 *   IRQ 8 is high while IRQF = (PF·PIE + AF·AIE + UF·UIE) and is lowered by reading register C. A
 *   guest that never reads C gets no further interrupts, as on the chip; missed periods merge into
 *   the flag, so nothing queues up.
 * - Port 0x70 reads as 0xFF (write-only on the PC, as Xen and QEMU).
 */

const RTC_HZ = 32768;
const UIP_HOLD_NS = (8 * NS_PER_SEC) / RTC_HZ;
const SECONDS_PER_DAY = 86400;

const REG_SECONDS = 0x00;
const REG_SECONDS_ALARM = 0x01;
const REG_MINUTES = 0x02;
const REG_MINUTES_ALARM = 0x03;
const REG_HOURS = 0x04;
const REG_HOURS_ALARM = 0x05;
const REG_DAY_OF_WEEK = 0x06;
const REG_DAY_OF_MONTH = 0x07;
const REG_MONTH = 0x08;
const REG_YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;

const A_UIP = 0x80;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const D_VRT = 0x80;

const TIME_REGISTERS = [REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, CMOS_CENTURY];

export interface RtcCmosOptions {
  clock: Clock;
  /** Wall-clock time (seconds since 1970, UTC) the RTC shows at the moment it is created. */
  startTime: number;
  /** Initial CMOS RAM (e.g. from pcCmosImage); bytes 0x00–0x0D and 0x32 are the RTC's own. */
  cmos?: Uint8Array;
  /** Where IRQ 8 goes. */
  irqs?: IrqInput;
}

export class RtcCmos implements Device, TimedDevice {
  readonly name = 'rtc-cmos';
  readonly resources: DeviceResources = {
    ports: bytePortRegions([[0x70, 2]], (p) => this.readByte(p), (p, v) => this.writeByte(p, v)), irqs: [8],
  };

  private readonly clock: Clock;
  private readonly irqs: IrqInput | undefined;
  /** CMOS RAM; while SET is on, also the frozen time registers. */
  private readonly ram = new Uint8Array(CMOS_SIZE);
  private index = 0;
  private nmiMask = false;
  private regA = 0x26; // 32.768 kHz divider, 1024 Hz periodic rate
  private regB = B_24H; // BCD, 24 h
  private regC = 0;
  /** Start of the divider chain: second boundaries are baseNs + k·1 s. */
  private readonly baseNs: number;
  /** The RTC's epoch seconds during the second that starts at baseNs. */
  private secondsAtBase: number;
  private lastSyncNs: number;
  private lineHigh = false;
  /**
   * Cached next alarm second (index since baseNs); null = the alarm can never match; undefined =
   * not known. Register writes invalidate it.
   */
  private alarmSecond: number | null | undefined;

  constructor(options: RtcCmosOptions) {
    this.clock = options.clock;
    this.irqs = options.irqs;
    if (options.cmos) this.ram.set(options.cmos.subarray(0, CMOS_SIZE));
    this.baseNs = this.clock.now();
    this.lastSyncNs = this.baseNs;
    this.secondsAtBase = Math.floor(options.startTime);
  }

  /** Bit 7 of the last index write: NMIs masked. */
  get nmiDisabled(): boolean {
    return this.nmiMask;
  }

  /** The time the RTC shows now, in seconds since 1970 (frozen while SET is on). */
  currentTime(): number {
    if (this.regB & B_SET) return this.fromRegisters((i) => this.ram[i]!);
    return this.secondsAt(this.clock.now());
  }

  nextDeadline(): number {
    const now = this.clock.now();
    this.sync(now);
    if (this.regC & C_IRQF) return Infinity; // the line stays high until C is read
    let deadline = Infinity;
    const rate = this.periodCycles();
    if (this.regB & B_PIE && rate) {
      const k = Math.floor(cyclesBetween(this.baseNs, now, RTC_HZ) / rate) + 1;
      deadline = Math.min(deadline, this.baseNs + nsForCycles(k * rate, RTC_HZ));
    }
    if (!(this.regB & B_SET)) {
      const s = this.secondIndex(now);
      if (this.regB & B_UIE) deadline = Math.min(deadline, this.baseNs + (s + 1) * NS_PER_SEC);
      if (this.regB & B_AIE) {
        if (this.alarmSecond === undefined || (this.alarmSecond !== null && this.alarmSecond <= s)) {
          // Matching is by time of day, so a day without a match means never.
          this.alarmSecond = this.findAlarm(s + 1, SECONDS_PER_DAY) ?? null;
        }
        if (this.alarmSecond !== null) deadline = Math.min(deadline, this.baseNs + this.alarmSecond * NS_PER_SEC);
      }
    }
    return deadline;
  }

  service(): void {
    this.sync(this.clock.now());
  }

  private readByte(port: number): number {
    if (port !== 0x71) return 0xff;
    const now = this.clock.now();
    this.sync(now);
    const i = this.index;
    switch (i) {
      case REG_A: {
        const s = now - this.baseNs - this.secondIndex(now) * NS_PER_SEC;
        const uip = !(this.regB & B_SET) && s >= NS_PER_SEC - UIP_HOLD_NS;
        return (this.regA & 0x7f) | (uip ? A_UIP : 0);
      }
      case REG_B:
        return this.regB;
      case REG_C: {
        const v = this.regC;
        this.regC = 0;
        this.setLine(false);
        return v;
      }
      case REG_D:
        return D_VRT;
    }
    if (this.isTimeRegister(i) && !(this.regB & B_SET)) return this.encodeTime(this.secondsAt(now), i);
    return this.ram[i]!;
  }

  private writeByte(port: number, value: number): void {
    if (port === 0x70) {
      this.index = value & 0x7f;
      this.nmiMask = (value & 0x80) !== 0;
      return;
    }
    if (port !== 0x71) return;
    const now = this.clock.now();
    this.sync(now);
    this.alarmSecond = undefined;
    const i = this.index;
    switch (i) {
      case REG_A:
        this.regA = value & 0x7f;
        return;
      case REG_B:
        this.writeB(value, now);
        return;
      case REG_C:
      case REG_D:
        return; // read-only
    }
    if (this.isTimeRegister(i) && !(this.regB & B_SET)) {
      // Replace one field of the running time; the divider phase stays.
      const s = this.secondsAt(now);
      const bytes = (j: number): number => (j === i ? value : this.encodeTime(s, j));
      this.secondsAtBase = this.fromRegisters(bytes) - this.secondIndex(now);
      return;
    }
    this.ram[i] = value;
  }

  private writeB(value: number, now: number): void {
    const wasSet = (this.regB & B_SET) !== 0;
    const set = (value & B_SET) !== 0;
    if (set && !wasSet) {
      // Updates stop: freeze the time into the registers (in the new format).
      const s = this.secondsAt(now);
      this.regB = value;
      for (const r of TIME_REGISTERS) this.ram[r] = this.encodeTime(s, r);
    } else if (!set && wasSet) {
      this.secondsAtBase = this.fromRegisters((j) => this.ram[j]!) - this.secondIndex(now);
      this.regB = value;
    } else {
      this.regB = value;
    }
    // Enabling a source whose flag is already set raises IRQ 8 at once.
    this.updateIrq();
  }

  /** Bring the flags in register C up to `now` and drive IRQ 8. */
  private sync(now: number): void {
    const last = this.lastSyncNs;
    if (now <= last) return;
    const rate = this.periodCycles();
    if (rate) {
      const before = Math.floor(cyclesBetween(this.baseNs, last, RTC_HZ) / rate);
      const after = Math.floor(cyclesBetween(this.baseNs, now, RTC_HZ) / rate);
      if (after > before) this.regC |= C_PF;
    }
    if (!(this.regB & B_SET)) {
      const before = this.secondIndex(last);
      const after = this.secondIndex(now);
      if (after > before) {
        this.regC |= C_UF;
        if (!(this.regC & C_AF)) {
          // The alarm compares time of day only: one day of updates covers every match.
          const from = Math.max(before + 1, after - SECONDS_PER_DAY + 1);
          if (this.findAlarm(from, after - from + 1) !== undefined) this.regC |= C_AF;
        }
      }
    }
    this.lastSyncNs = now;
    this.updateIrq();
  }

  private updateIrq(): void {
    if (this.regC & this.regB & (C_PF | C_AF | C_UF)) {
      this.regC |= C_IRQF;
      this.setLine(true);
    }
  }

  private setLine(level: boolean): void {
    if (this.lineHigh === level) return;
    this.lineHigh = level;
    this.irqs?.setIrqLevel(8, level);
  }

  /** Periodic interrupt period in 32.768 kHz cycles, 0 when off (rates 1 and 2 equal 8 and 9). */
  private periodCycles(): number {
    let code = this.regA & 0x0f;
    if (code === 0) return 0;
    if (code <= 2) code += 7;
    return 1 << (code - 1);
  }

  /** Index of the second (since baseNs) that contains `now`. */
  private secondIndex(now: number): number {
    return floorDiv(now - this.baseNs, NS_PER_SEC);
  }

  private secondsAt(now: number): number {
    return this.secondsAtBase + this.secondIndex(now);
  }

  /** First second index in [from, from + count) whose update matches the alarm, or undefined. */
  private findAlarm(from: number, count: number): number | undefined {
    const sa = this.ram[REG_SECONDS_ALARM]!;
    const ma = this.ram[REG_MINUTES_ALARM]!;
    const ha = this.ram[REG_HOURS_ALARM]!;
    const any = (b: number): boolean => (b & 0xc0) === 0xc0;
    for (let j = from; j < from + count; j++) {
      const t = this.secondsAtBase + j;
      const sod = t - floorDiv(t, SECONDS_PER_DAY) * SECONDS_PER_DAY;
      if (!any(sa) && this.encode(sod % 60) !== sa) continue;
      if (!any(ma) && this.encode(Math.floor(sod / 60) % 60) !== ma) continue;
      if (!any(ha) && this.encodeHour(Math.floor(sod / 3600)) !== ha) continue;
      return j;
    }
    return undefined;
  }

  private isTimeRegister(i: number): boolean {
    return i === CMOS_CENTURY || (i <= REG_YEAR && i !== REG_SECONDS_ALARM && i !== REG_MINUTES_ALARM && i !== REG_HOURS_ALARM);
  }

  private encode(v: number): number {
    return this.regB & B_BINARY ? v & 0xff : ((Math.floor(v / 10) % 10) << 4) | v % 10;
  }

  private decode(b: number): number {
    return this.regB & B_BINARY ? b : (b >> 4) * 10 + (b & 0x0f);
  }

  private encodeHour(h: number): number {
    if (this.regB & B_24H) return this.encode(h);
    return this.encode(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
  }

  private decodeHour(b: number): number {
    if (this.regB & B_24H) return this.decode(b);
    return (this.decode(b & 0x7f) % 12) + (b & 0x80 ? 12 : 0);
  }

  /** Register `r` of the time `t` (seconds since 1970) in the current format. */
  private encodeTime(t: number, r: number): number {
    const d = new Date(t * 1000);
    const year = d.getUTCFullYear();
    switch (r) {
      case REG_SECONDS:
        return this.encode(d.getUTCSeconds());
      case REG_MINUTES:
        return this.encode(d.getUTCMinutes());
      case REG_HOURS:
        return this.encodeHour(d.getUTCHours());
      case REG_DAY_OF_WEEK:
        return this.encode(d.getUTCDay() + 1);
      case REG_DAY_OF_MONTH:
        return this.encode(d.getUTCDate());
      case REG_MONTH:
        return this.encode(d.getUTCMonth() + 1);
      case REG_YEAR:
        return this.encode(((year % 100) + 100) % 100);
      default: // century
        return this.encode(Math.floor(year / 100));
    }
  }

  /** Seconds since 1970 from time registers; out-of-range fields roll over, as mktime does. */
  private fromRegisters(reg: (i: number) => number): number {
    const d = new Date(0);
    const year = this.decode(reg(CMOS_CENTURY)) * 100 + this.decode(reg(REG_YEAR));
    d.setUTCFullYear(year, this.decode(reg(REG_MONTH)) - 1, this.decode(reg(REG_DAY_OF_MONTH)));
    d.setUTCHours(this.decodeHour(reg(REG_HOURS)), this.decode(reg(REG_MINUTES)), this.decode(reg(REG_SECONDS)), 0);
    return Math.floor(d.getTime() / 1000);
  }
}
