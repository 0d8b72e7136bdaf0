/**
 * EPT-violation exits: an access to a frame whose p2m type is not plain RAM.
 * mmio_dm → one COPY ioreq per access (a read-modify-write instruction makes two within one
 * exit: the CPU hands over the read, then the write as a continuation), or one request with
 * count/data_is_ptr for a REP MOVS/STOS chunk; writes into buffered ranges go through the
 * buffered ring. A first write to a log-dirty frame marks it dirty and makes it writable.
 * A data access to an unpopulated frame is what Xen makes of it — its p2m reads such a gfn as
 * mmio_dm, the device model claims nothing there — so it reaches the null device: reads all
 * ones, writes dropped, both counted (real kernels probe for memory and devices this way).
 * `--strict-memory` crashes the domain instead, for debugging guests (docs/architecture.md §8).
 */
import type { IoreqServerRanges } from '../shared/ioreq-server-ranges.js';
import { IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_WRITE } from '../shared/ioreq.js';
import type { Cpu } from './cpu/cpu.js';
import { IoDir } from './cpu/exit.js';
import type { IoreqClient } from './ioreq-client.js';
import { P2M_TYPE_NAMES, P2mType, PAGE_SHIFT } from '../shared/p2m.js';

export interface MmioCounters {
  mmio: number;
  logdirty: number;
  nullReads: number;
  nullWrites: number;
}

/** A guest-physical range whose single writes are posted to the buffered ring. */
export interface BufferedRange {
  first: number;
  last: number;
}

export class MmioHandler {
  readonly counters: MmioCounters = { mmio: 0, logdirty: 0, nullReads: 0, nullWrites: 0 };
  /** Frames dirtied since the last fetch (one bit per frame), for track_dirty_vram. */
  onDirty: (frame: number) => void = () => {};

  constructor(
    private readonly ranges: IoreqServerRanges,
    private readonly ioreq: IoreqClient,
    private readonly buffered: readonly BufferedRange[] = [],
    private readonly strictMemory = false,
  ) {}

  /** Handle an EPT_VIOLATION exit described by cpu.exit. */
  handle(cpu: Cpu): void {
    const x = cpu.exit;
    switch (x.p2mType) {
      case P2mType.INVALID:
        // Unpopulated is mmio_dm to Xen; no device claims it, so the null device answers.
        if (this.strictMemory) break;
        this.counters.mmio++;
        this.toDeviceModel(cpu);
        return;
      case P2mType.MMIO_DM:
      case P2mType.MMIO_HV:
        this.counters.mmio++;
        this.toDeviceModel(cpu);
        return;
      case P2mType.RAM_LOGDIRTY:
        if (x.dir === IoDir.OUT) {
          this.counters.logdirty++;
          this.markDirty(cpu, x.addr >>> PAGE_SHIFT);
          x.retry = true;
          return;
        }
        break;
    }
    cpu.crashWith(
      `${x.dir === IoDir.IN ? 'read from' : 'write to'} unmapped guest-physical address 0x${(x.addr >>> 0).toString(16).padStart(8, '0')} (p2m type ${P2M_TYPE_NAMES[x.p2mType] ?? x.p2mType})`,
      cpu.curEip,
    );
  }

  /**
   * Writable first, then the bit (shared/dirty-vram.ts): a refresh in between finds no bit and
   * leaves the frame alone; one after it collects the bit, re-protects the frame and flushes
   * this vCPU, whose retried store lands before it passes (shared/p2m-flush.ts).
   */
  private markDirty(cpu: Cpu, frame: number): void {
    const mem = cpu.mem;
    mem.setType(frame, 1, mem.directMapping(frame) ? P2mType.MMIO_DIRECT : P2mType.RAM_RW);
    this.onDirty(frame);
  }

  private toDeviceModel(cpu: Cpu): void {
    const x = cpu.exit;
    const bytes = x.size * x.count;
    const first = x.df && x.count > 1 ? x.addr - bytes + x.size : x.addr;
    if (!this.ranges.claimsMmio(first >>> 0, bytes)) {
      // The null device: reads all ones, writes dropped.
      if (x.dir === IoDir.IN) {
        this.counters.nullReads++;
        x.value = -1;
        if (x.dataIsPtr) for (let k = 0; k < x.count; k++) cpu.wrPhys(x.data + (x.df ? -k : k) * x.size, x.size, -1); // data is guest-physical
      } else this.counters.nullWrites++;
      x.done = x.count;
      return;
    }
    if (x.dir === IoDir.OUT && x.count === 1 && !x.dataIsPtr && this.isBuffered(x.addr)) {
      if (this.ioreq.post(IOREQ_TYPE_COPY, x.addr, x.size, x.value, x.valueHigh)) return;
    }
    const r = this.ioreq.req;
    r.type = IOREQ_TYPE_COPY;
    r.addrLow = x.addr >>> 0;
    r.addrHigh = 0;
    r.size = x.size;
    r.count = x.count;
    r.dir = x.dir === IoDir.IN ? IOREQ_READ : IOREQ_WRITE;
    r.dataIsPtr = x.dataIsPtr;
    r.df = x.df;
    r.dataLow = x.dataIsPtr ? x.data >>> 0 : x.dir === IoDir.OUT ? x.value >>> 0 : 0;
    r.dataHigh = 0;
    x.value = this.ioreq.send();
    x.valueHigh = this.ioreq.resp.dataHigh;
    x.done = x.count;
  }

  private isBuffered(addr: number): boolean {
    for (const r of this.buffered) if (addr >= r.first && addr <= r.last) return true;
    return false;
  }
}
