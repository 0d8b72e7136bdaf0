/**
 * Handling one ioreq, as qemu-dm's handle_ioreq does (QEMU's hw/xen/xen-hvm-common.c and qemu-dm's helper2.c): check it,
 * then route it by type to the port devices, the MMIO devices or the PCI host on the bus.
 *
 * - PIO: one IN/OUT; with data_is_ptr, REP INS/OUTS: `count` items at the same port, the guest
 *   buffer walking ±size per item (down when df).
 * - COPY (MMIO): `count` items at addr ± i*size, each to or from `data` (rep stos: a write of
 *   one value repeated; a read keeps the last value), or with data_is_ptr to or from the guest
 *   buffer (rep movs). 8-byte items are two 32-bit halves, low first.
 * - PCI_CONFIG: one 1/2/4-byte config access, SBDF in addr >> 32, register in the low bits.
 * - INVALIDATE (map-cache flush) and TIMEOFFSET (RTC offset): nothing to do here.
 * An access no device claims reads all ones and drops writes, as QEMU's unassigned I/O does;
 * the hypervisor only forwards the ranges this device model published, so these are counted.
 *
 * Requests are read into a reused IoreqRecord and answered from it: nothing on this path
 * allocates unless the request is bad.
 */
import type { AccessSize, IoBus } from '../shared/io-bus.js';
import {
  checkIoreq,
  IOREQ_READ,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_INVALIDATE,
  IOREQ_TYPE_PCI_CONFIG,
  IOREQ_TYPE_PIO,
  IOREQ_TYPE_TIMEOFFSET,
  type IoreqRecord,
} from '../shared/ioreq.js';
import { DM_COUNTER_INDEX } from '../shared/run-stats.js';
import type { PciHost } from './devices/pci-host.js';
import type { GuestRam } from './guest-ram.js';

const FOUR_GIB = 0x1_0000_0000;
const C_PIO = DM_COUNTER_INDEX.pio;
const C_MMIO = DM_COUNTER_INDEX.mmio;
const C_PCI = DM_COUNTER_INDEX.pci_config;

/** A request the device model refuses to serve; the domain is crashed with this reason. */
export class BadIoreqError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BadIoreqError';
  }
}

const TYPE_NAMES: Record<number, string> = {
  [IOREQ_TYPE_PIO]: 'pio',
  [IOREQ_TYPE_COPY]: 'copy',
  [IOREQ_TYPE_PCI_CONFIG]: 'pci_config',
  [IOREQ_TYPE_TIMEOFFSET]: 'timeoffset',
  [IOREQ_TYPE_INVALIDATE]: 'invalidate',
};

/** Every field of a request, for crash reports. */
export function describeIoreq(req: IoreqRecord): string {
  const hex64 = (high: number, low: number) =>
    high === 0 ? `0x${low.toString(16)}` : `0x${high.toString(16)}${low.toString(16).padStart(8, '0')}`;
  return (
    `type=${TYPE_NAMES[req.type] ?? req.type} dir=${req.dir === IOREQ_READ ? 'read' : 'write'} size=${req.size} ` +
    `count=${req.count} addr=${hex64(req.addrHigh, req.addrLow)} data=${hex64(req.dataHigh, req.dataLow)} ` +
    `data_is_ptr=${req.dataIsPtr ? 1 : 0} df=${req.df ? 1 : 0}`
  );
}

/** All ones for an access of 1, 2 or 4 bytes (8: the low half). */
function ones(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (8 * size)) - 1;
}

export class IoreqDispatcher {
  /** Accesses no device claimed (reads answered all ones, writes dropped). */
  unclaimedReads = 0;
  unclaimedWrites = 0;
  /** Map-cache invalidations received (nothing is cached, so nothing to flush). */
  invalidates = 0;

  // The high half of the last 8-byte MMIO read (the low half is the return value).
  private readHigh = 0;

  constructor(
    private readonly bus: IoBus,
    private readonly pciHost: PciHost,
    private readonly ram: GuestRam,
    /** dmCounters (shared/run-stats.ts): pio, mmio, pci_config are counted here. */
    private readonly counters: Float64Array,
  ) {}

  /**
   * Serve `req`. On return `req.dataLow`/`dataHigh` hold the response data (the value read, or
   * the request's own data for writes and pointer requests). Throws BadIoreqError for a request
   * no honest hypervisor sends; device exceptions pass through.
   */
  dispatch(req: IoreqRecord): void {
    const reason = checkIoreq(req);
    if (reason !== null) throw new BadIoreqError(reason);
    const read = req.dir === IOREQ_READ;
    if (!read && !req.dataIsPtr && req.size < 8) {
      // QEMU masks write data to the access size before the device sees it.
      req.dataLow = (req.dataLow & ones(req.size)) >>> 0;
      req.dataHigh = 0;
    }
    switch (req.type) {
      case IOREQ_TYPE_PIO:
        this.counters[C_PIO]++;
        if (req.dataIsPtr) this.repPio(req, read);
        else if (read) this.setData(req, this.portRead(req.addrLow, req.size), 0);
        // A count above 1 without a pointer is served once, as QEMU does.
        else this.portWrite(req.addrLow, req.size, req.dataLow);
        return;
      case IOREQ_TYPE_COPY:
        this.counters[C_MMIO]++;
        this.copy(req, read);
        return;
      case IOREQ_TYPE_PCI_CONFIG:
        this.counters[C_PCI]++;
        if (read) this.setData(req, this.pciHost.configRead(req.addrHigh, req.addrLow, req.size) >>> 0, 0);
        else this.pciHost.configWrite(req.addrHigh, req.addrLow, req.size, req.dataLow);
        return;
      case IOREQ_TYPE_INVALIDATE:
        this.invalidates++;
        return;
      default:
        return; // TIMEOFFSET: QEMU ignores it too; the RTC is the hypervisor's.
    }
  }

  /**
   * A write from the buffered ring (always a write, count 1, no pointer). Same routing as a
   * synchronous write; a buffered port write of 8 bytes is malformed.
   */
  bufferedWrite(type: number, addr: number, size: number, value: number, valueHigh: number): void {
    if (type === IOREQ_TYPE_PIO) {
      if (size > 4) throw new BadIoreqError(`buffered port write of size ${size} at port 0x${addr.toString(16)}`);
      this.portWrite(addr, size, (value & ones(size)) >>> 0);
    } else if (type === IOREQ_TYPE_COPY) {
      if (size < 8) this.mmioWrite(addr, size, (value & ones(size)) >>> 0, 0);
      else this.mmioWrite(addr, size, value, valueHigh);
    }
    // TIMEOFFSET: ignored, as for synchronous requests.
  }

  private setData(req: IoreqRecord, low: number, high: number): void {
    req.dataLow = low;
    req.dataHigh = high;
  }

  // ---- PIO ----

  private repPio(req: IoreqRecord, read: boolean): void {
    const { size, count, df, addrLow: port } = req;
    const ram = this.ram;
    const problem = ram.checkItems(req.dataLow, req.dataHigh, count, size, df);
    if (problem !== null) throw new BadIoreqError(`REP ${read ? 'INS' : 'OUTS'}: ${problem}`);
    const step = df ? -size : size;
    let at = req.dataLow;
    for (let i = 0; i < count; i++, at += step) {
      if (read) ram.store(at, size, this.portRead(port, size));
      else this.portWrite(port, size, ram.load(at, size));
    }
  }

  private portRead(port: number, size: number): number {
    const value = this.bus.readPort(port, size as AccessSize);
    if (value !== undefined) return value;
    this.unclaimedReads++;
    return ones(size);
  }

  private portWrite(port: number, size: number, value: number): void {
    if (!this.bus.writePort(port, size as AccessSize, value)) this.unclaimedWrites++;
  }

  // ---- MMIO ----

  private copy(req: IoreqRecord, read: boolean): void {
    const { size, count, df, addrLow: addr } = req;
    const span = (count - 1) * size;
    if ((df ? addr - span : addr) < 0 || (df ? addr + size : addr + span + size) > FOUR_GIB) {
      throw new BadIoreqError(`MMIO 0x${addr.toString(16)} stepping ${df ? 'down' : 'up'} ${count}x${size} wraps around 4 GiB`);
    }
    const step = df ? -size : size;
    if (count > 1 && this.wholeRequest(req, read)) return;
    if (!req.dataIsPtr) {
      // rep stos (or a single access): each item to or from `data` itself.
      let at = addr;
      for (let i = 0; i < count; i++, at += step) {
        if (read) this.setData(req, this.mmioRead(at, size), this.readHigh);
        else this.mmioWrite(at, size, req.dataLow, req.dataHigh);
      }
      return;
    }
    // rep movs between MMIO and the guest buffer at `data`.
    const ram = this.ram;
    const problem = ram.checkItems(req.dataLow, req.dataHigh, count, size, df);
    if (problem !== null) throw new BadIoreqError(`REP MOVS ${read ? 'from' : 'to'} MMIO: ${problem}`);
    let at = addr;
    let buf = req.dataLow;
    for (let i = 0; i < count; i++, at += step, buf += step) {
      if (read) {
        const low = this.mmioRead(at, size);
        if (size === 8) {
          ram.store(buf, 4, low);
          ram.store(buf + 4, 4, this.readHigh);
        } else ram.store(buf, size, low);
      } else if (size === 8) {
        this.mmioWrite(at, 8, ram.load(buf, 4), ram.load(buf + 4, 4));
      } else {
        this.mmioWrite(at, size, ram.load(buf, size), 0);
      }
    }
  }

  /**
   * REP STOS/MOVS handed to the device in one call, when the whole span lies in one device's
   * range and the device offers the form (a frame buffer: a page in microseconds rather than
   * one call per item). Returns false to fall back to items.
   */
  private wholeRequest(req: IoreqRecord, read: boolean): boolean {
    const { size, count, df, addrLow: addr } = req;
    const span = (count - 1) * size;
    const first = df ? addr - span : addr;
    const range = this.bus.mmioRange(first, span + size);
    if (range === undefined) return false;
    const region = range.region;
    const at = addr - range.base;
    if (!req.dataIsPtr) {
      if (read || region.fill === undefined) return false;
      region.fill(at, size, count, df, req.dataLow, req.dataHigh);
      return true;
    }
    const copy = read ? region.copyOut : region.copyIn;
    if (copy === undefined) return false;
    const problem = this.ram.checkItems(req.dataLow, req.dataHigh, count, size, df);
    if (problem !== null) throw new BadIoreqError(`REP MOVS ${read ? 'from' : 'to'} MMIO: ${problem}`);
    copy.call(region, at, size, count, df, this.ram.bytes, req.dataLow);
    return true;
  }

  /** Read `size` bytes at `addr`; returns the low 32 bits and leaves the high half in readHigh. */
  private mmioRead(addr: number, size: number): number {
    const value = this.bus.readMmio(addr, size as AccessSize);
    if (value !== undefined) {
      this.readHigh = this.bus.readHigh;
      return value;
    }
    this.unclaimedReads++;
    this.readHigh = size === 8 ? 0xffffffff : 0;
    return ones(size);
  }

  private mmioWrite(addr: number, size: number, low: number, high: number): void {
    if (!this.bus.writeMmio(addr, size as AccessSize, low, high)) this.unclaimedWrites++;
  }
}
