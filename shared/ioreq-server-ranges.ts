/**
 * The device model's ioreq-server ranges (Xen's XEN_DMOP_map_io_range_to_ioreq_server): which
 * ports, MMIO ranges and PCI functions it emulates. The device model writes them once at start-up,
 * before the domain is unpaused; the hypervisor reads them on every exit to decide between its own
 * devices, an ioreq, and the null device (docs/architecture.md §4 dispatch order).
 *
 * Layout (Int32 words): 0 published flag, 1 number of MMIO ranges, 2 number of PCI functions,
 * 3 reserved; 4.. a 65536-bit port bitmap (2048 words); then MAX_MMIO_RANGES pairs of
 * [first, last] (inclusive, as Xen's ranges); then MAX_PCI_FUNCTIONS SBDF words.
 */

export const MAX_MMIO_RANGES = 256;
export const MAX_PCI_FUNCTIONS = 256;

const W_PUBLISHED = 0;
const W_NR_MMIO = 1;
const W_NR_PCI = 2;
const PORT_BITMAP = 4;
const PORT_WORDS = 65536 / 32;
const MMIO_BASE = PORT_BITMAP + PORT_WORDS;
const PCI_BASE = MMIO_BASE + 2 * MAX_MMIO_RANGES;
const TOTAL_WORDS = PCI_BASE + MAX_PCI_FUNCTIONS;

export function createIoreqServerRangesBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(TOTAL_WORDS * 4);
}

export class IoreqServerRanges {
  private readonly i32: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer, 0, TOTAL_WORDS);
  }

  // ---- device-model side (before the domain runs) ----

  mapPorts(first: number, last: number): void {
    if (!(first >= 0 && last <= 0xffff && first <= last)) throw new RangeError(`bad port range ${first}-${last}`);
    for (let p = first; p <= last; p++) this.i32[PORT_BITMAP + (p >>> 5)]! |= 1 << (p & 31);
  }

  mapMmio(first: number, last: number): void {
    if (!(first >= 0 && last <= 0xffffffff && first <= last)) throw new RangeError(`bad MMIO range ${first}-${last}`);
    const n = this.i32[W_NR_MMIO]!;
    if (n >= MAX_MMIO_RANGES) throw new RangeError('too many MMIO ranges');
    this.i32[MMIO_BASE + 2 * n] = first | 0;
    this.i32[MMIO_BASE + 2 * n + 1] = last | 0;
    this.i32[W_NR_MMIO] = n + 1;
  }

  mapPci(sbdf: number): void {
    const n = this.i32[W_NR_PCI]!;
    if (n >= MAX_PCI_FUNCTIONS) throw new RangeError('too many PCI functions');
    this.i32[PCI_BASE + n] = sbdf;
    this.i32[W_NR_PCI] = n + 1;
  }

  /** Make the ranges visible (the hypervisor ignores the server until then). */
  publish(): void {
    Atomics.store(this.i32, W_PUBLISHED, 1);
  }

  // ---- hypervisor side ----

  get published(): boolean {
    return Atomics.load(this.i32, W_PUBLISHED) === 1;
  }

  /** Does the server claim every port of [port, port+size)? */
  claimsPorts(port: number, size: number): boolean {
    const i32 = this.i32;
    for (let p = port; p < port + size; p++) {
      if (p > 0xffff || !(i32[PORT_BITMAP + (p >>> 5)]! & (1 << (p & 31)))) return false;
    }
    return true;
  }

  /** Does the server claim the whole MMIO access [addr, addr+bytes)? */
  claimsMmio(addr: number, bytes: number): boolean {
    const i32 = this.i32;
    const n = i32[W_NR_MMIO]!;
    const last = addr + bytes - 1;
    for (let k = 0; k < n; k++) {
      if (addr >= i32[MMIO_BASE + 2 * k]! >>> 0 && last <= i32[MMIO_BASE + 2 * k + 1]! >>> 0) return true;
    }
    return false;
  }

  claimsPci(sbdf: number): boolean {
    const i32 = this.i32;
    const n = i32[W_NR_PCI]!;
    for (let k = 0; k < n; k++) if (i32[PCI_BASE + k] === sbdf) return true;
    return false;
  }

  mmioRanges(): [number, number][] {
    const out: [number, number][] = [];
    for (let k = 0; k < this.i32[W_NR_MMIO]!; k++) {
      out.push([this.i32[MMIO_BASE + 2 * k]! >>> 0, this.i32[MMIO_BASE + 2 * k + 1]! >>> 0]);
    }
    return out;
  }
}
