/**
 * A PCI function's 256-byte type-0 configuration space, for every emulated PCI device to reuse
 * (chipset functions here, the VGA later).
 *
 * Writes go through per-byte masks, as in QEMU's PCI core: `writable` bits take the written
 * value, `clearOnWrite` bits (status errors) are cleared by writing 1, everything else is
 * read-only. As in QEMU, the device-specific area (0x40–0xFF) is plain writable storage
 * except for the registers a device defines with `defineRegister`. BARs are 32-bit memory or I/O BARs whose writable mask is ~(size − 1), so BAR sizing
 * (write all ones, read back) yields the size mask with the read-only type bits preserved.
 */

export type ConfigAccessSize = 1 | 2 | 4;

/** What the PCI host needs from a function: config-space reads and writes at a register offset. */
export interface PciFunction {
  readonly name: string;
  configRead(reg: number, size: ConfigAccessSize): number;
  configWrite(reg: number, size: ConfigAccessSize, value: number): void;
}

export type BarKind = 'mem32' | 'io';

export interface BarSpec {
  readonly kind: BarKind;
  /** A power of two: at least 16 for memory, 4 for I/O. */
  readonly size: number;
  readonly prefetchable?: boolean;
}

/** Index passed to BAR listeners for the expansion ROM BAR (offset 0x30). */
export const ROM_BAR = 6;

/** Called when a BAR's decoded address changes; undefined = not decoded (disabled or unassigned). */
export type BarListener = (bar: number, address: number | undefined) => void;

// Standard header offsets.
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BAR0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
/** Command bits a guest may change (QEMU's default set). */
const COMMAND_WRITABLE =
  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
/** Status error bits that are cleared by writing 1: parity, target/master aborts, SERR. */
const STATUS_CLEAR_ON_WRITE = 0xf900;

export const PCI_HEADER_MULTI_FUNCTION = 0x80;
/** Where the device-specific registers start. */
export const DEVICE_SPECIFIC = 0x40;

const BAR_IO_FLAG = 0x01;
const BAR_MEM_PREFETCH = 0x08;
const ROM_ENABLE = 0x01;
const ROM_ADDRESS_MASK = 0xfffff800;
/** A memory BAR must end (exclusive) at or below this; see validRange. */
const MEM_LIMIT = 0xffffffff;

export interface PciConfigSpaceOptions {
  readonly name: string;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  /** 24 bits: class, subclass, programming interface (e.g. 0x060000 for a host bridge). */
  readonly classCode: number;
  readonly headerType?: number;
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  readonly command?: number;
  readonly status?: number;
  /** 1–4 for INTA#–INTD#, 0 for none. Read-only. */
  readonly interruptPin?: number;
  readonly interruptLine?: number;
  /** Up to six BARs; an undefined entry is an unimplemented (read-only zero) BAR. */
  readonly bars?: readonly (BarSpec | undefined)[];
  /** Expansion ROM size (power of two, at least 2 KiB), if the function has one. */
  readonly romSize?: number;
}

export class PciConfigSpace implements PciFunction {
  readonly name: string;
  private readonly bytes = new Uint8Array(256);
  private readonly writable = new Uint8Array(256);
  private readonly clearOnWrite = new Uint8Array(256);
  private readonly bars: readonly (BarSpec | undefined)[];
  private readonly romSize: number;
  private readonly decoded: (number | undefined)[] = new Array(7).fill(undefined);
  private readonly barListeners: BarListener[] = [];
  private readonly writeListeners: ((reg: number, size: ConfigAccessSize) => void)[] = [];

  constructor(options: PciConfigSpaceOptions) {
    this.name = options.name;
    this.bars = options.bars ?? [];
    this.romSize = options.romSize ?? 0;
    if (this.bars.length > 6) throw new RangeError(`${this.name}: a type-0 header has six BARs`);

    this.set(PCI_VENDOR_ID, 2, options.vendorId);
    this.set(PCI_DEVICE_ID, 2, options.deviceId);
    this.set(PCI_COMMAND, 2, options.command ?? 0);
    this.set(PCI_STATUS, 2, options.status ?? 0);
    this.set(PCI_REVISION_ID, 1, options.revision);
    this.set(PCI_CLASS_PROG, 1, options.classCode & 0xff);
    this.set(PCI_CLASS_PROG + 1, 2, options.classCode >>> 8);
    this.set(PCI_HEADER_TYPE, 1, options.headerType ?? 0);
    this.set(PCI_SUBSYSTEM_VENDOR_ID, 2, options.subsystemVendorId ?? 0);
    this.set(PCI_SUBSYSTEM_ID, 2, options.subsystemId ?? 0);
    this.set(PCI_INTERRUPT_LINE, 1, options.interruptLine ?? 0);
    this.set(PCI_INTERRUPT_PIN, 1, options.interruptPin ?? 0);

    this.setMask(this.writable, PCI_COMMAND, 2, COMMAND_WRITABLE);
    this.setMask(this.clearOnWrite, PCI_STATUS, 2, STATUS_CLEAR_ON_WRITE);
    this.setMask(this.writable, PCI_CACHE_LINE_SIZE, 1, 0xff);
    this.setMask(this.writable, PCI_INTERRUPT_LINE, 1, 0xff);
    // QEMU leaves the device-specific area writable unless a device says otherwise.
    this.writable.fill(0xff, DEVICE_SPECIFIC);

    this.bars.forEach((bar, i) => {
      if (!bar) return;
      const min = bar.kind === 'io' ? 4 : 16;
      if (!isPowerOfTwo(bar.size) || bar.size < min || bar.size > 2 ** 31) {
        throw new RangeError(`${this.name}: BAR${i} size ${bar.size} is not a power of two ≥ ${min}`);
      }
      const reg = PCI_BAR0 + 4 * i;
      const typeBits = bar.kind === 'io' ? BAR_IO_FLAG : bar.prefetchable ? BAR_MEM_PREFETCH : 0;
      this.set(reg, 4, typeBits);
      this.setMask(this.writable, reg, 4, ~(bar.size - 1) & (bar.kind === 'io' ? 0xfffffffc : 0xfffffff0));
    });
    if (this.romSize) {
      if (!isPowerOfTwo(this.romSize) || this.romSize < 0x800) {
        throw new RangeError(`${this.name}: ROM size ${this.romSize} is not a power of two ≥ 2 KiB`);
      }
      this.setMask(this.writable, PCI_ROM_ADDRESS, 4, (~(this.romSize - 1) & ROM_ADDRESS_MASK) | ROM_ENABLE);
    }
    this.refreshBars(false);
  }

  /**
   * Define a device-specific register (offset 0x40 and up, or a header field the defaults do
   * not cover): its reset value and which bits the guest may write.
   */
  defineRegister(reg: number, size: ConfigAccessSize, value: number, writableBits = 0): void {
    this.set(reg, size, value);
    this.setMask(this.writable, reg, size, writableBits);
  }

  /** Listen for BAR decode changes (index 0–5, or ROM_BAR). */
  onBarChange(listener: BarListener): void {
    this.barListeners.push(listener);
  }

  /** Listen for guest writes (after they took effect), e.g. to act on a chipset register. */
  onWrite(listener: (reg: number, size: ConfigAccessSize) => void): void {
    this.writeListeners.push(listener);
  }

  /** The address BAR `bar` currently decodes at, or undefined. */
  barAddress(bar: number): number | undefined {
    return this.decoded[bar];
  }

  configRead(reg: number, size: ConfigAccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const at = reg + i;
      // Past the 256-byte space (extended config offsets) nothing answers.
      const byte = at >= 0 && at < 256 ? this.bytes[at]! : 0xff;
      value |= byte << (8 * i);
    }
    return value >>> 0;
  }

  configWrite(reg: number, size: ConfigAccessSize, value: number): void {
    let touchesDecode = false;
    for (let i = 0; i < size; i++) {
      const at = reg + i;
      if (at < 0 || at >= 256) continue;
      const byte = (value >>> (8 * i)) & 0xff;
      const wmask = this.writable[at]!;
      const w1c = this.clearOnWrite[at]!;
      this.bytes[at] = ((this.bytes[at]! & ~wmask) | (byte & wmask)) & ~(byte & w1c);
      if (
        (at >= PCI_COMMAND && at < PCI_COMMAND + 2) ||
        (at >= PCI_BAR0 && at < PCI_BAR0 + 24) ||
        (at >= PCI_ROM_ADDRESS && at < PCI_ROM_ADDRESS + 4)
      ) {
        touchesDecode = true;
      }
    }
    if (touchesDecode) this.refreshBars(true);
    for (const listener of this.writeListeners) listener(reg, size);
  }

  /**
   * Place a BAR (the firmware's job: hvmloader under Xen, the toolstack here). Written as a
   * config write, so listeners see it as they would a guest's.
   */
  assignBar(bar: number, address: number): void {
    const reg = bar === ROM_BAR ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * bar;
    const keep = bar === ROM_BAR ? this.configRead(reg, 4) & ROM_ENABLE : 0;
    this.configWrite(reg, 4, (address | keep) >>> 0);
  }

  private refreshBars(notify: boolean): void {
    for (let i = 0; i <= ROM_BAR; i++) {
      const next = this.decodeBar(i);
      if (next === this.decoded[i]) continue;
      this.decoded[i] = next;
      if (notify) for (const listener of this.barListeners) listener(i, next);
    }
  }

  private decodeBar(i: number): number | undefined {
    const command = this.configRead(PCI_COMMAND, 2);
    if (i === ROM_BAR) {
      if (!this.romSize) return undefined;
      const raw = this.configRead(PCI_ROM_ADDRESS, 4);
      if (!(command & PCI_COMMAND_MEMORY) || !(raw & ROM_ENABLE)) return undefined;
      return validRange((raw & ROM_ADDRESS_MASK) >>> 0, this.romSize, MEM_LIMIT);
    }
    const bar = this.bars[i];
    if (!bar) return undefined;
    const raw = this.configRead(PCI_BAR0 + 4 * i, 4);
    if (bar.kind === 'io') {
      if (!(command & PCI_COMMAND_IO)) return undefined;
      return validRange((raw & 0xfffffffc) >>> 0, bar.size, 0x10000);
    }
    if (!(command & PCI_COMMAND_MEMORY)) return undefined;
    return validRange((raw & 0xfffffff0) >>> 0, bar.size, MEM_LIMIT);
  }

  private set(reg: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.bytes[reg + i] = (value >>> (8 * i)) & 0xff;
  }

  private setMask(mask: Uint8Array, reg: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) mask[reg + i] = (value >>> (8 * i)) & 0xff;
  }
}

/**
 * A BAR value names a usable range unless it is 0 (unassigned) or its last byte passes
 * `limit`. Memory BARs use 0xFFFFFFFE (QEMU's rule: a range ending at 0xFFFFFFFF is what the
 * all-ones sizing pattern produces, so a BAR being sized is never reported as mapped);
 * I/O BARs must fit in the 64 KiB port space.
 */
function validRange(address: number, size: number, limit: number): number | undefined {
  if (address === 0 || address + size > limit) return undefined;
  return address;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
}
