/**
 * Port I/O exits, in Xen's dispatch order (docs/architecture.md §4, Xen's arch/x86/hvm/emulate.c, hvmemul_do_io): devices inside the
 * hypervisor first (PIC, PIT, RTC, port 0x80), then the device model's ranges — 0xCFC–0xCFF
 * while CF8's enable bit is set become PCI_CONFIG requests addressed by SBDF, everything else a
 * PIO request — and finally the null device (reads all ones, writes dropped, counted).
 */
import type { IoBus, AccessSize } from '../shared/io-bus.js';
import type { IoreqServerRanges } from '../shared/ioreq-server-ranges.js';
import { IOREQ_READ, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_WRITE } from '../shared/ioreq.js';
import type { Cpu } from './cpu/cpu.js';
import { IoDir } from './cpu/exit.js';
import type { IoreqClient } from './ioreq-client.js';

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff];

export interface PortIoCounters {
  hvDevice: number;
  nullReads: number;
  nullWrites: number;
}

export class PortIo {
  /** Xen latches the last 32-bit write to 0xCF8 to address PCI_CONFIG requests. */
  private cf8 = 0;
  readonly counters: PortIoCounters = { hvDevice: 0, nullReads: 0, nullWrites: 0 };

  constructor(
    private readonly hvBus: IoBus,
    private readonly ranges: IoreqServerRanges,
    private readonly ioreq: IoreqClient,
  ) {}

  /** Handle an IO_INSTRUCTION exit described by cpu.exit. */
  handle(cpu: Cpu): void {
    const x = cpu.exit;
    if (x.dataIsPtr) {
      this.stringIo(cpu);
      return;
    }
    if (x.dir === IoDir.IN) x.value = this.read(x.addr, x.size);
    else this.write(x.addr, x.size, x.value);
  }

  read(port: number, size: number): number {
    const value = this.hvBus.readPort(port, size as AccessSize);
    if (value !== undefined) {
      this.counters.hvDevice++;
      return value;
    }
    if (port >= 0xcfc && port <= 0xcff && this.cf8 & 0x80000000) {
      const sbdf = (this.cf8 >>> 8) & 0xffff;
      if (this.ranges.claimsPci(sbdf)) {
        const r = this.ioreq.single(IOREQ_TYPE_PCI_CONFIG, 0, size, IOREQ_READ, 0);
        r.setPciConfig(sbdf, (this.cf8 & 0xfc) | (port & 3));
        return this.ioreq.send();
      }
      return this.nullRead(size);
    }
    if (this.ranges.claimsPorts(port, size)) {
      this.ioreq.single(IOREQ_TYPE_PIO, port, size, IOREQ_READ, 0);
      return this.ioreq.send();
    }
    return this.nullRead(size);
  }

  write(port: number, size: number, value: number): void {
    if (this.hvBus.writePort(port, size as AccessSize, value)) {
      this.counters.hvDevice++;
      return;
    }
    if (port === 0xcf8 && size === 4) {
      // Xen keeps the address for itself and still passes the write on.
      this.cf8 = value >>> 0;
    } else if (port >= 0xcfc && port <= 0xcff && this.cf8 & 0x80000000) {
      const sbdf = (this.cf8 >>> 8) & 0xffff;
      if (this.ranges.claimsPci(sbdf)) {
        const r = this.ioreq.single(IOREQ_TYPE_PCI_CONFIG, 0, size, IOREQ_WRITE, value);
        r.setPciConfig(sbdf, (this.cf8 & 0xfc) | (port & 3));
        this.ioreq.send();
      } else this.counters.nullWrites++;
      return;
    }
    if (this.ranges.claimsPorts(port, size)) {
      this.ioreq.single(IOREQ_TYPE_PIO, port, size, IOREQ_WRITE, value);
      this.ioreq.send();
      return;
    }
    this.counters.nullWrites++;
  }

  private nullRead(size: number): number {
    this.counters.nullReads++;
    return ALL_ONES[size]! | 0;
  }

  /**
   * REP INS/OUTS: one PIO request with count and data_is_ptr; the device model moves the data
   * between the port and guest memory itself (Xen's arch/x86/hvm/vmx/vmx.c). Ports the hypervisor or nobody
   * owns are done element by element here.
   */
  private stringIo(cpu: Cpu): void {
    const x = cpu.exit;
    const port = x.addr;
    if (!this.hvBus.claimsPort(port) && this.ranges.claimsPorts(port, x.size)) {
      const r = this.ioreq.req;
      r.type = IOREQ_TYPE_PIO;
      r.addrLow = port;
      r.addrHigh = 0;
      r.size = x.size;
      r.count = x.count;
      r.dir = x.dir === IoDir.IN ? IOREQ_READ : IOREQ_WRITE;
      r.dataLow = x.data >>> 0;
      r.dataHigh = 0;
      r.dataIsPtr = true;
      r.df = x.df;
      this.ioreq.send();
      // The CPU only offers data_is_ptr for plain RAM frames holding no decoded code, so the
      // device model's writes need no invalidation here.
      x.done = x.count;
      return;
    }
    const step = x.df ? -x.size : x.size;
    for (let k = 0; k < x.count; k++) {
      const gpa = x.data + k * step;
      // gpa is guest-physical (with paging the CPU translated the buffer's page).
      if (x.dir === IoDir.IN) cpu.wrPhys(gpa, x.size, this.read(port, x.size));
      else this.write(port, x.size, cpu.rdPhys(gpa, x.size));
    }
    x.done = x.count;
  }
}
