/**
 * One bus for every emulated device, in the hypervisor and in the device model alike
 * (as QEMU's MemoryRegion dispatch or Firecracker's `Bus`): a device claims a port range,
 * an MMIO range or a PCI function, and accesses are routed to it by address.
 *
 * Lookups are O(1): a 64 Ki-entry table for ports and a per-4-KiB-page table for MMIO,
 * built from the same registrations (v86's io.js does the same), because the lookup sits
 * on every exit.
 */
import { PAGE_SHIFT } from './p2m.js';

export type AccessSize = 1 | 2 | 4 | 8;

/** A device reached through port I/O. `port` is the absolute port number. */
export interface PortDevice {
  readonly name: string;
  ioRead(port: number, size: AccessSize): number;
  ioWrite(port: number, size: AccessSize, value: number): void;
}

/** A device reached through memory-mapped I/O. `addr` is the absolute guest-physical address. */
export interface MmioDevice {
  readonly name: string;
  mmioRead(addr: number, size: AccessSize): number;
  mmioWrite(addr: number, size: AccessSize, value: number): void;
  /**
   * Optional whole-request forms of REP STOS/MOVS (an ioreq with count > 1), for devices where
   * an item-by-item loop costs far more than the work (a frame buffer). `addr` is the first
   * item's address; with `df` the items step down. The dispatcher offers them only when the
   * whole span lies inside the device's range.
   */
  mmioFill?(addr: number, size: number, count: number, df: boolean, value: number, high?: number): void;
  mmioCopyIn?(addr: number, size: number, count: number, df: boolean, source: Uint8Array, sourceAt: number): void;
  mmioCopyOut?(addr: number, size: number, count: number, df: boolean, target: Uint8Array, targetAt: number): void;
}

export interface PortRange {
  readonly base: number;
  readonly length: number;
  readonly device: PortDevice;
}

export interface MmioRange {
  readonly base: number;
  readonly length: number;
  readonly device: MmioDevice;
}

export class BusConflictError extends Error {}

export class IoBus {
  private readonly ports: (PortDevice | undefined)[] = new Array(0x10000);
  private readonly portRanges: PortRange[] = [];
  private readonly mmioPages = new Map<number, MmioRange[]>();
  private readonly mmioRanges: MmioRange[] = [];

  registerPorts(base: number, length: number, device: PortDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(length) || length <= 0 || base < 0 || base + length > 0x10000) {
      throw new RangeError(`${device.name}: bad port range ${base}+${length}`);
    }
    for (let p = base; p < base + length; p++) {
      const owner = this.ports[p];
      if (owner) throw new BusConflictError(`${device.name}: port 0x${p.toString(16)} already belongs to ${owner.name}`);
    }
    for (let p = base; p < base + length; p++) this.ports[p] = device;
    this.portRanges.push({ base, length, device });
  }

  unregisterPorts(device: PortDevice): void {
    for (let i = this.portRanges.length - 1; i >= 0; i--) {
      const r = this.portRanges[i]!;
      if (r.device !== device) continue;
      for (let p = r.base; p < r.base + r.length; p++) this.ports[p] = undefined;
      this.portRanges.splice(i, 1);
    }
  }

  registerMmio(base: number, length: number, device: MmioDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(length) || length <= 0 || base < 0 || base + length > 2 ** 32) {
      throw new RangeError(`${device.name}: bad MMIO range ${base}+${length}`);
    }
    for (const r of this.mmioRanges) {
      if (base < r.base + r.length && r.base < base + length) {
        throw new BusConflictError(`${device.name}: MMIO 0x${base.toString(16)} overlaps ${r.device.name}`);
      }
    }
    const range: MmioRange = { base, length, device };
    this.mmioRanges.push(range);
    for (let page = base >>> PAGE_SHIFT; page <= (base + length - 1) >>> PAGE_SHIFT; page++) {
      const list = this.mmioPages.get(page);
      if (list) list.push(range);
      else this.mmioPages.set(page, [range]);
    }
  }

  unregisterMmio(device: MmioDevice): void {
    for (let i = this.mmioRanges.length - 1; i >= 0; i--) {
      const r = this.mmioRanges[i]!;
      if (r.device !== device) continue;
      this.mmioRanges.splice(i, 1);
      for (let page = r.base >>> PAGE_SHIFT; page <= (r.base + r.length - 1) >>> PAGE_SHIFT; page++) {
        const list = this.mmioPages.get(page)!.filter((x) => x !== r);
        if (list.length) this.mmioPages.set(page, list);
        else this.mmioPages.delete(page);
      }
    }
  }

  /** The device owning `port`, or undefined (the caller then uses the null device). */
  portDevice(port: number): PortDevice | undefined {
    return this.ports[port & 0xffff];
  }

  /** The range containing the whole access [addr, addr+size), or undefined. */
  mmioRange(addr: number, size: number): MmioRange | undefined {
    const list = this.mmioPages.get(addr >>> PAGE_SHIFT);
    if (!list) return undefined;
    for (const r of list) {
      if (addr >= r.base && addr + size <= r.base + r.length) return r;
    }
    return undefined;
  }

  listPorts(): readonly PortRange[] {
    return this.portRanges;
  }

  listMmio(): readonly MmioRange[] {
    return this.mmioRanges;
  }
}
