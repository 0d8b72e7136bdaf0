import type { Device, DeviceResources } from '../../shared/io-bus.js';
import { cyclesBetween, nsForCycles, type Clock } from './clock.js';
import type { IrqInput } from './irq-input.js';
import { bytePortRegions } from './port-byte-access.js';
import type { TimedDevice } from './timed-device.js';

/**
 * The Intel 8254 PIT (ports 0x40–0x43) and the PC's port 0x61 (channel 2 gate, speaker enable,
 * refresh toggle, channel 2 output). In Xen this is xen/arch/x86/hvm/i8254.c.
 *
 * Counting: the counters run on the injected clock (ns) at 1.193182 MHz, computed on demand from
 * the time the count was loaded, so nothing runs between accesses. Choices, documented:
 * - A count takes effect as soon as it is written (no load cycle), as in QEMU and Xen; a new count
 *   in modes 2/3 restarts the period at once instead of at the end of the current one.
 * - Modes 1 and 5 start counting when the count is written (channel 0 and 1 have no gate edge on a
 *   PC, as QEMU); on channel 2 a rising gate retriggers them. Modes 0/4 pause while the gate is
 *   low; modes 2/3 stop with OUT high and restart from the full count on a rising gate.
 * - Mode 3 with an odd count reads back as QEMU does (count − (2·elapsed mod count)).
 * - BCD: the written count is taken as four BCD digits (0 = 10000) and read back in BCD.
 * - After a control word the channel stops (OUT in its initial state: low in mode 0, high
 *   otherwise) until its count is written. At power-on no channel counts (as Xen).
 * - Port 0x61 bit 4 toggles every 16.384 µs of clock time (Xen's choice; the PC's DRAM refresh
 *   toggled every ~15 µs); bits other than 0, 1, 4, 5 read as 0.
 *
 * Channel 0 drives IRQ 0. Policy (Xen's "no_missed_ticks_pending" timer mode): ticks fall on the
 * grid of rising OUT edges from the moment the count was loaded; when the vCPU loop calls
 * service() after one or more ticks have come due, IRQ 0 is raised once and any further missed
 * ticks are dropped (counted in ticksDropped), so at most one tick is ever pending. The line is
 * raised as Xen's periodic timer does it (deassert, assert) and left high, so an edge the guest
 * has not acknowledged yet merges with the next one instead of queueing.
 */

export const PIT_HZ = 1_193_182;
/** Xen samples NOW() >> 14 for the refresh bit. */
const REFRESH_TOGGLE_NS = 16_384;

const ACCESS_LATCH = 0;
const ACCESS_LSB = 1;
const ACCESS_MSB = 2;
const ACCESS_LOHI = 3;

class PitChannel {
  mode = 3;
  access = ACCESS_LOHI;
  bcd = false;
  /** Counting period in clock cycles (1..65536, or 1..10000 in BCD). */
  reload = 0;
  /** A count was loaded since the last control word. */
  armed = false;
  gate: boolean;
  /** Elapsed cycles are baseCycles plus, while running, the cycles since startNs. */
  baseCycles = 0;
  startNs = 0;
  running = false;
  /** Counter value reported while not armed. */
  heldCounter = 0;
  nullCount = false;
  writeHigh = false;
  writeLatch = 0;
  readHigh = false;
  /** Latched counter bytes still to be read, low byte first. */
  latchedBytes: number[] = [];
  latchedStatus: number | undefined;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  elapsed(now: number): number {
    return this.baseCycles + (this.running ? cyclesBetween(this.startNs, now, PIT_HZ) : 0);
  }

  /** The counting element's value now, binary (0..65535) or BCD-encoded. */
  counter(now: number): number {
    if (!this.armed) return this.heldCounter;
    const d = this.elapsed(now);
    const n = this.reload;
    let value: number;
    switch (this.mode) {
      case 2:
        value = n - (d % n);
        break;
      case 3:
        value = n - ((2 * d) % n);
        break;
      default: // 0, 1, 4, 5: count down once, then keep wrapping
        value = n - (d % this.modulus());
        if (value < 0) value += this.modulus();
        break;
    }
    value %= this.modulus();
    return this.bcd ? toBcd(value) : value;
  }

  private modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  out(now: number): boolean {
    if (!this.armed) return this.mode !== 0;
    const d = this.elapsed(now);
    const n = this.reload;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= n;
      case 2:
        if (!this.gate) return true;
        return d % n !== n - 1;
      case 3:
        if (!this.gate) return true;
        return d % n < Math.ceil(n / 2);
      default: // 4, 5: one-cycle low strobe when the count reaches zero
        return d !== n;
    }
  }

  /** Rising OUT edges (the interrupts of channel 0) within the first `d` elapsed cycles. */
  edgesWithin(d: number): number {
    const n = this.reload;
    switch (this.mode) {
      case 2:
      case 3:
        return Math.floor(d / n);
      case 0:
      case 1:
        return d >= n ? 1 : 0;
      default:
        return d >= n + 1 ? 1 : 0;
    }
  }

  /** Elapsed-cycle position of rising edge number k (1-based), or undefined if there is none. */
  edgeAt(k: number): number | undefined {
    const n = this.reload;
    switch (this.mode) {
      case 2:
      case 3:
        return k * n;
      case 0:
      case 1:
        return k === 1 ? n : undefined;
      default:
        return k === 1 ? n + 1 : undefined;
    }
  }

  status(now: number): number {
    return (
      (this.out(now) ? 0x80 : 0) |
      (this.nullCount ? 0x40 : 0) |
      (this.access << 4) |
      (this.mode << 1) |
      (this.bcd ? 1 : 0)
    );
  }
}

function toBcd(v: number): number {
  return (v % 10) | (Math.floor(v / 10) % 10 << 4) | (Math.floor(v / 100) % 10 << 8) | (Math.floor(v / 1000) % 10 << 12);
}

function fromBcd(v: number): number {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

export interface Pit8254Options {
  clock: Clock;
  /** Where IRQ 0 goes (the PIC). Without it service() only does the bookkeeping. */
  irqs?: IrqInput;
}

export class Pit8254 implements Device, TimedDevice {
  readonly name = 'pit8254';
  readonly resources: DeviceResources = {
    ports: bytePortRegions([[0x40, 4], [0x61, 1]], (p) => this.readByte(p), (p, v) => this.writeByte(p, v)), irqs: [0],
  };

  private readonly clock: Clock;
  private readonly irqs: IrqInput | undefined;
  private readonly channels = [new PitChannel(true), new PitChannel(true), new PitChannel(false)];
  private speakerOn = false;

  // Channel 0 tick bookkeeping.
  private edgesSeen = 0;
  private pending = 0;
  private pendingDueNs = Infinity;
  /** Ticks raised on IRQ 0. */
  ticksDelivered = 0;
  /** Ticks that came due while another was pending and were dropped. */
  ticksDropped = 0;

  constructor(options: Pit8254Options) {
    this.clock = options.clock;
    this.irqs = options.irqs;
  }

  /** Channel 0 ticks due and not yet delivered: 0 or 1 (missed ticks collapse into one). */
  get pendingTicks(): number {
    this.syncTicks(this.clock.now());
    return this.pending;
  }

  nextDeadline(): number {
    this.syncTicks(this.clock.now());
    if (this.pending) return this.pendingDueNs;
    const ch = this.channels[0]!;
    if (!ch.armed || !ch.running) return Infinity;
    const pos = ch.edgeAt(this.edgesSeen + 1);
    if (pos === undefined) return Infinity;
    return ch.startNs + nsForCycles(pos - ch.baseCycles, PIT_HZ);
  }

  /** Consume the pending tick, if any, without raising a line (for a caller that injects itself). */
  takeTick(): boolean {
    this.syncTicks(this.clock.now());
    if (!this.pending) return false;
    this.pending = 0;
    this.pendingDueNs = Infinity;
    this.ticksDelivered++;
    return true;
  }

  service(): void {
    if (!this.takeTick() || !this.irqs) return;
    this.irqs.setIrqLevel(0, false);
    this.irqs.setIrqLevel(0, true);
  }

  /** OUT of channel `n` now (for tests and the speaker port). */
  output(n: 0 | 1 | 2): boolean {
    return this.channels[n]!.out(this.clock.now());
  }

  private readByte(port: number): number {
    const now = this.clock.now();
    if (port === 0x61) {
      const ch2 = this.channels[2]!;
      const refresh = Math.floor(now / REFRESH_TOGGLE_NS) & 1;
      return (ch2.gate ? 1 : 0) | (this.speakerOn ? 2 : 0) | (refresh << 4) | (ch2.out(now) ? 0x20 : 0);
    }
    if (port < 0x40 || port > 0x42) return 0xff; // 0x43 is write-only
    const ch = this.channels[port - 0x40]!;
    if (ch.latchedStatus !== undefined) {
      const s = ch.latchedStatus;
      ch.latchedStatus = undefined;
      return s;
    }
    if (ch.latchedBytes.length) return ch.latchedBytes.shift()!;
    const value = ch.counter(now);
    switch (ch.access) {
      case ACCESS_LSB:
        return value & 0xff;
      case ACCESS_MSB:
        return (value >> 8) & 0xff;
      default:
        ch.readHigh = !ch.readHigh;
        return ch.readHigh ? value & 0xff : (value >> 8) & 0xff;
    }
  }

  private writeByte(port: number, value: number): void {
    const now = this.clock.now();
    if (port === 0x61) {
      this.speakerOn = (value & 2) !== 0;
      this.setGate(2, (value & 1) !== 0, now);
      return;
    }
    if (port === 0x43) {
      this.control(value, now);
      return;
    }
    if (port < 0x40 || port > 0x42) return;
    const n = port - 0x40;
    const ch = this.channels[n]!;
    switch (ch.access) {
      case ACCESS_LSB:
        this.load(n, value, now);
        break;
      case ACCESS_MSB:
        this.load(n, value << 8, now);
        break;
      default:
        if (!ch.writeHigh) {
          ch.writeLatch = value;
          ch.writeHigh = true;
          ch.nullCount = true;
        } else {
          ch.writeHigh = false;
          this.load(n, ch.writeLatch | (value << 8), now);
        }
    }
  }

  private control(value: number, now: number): void {
    const sel = value >> 6;
    if (sel === 3) {
      this.readBack(value, now);
      return;
    }
    const ch = this.channels[sel]!;
    const access = (value >> 4) & 3;
    if (access === ACCESS_LATCH) {
      this.latchCount(ch, now);
      return;
    }
    if (sel === 0) this.syncTicks(now);
    ch.heldCounter = ch.counter(now);
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    ch.mode = mode;
    ch.access = access;
    ch.bcd = (value & 1) !== 0;
    ch.armed = false;
    ch.running = false;
    ch.nullCount = true;
    ch.writeHigh = false;
    ch.readHigh = false;
    if (sel === 0) this.resetTicks();
  }

  private readBack(value: number, now: number): void {
    for (let n = 0; n < 3; n++) {
      if (!(value & (2 << n))) continue;
      const ch = this.channels[n]!;
      if (!(value & 0x20)) this.latchCount(ch, now);
      if (!(value & 0x10) && ch.latchedStatus === undefined) ch.latchedStatus = ch.status(now);
    }
  }

  /** Later latch commands are ignored until the latched count has been read. */
  private latchCount(ch: PitChannel, now: number): void {
    if (ch.latchedBytes.length) return;
    const v = ch.counter(now);
    if (ch.access === ACCESS_LSB) ch.latchedBytes = [v & 0xff];
    else if (ch.access === ACCESS_MSB) ch.latchedBytes = [(v >> 8) & 0xff];
    else ch.latchedBytes = [v & 0xff, (v >> 8) & 0xff];
  }

  private load(n: number, raw: number, now: number): void {
    const ch = this.channels[n]!;
    if (n === 0) this.syncTicks(now);
    let count = ch.bcd ? fromBcd(raw) : raw & 0xffff;
    if (count === 0) count = ch.bcd ? 10000 : 0x10000;
    ch.reload = count;
    ch.armed = true;
    ch.nullCount = false;
    ch.baseCycles = 0;
    ch.startNs = now;
    // Modes 0/4 wait for the gate, 2/3 are held by it; 1/5 start now (see the header).
    ch.running = ch.gate || ch.mode === 1 || ch.mode === 5;
    if (n === 0) this.resetTicks();
  }

  private setGate(n: number, gate: boolean, now: number): void {
    const ch = this.channels[n]!;
    if (ch.gate === gate) return;
    ch.gate = gate;
    if (!ch.armed) return;
    switch (ch.mode) {
      case 0:
      case 4:
        if (gate) {
          ch.startNs = now;
          ch.running = true;
        } else {
          ch.baseCycles = ch.elapsed(now);
          ch.running = false;
        }
        break;
      case 2:
      case 3:
        ch.baseCycles = 0;
        ch.startNs = now;
        ch.running = gate;
        break;
      default: // 1, 5: a rising gate (re)triggers
        if (gate) {
          ch.baseCycles = 0;
          ch.startNs = now;
          ch.running = true;
        }
    }
  }

  private resetTicks(): void {
    this.edgesSeen = 0;
    this.pending = 0;
    this.pendingDueNs = Infinity;
  }

  /** Account for channel 0's rising edges up to `now` (at most one stays pending). */
  private syncTicks(now: number): void {
    const ch = this.channels[0]!;
    if (!ch.armed || !ch.running) return;
    const edges = ch.edgesWithin(ch.elapsed(now));
    if (edges <= this.edgesSeen) return;
    const fresh = edges - this.edgesSeen;
    if (this.pending) {
      this.ticksDropped += fresh;
    } else {
      this.pending = 1;
      this.ticksDropped += fresh - 1;
      this.pendingDueNs = ch.startNs + nsForCycles(ch.edgeAt(this.edgesSeen + 1)! - ch.baseCycles, PIT_HZ);
    }
    this.edgesSeen = edges;
  }
}
