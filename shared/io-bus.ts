/**
 * One bus for every emulated device, in the hypervisor and in the device model alike
 * (as QEMU's memory core, Firecracker's `Bus`, rust-vmm's vm-device): a device declares its
 * resources — port regions, MMIO regions, PCI functions, the IRQ lines it drives — and one
 * `attach` claims them all or none (docs/architecture.md §10).
 *
 * A region's handlers see an offset inside the region and only the sizes the region
 * declared. Sizes follow QEMU's MemoryRegionOps: `valid` is what a guest may use (an access
 * outside it reads all ones and its write is dropped, counted in `invalidAccesses`); `impl`
 * is what the handlers take — the bus splits a wider access into impl-sized pieces, low
 * address first, and widens a narrower one to impl.min (QEMU's access_with_adjusted_size).
 * Devices therefore never check or split sizes themselves.
 *
 * Routing: a port access goes to the region holding its first port (a PIO ioreq reaches the
 * device that owns its port; an impl split then steps through that region's offsets, as
 * QEMU's dispatch does). An MMIO access must lie inside one region, else it is unclaimed.
 * Lookups are O(1) — a 64 Ki-entry table for ports, a per-4-KiB-page table for MMIO (v86's
 * io.js does the same) — because they sit on every exit.
 */
import { PAGE_SHIFT } from './p2m.js';

export type AccessSize = 1 | 2 | 4 | 8;

export interface SizeRule {
  readonly min: AccessSize;
  readonly max: AccessSize;
  /** Offsets not a multiple of the size are allowed (valid only; default false for MMIO, true for ports). */
  readonly unaligned?: boolean;
}

/** A region's handlers: `offset` is inside the region, `size` within the region's impl rule. */
export interface RegionHandlers {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

/**
 * Optional whole-request forms of REP STOS/MOVS (an ioreq with count > 1) for regions where
 * an item-by-item loop costs far more than the work (a frame buffer). `offset` is the first
 * item's; with `df` the items step down. Offered only when the whole span lies in the region.
 */
export interface BlockHandlers {
  fill?(offset: number, size: number, count: number, df: boolean, value: number, high?: number): void;
  copyIn?(offset: number, size: number, count: number, df: boolean, source: Uint8Array, sourceAt: number): void;
  copyOut?(offset: number, size: number, count: number, df: boolean, target: Uint8Array, targetAt: number): void;
}

export interface IoRegion extends RegionHandlers, BlockHandlers {
  readonly base: number;
  readonly length: number;
  /** Default: 1–4 bytes for ports, 1–8 for MMIO. */
  readonly valid?: SizeRule;
  /** Default: the valid rule's sizes, but at most 4 bytes (an 8-byte access becomes two). */
  readonly impl?: SizeRule;
}

/** A PCI function's configuration space as the bus reaches it (PCI_CONFIG ioreqs, 0xCFC). */
export interface PciConfigHandlers {
  readonly name: string;
  configRead(reg: number, size: 1 | 2 | 4): number;
  configWrite(reg: number, size: 1 | 2 | 4, value: number): void;
}

export interface PciSlot {
  /** SBDF as Xen encodes it (segment << 16 | bus << 8 | device << 3 | function). */
  readonly sbdf: number;
  readonly config: PciConfigHandlers;
}

export interface DeviceResources {
  readonly ports?: readonly IoRegion[];
  readonly mmio?: readonly IoRegion[];
  readonly pci?: readonly PciSlot[];
  /** ISA/GSI lines the device drives (listed for the platform; PCI INTx lines may be shared). */
  readonly irqs?: readonly number[];
}

export interface Device {
  readonly name: string;
  readonly resources: DeviceResources;
}

export interface ClaimedRange {
  readonly base: number;
  readonly length: number;
  readonly device: Device;
  readonly region: IoRegion;
}

interface Claim extends ClaimedRange {
  readonly validMin: number;
  readonly validMax: number;
  readonly aligned: boolean;
  readonly implMin: number;
  readonly implMax: number;
}

export class BusConflictError extends Error {}

const PORT_SPACE = 0x10000;
const MMIO_SPACE = 2 ** 32;

/** All ones for `size` bytes, as a 32-bit value (8 bytes: the low half). */
function ones(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1;
}

export class IoBus {
  /** Accesses refused by a region's valid rule (read all ones, write dropped). */
  invalidAccesses = 0;
  /** The high 32 bits of the last 8-byte read. */
  readHigh = 0;
  private readonly ports: (Claim | undefined)[] = new Array(PORT_SPACE);
  private readonly mmioPages = new Map<number, Claim[]>();
  private readonly portClaims: Claim[] = [];
  private readonly mmioClaims: Claim[] = [];
  private readonly pci = new Map<number, { device: Device; config: PciConfigHandlers }>();
  private readonly devices: Device[] = [];

  /** Claim every resource `device` declares, or none (throws RangeError/BusConflictError). */
  attach(device: Device): void {
    const { ports = [], mmio = [], pci = [] } = device.resources;
    const portClaims = ports.map((r) => claim(device, r, PORT_SPACE, 4, 'port'));
    const mmioClaims = mmio.map((r) => claim(device, r, MMIO_SPACE, 8, 'MMIO'));
    const taken = (list: readonly Claim[], c: Claim) => list.find((o) => c.base < o.base + o.length && o.base < c.base + c.length);
    const checked: Claim[] = [];
    for (const c of portClaims) {
      const other = taken(this.portClaims, c) ?? taken(checked, c);
      if (other) throw new BusConflictError(`${device.name}: ports ${span(c)} overlap ${other.device.name} (${span(other)})`);
      checked.push(c);
    }
    checked.length = 0;
    for (const c of mmioClaims) {
      const other = taken(this.mmioClaims, c) ?? taken(checked, c);
      if (other) throw new BusConflictError(`${device.name}: MMIO ${span(c)} overlaps ${other.device.name} (${span(other)})`);
      checked.push(c);
    }
    for (const slot of pci) {
      if (!Number.isInteger(slot.sbdf) || slot.sbdf < 0 || slot.sbdf > 0xffff) throw new RangeError(`${device.name}: PCI ${slot.sbdf} is not a segment-0 BDF`);
      const owner = this.pci.get(slot.sbdf) ?? (pci.filter((s) => s.sbdf === slot.sbdf).length > 1 ? { device } : undefined);
      if (owner) throw new BusConflictError(`${device.name}: PCI function ${slot.sbdf.toString(16)} already belongs to ${owner.device.name}`);
    }
    for (const c of portClaims) {
      for (let p = c.base; p < c.base + c.length; p++) this.ports[p] = c;
      this.portClaims.push(c);
    }
    for (const c of mmioClaims) {
      for (let page = c.base >>> PAGE_SHIFT; page <= (c.base + c.length - 1) >>> PAGE_SHIFT; page++) {
        const list = this.mmioPages.get(page);
        if (list) list.push(c);
        else this.mmioPages.set(page, [c]);
      }
      this.mmioClaims.push(c);
    }
    for (const slot of pci) this.pci.set(slot.sbdf, { device, config: slot.config });
    this.devices.push(device);
  }

  /** Release everything `device` claimed. */
  detach(device: Device): void {
    for (let i = this.portClaims.length - 1; i >= 0; i--) {
      const c = this.portClaims[i]!;
      if (c.device !== device) continue;
      for (let p = c.base; p < c.base + c.length; p++) this.ports[p] = undefined;
      this.portClaims.splice(i, 1);
    }
    for (let i = this.mmioClaims.length - 1; i >= 0; i--) {
      const c = this.mmioClaims[i]!;
      if (c.device !== device) continue;
      this.mmioClaims.splice(i, 1);
      for (let page = c.base >>> PAGE_SHIFT; page <= (c.base + c.length - 1) >>> PAGE_SHIFT; page++) {
        const list = this.mmioPages.get(page)!.filter((x) => x !== c);
        if (list.length) this.mmioPages.set(page, list);
        else this.mmioPages.delete(page);
      }
    }
    for (const [sbdf, owner] of this.pci) if (owner.device === device) this.pci.delete(sbdf);
    const at = this.devices.indexOf(device);
    if (at >= 0) this.devices.splice(at, 1);
  }

  // ---- ports ----

  claimsPort(port: number): boolean {
    return this.ports[port & 0xffff] !== undefined;
  }

  /** The device that owns `port`, for listings and reports. */
  portOwner(port: number): Device | undefined {
    return this.ports[port & 0xffff]?.device;
  }

  /** Read `size` bytes at `port`; undefined when no device owns the port. */
  readPort(port: number, size: AccessSize): number | undefined {
    const c = this.ports[port & 0xffff];
    return c === undefined ? undefined : this.read(c, port - c.base, size);
  }

  /** Write `size` bytes at `port`; false when no device owns the port. */
  writePort(port: number, size: AccessSize, value: number): boolean {
    const c = this.ports[port & 0xffff];
    if (c === undefined) return false;
    this.write(c, port - c.base, size, value, 0);
    return true;
  }

  // ---- MMIO ----

  /** The region holding the whole access [addr, addr + size), or undefined. */
  mmioRange(addr: number, size: number): ClaimedRange | undefined {
    const list = this.mmioPages.get(addr >>> PAGE_SHIFT);
    if (!list) return undefined;
    for (const c of list) if (addr >= c.base && addr + size <= c.base + c.length) return c;
    return undefined;
  }

  /** Read `size` bytes at `addr` (8: the low half, the high half in readHigh); undefined when unclaimed. */
  readMmio(addr: number, size: AccessSize): number | undefined {
    const c = this.mmioRange(addr, size) as Claim | undefined;
    return c === undefined ? undefined : this.read(c, addr - c.base, size);
  }

  /** Write `size` bytes at `addr` (8: `high` is the upper half); false when unclaimed. */
  writeMmio(addr: number, size: AccessSize, value: number, high = 0): boolean {
    const c = this.mmioRange(addr, size) as Claim | undefined;
    if (c === undefined) return false;
    this.write(c, addr - c.base, size, value, high);
    return true;
  }

  // ---- PCI ----

  pciFunction(sbdf: number): PciConfigHandlers | undefined {
    return this.pci.get(sbdf)?.config;
  }

  /** Every PCI function, by SBDF. */
  listPci(): [number, PciConfigHandlers][] {
    return [...this.pci.entries()].sort((a, b) => a[0] - b[0]).map(([sbdf, o]) => [sbdf, o.config]);
  }

  listPorts(): readonly ClaimedRange[] {
    return this.portClaims;
  }

  listMmio(): readonly ClaimedRange[] {
    return this.mmioClaims;
  }

  listDevices(): readonly Device[] {
    return this.devices;
  }

  // ---- the one place sizes are checked and split ----

  private valid(c: Claim, offset: number, size: number): boolean {
    if (size < c.validMin || size > c.validMax || (c.aligned && offset % size !== 0)) {
      this.invalidAccesses++;
      return false;
    }
    return true;
  }

  private read(c: Claim, offset: number, size: AccessSize): number {
    this.readHigh = 0;
    if (!this.valid(c, offset, size)) {
      if (size === 8) this.readHigh = 0xffffffff;
      return ones(size);
    }
    const region = c.region;
    if (size >= c.implMin && size <= c.implMax) return (region.read(offset, size) & ones(size)) >>> 0;
    if (size < c.implMin) return (region.read(offset, c.implMin as AccessSize) & ones(size)) >>> 0;
    const step = c.implMax as AccessSize;
    let low = 0;
    let high = 0;
    for (let i = 0; i < size; i += step) {
      // A port access may run past its region's end: those pieces read as unclaimed ports.
      const piece = offset + i < c.length ? (region.read(offset + i, step) & ones(step)) >>> 0 : ones(step);
      if (i < 4) low = (low | (piece << (8 * i))) >>> 0;
      else high = (high | (piece << (8 * (i - 4)))) >>> 0;
    }
    this.readHigh = high;
    return low;
  }

  private write(c: Claim, offset: number, size: AccessSize, value: number, high: number): void {
    if (!this.valid(c, offset, size)) return;
    const region = c.region;
    if (size >= c.implMin && size <= c.implMax && size < 8) {
      region.write(offset, size, (value & ones(size)) >>> 0);
      return;
    }
    if (size < c.implMin) {
      region.write(offset, c.implMin as AccessSize, (value & ones(size)) >>> 0);
      return;
    }
    const step = Math.min(c.implMax, 4) as AccessSize;
    for (let i = 0; i < size && offset + i < c.length; i += step) {
      const word = i < 4 ? value : high;
      region.write(offset + i, step, ((word >>> (8 * (i & 3))) & ones(step)) >>> 0);
    }
  }
}

function claim(device: Device, r: IoRegion, space: number, widest: AccessSize, kind: string): Claim {
  const { base, length } = r;
  if (!Number.isInteger(base) || !Number.isInteger(length) || length <= 0 || base < 0 || base + length > space) {
    throw new RangeError(`${device.name}: bad ${kind} range ${base}+${length}`);
  }
  const valid = r.valid ?? { min: 1, max: widest };
  const implMax = Math.min(r.impl?.max ?? valid.max, 4);
  const implMin = Math.min(r.impl?.min ?? valid.min, implMax);
  const sizes = [valid.min, valid.max, implMin, implMax];
  if (sizes.some((s) => s !== 1 && s !== 2 && s !== 4 && s !== 8) || valid.min > valid.max || valid.max > widest) {
    throw new RangeError(`${device.name}: bad access sizes for ${kind} range 0x${base.toString(16)}`);
  }
  const aligned = !(r.valid?.unaligned ?? kind === 'port');
  return { base, length, device, region: r, validMin: valid.min, validMax: valid.max, aligned, implMin, implMax };
}

function span(c: ClaimedRange): string {
  return `0x${c.base.toString(16)}–0x${(c.base + c.length - 1).toString(16)}`;
}
