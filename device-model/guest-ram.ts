/**
 * The device model's map of guest RAM (qemu-dm maps all of the guest's memory, docs/architecture.md §3), for
 * the requests whose `data` is a guest-physical buffer address: REP INS/OUTS and REP MOVS
 * between MMIO and RAM.
 *
 * Nothing here trusts the request (docs/architecture.md §8): before any byte moves, the whole range of items
 * [data, data + count*size) — or, with df, [data - (count-1)*size, data + size) — must lie in
 * RAM with no unsigned wrap, and every 4 KiB frame it covers must be RAM in the p2m (the VGA
 * hole below 1 MiB is in the RAM buffer but is not RAM). QEMU does the ±i*size arithmetic
 * unsigned and lets a wrap address other guest memory; hvmsim refuses such a request instead,
 * as no honest hypervisor sends one (Xen clips REP I/O to contiguous memory).
 */
import { P2mType, PAGE_SHIFT } from '../shared/p2m.js';

const FOUR_GIB = 0x1_0000_0000;

export class GuestRam {
  /** Bytes of guest RAM, from guest-physical address 0. */
  readonly size: number;
  /** The RAM bytes, for whole-request copies after checkItems() accepted the range. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly p2m: Uint8Array;

  constructor(ram: SharedArrayBuffer, p2m: SharedArrayBuffer) {
    this.size = ram.byteLength;
    this.bytes = new Uint8Array(ram);
    this.view = new DataView(ram);
    this.p2m = new Uint8Array(p2m);
  }

  /**
   * Check the items a pointer request walks: `count` items of `size` bytes starting at the u64
   * address (`baseHigh`, `baseLow`), stepping down when `df`. Returns null when every byte lies
   * in guest RAM, else a one-line reason. Allocates only on failure.
   */
  checkItems(baseLow: number, baseHigh: number, count: number, size: number, df: boolean): string | null {
    if (baseHigh !== 0) return `buffer address 0x${(baseHigh * FOUR_GIB + baseLow).toString(16)} is above 4 GiB`;
    // Doubles are exact here: base < 2^32 and count*size <= 4096*8.
    const span = (count - 1) * size;
    const first = df ? baseLow - span : baseLow;
    const end = df ? baseLow + size : baseLow + span + size;
    if (first < 0) return `buffer 0x${hex(baseLow)} stepping down ${count}x${size} wraps below address 0`;
    if (end > FOUR_GIB) return `buffer 0x${hex(baseLow)} stepping up ${count}x${size} wraps around 4 GiB`;
    if (end > this.size) return `buffer 0x${hex(first)}-0x${hex(end - 1)} is outside guest RAM (0x${hex(this.size)} bytes)`;
    const p2m = this.p2m;
    for (let frame = first >>> PAGE_SHIFT, last = (end - 1) >>> PAGE_SHIFT; frame <= last; frame++) {
      const type = p2m[frame];
      if (type !== P2mType.RAM_RW && type !== P2mType.RAM_LOGDIRTY) {
        return `buffer 0x${hex(first)}-0x${hex(end - 1)} covers frame 0x${hex(frame)}, which is not RAM (p2m type ${type})`;
      }
    }
    return null;
  }

  /** Little-endian load of 1, 2 or 4 bytes; the caller has checked the range (checkItems). */
  load(addr: number, size: number): number {
    const view = this.view;
    if (size === 1) return view.getUint8(addr);
    if (size === 2) return view.getUint16(addr, true);
    return view.getUint32(addr, true);
  }

  /** Little-endian store of 1, 2 or 4 bytes; the caller has checked the range (checkItems). */
  store(addr: number, size: number, value: number): void {
    const view = this.view;
    if (size === 1) view.setUint8(addr, value);
    else if (size === 2) view.setUint16(addr, value, true);
    else view.setUint32(addr, value >>> 0, true);
  }
}

function hex(n: number): string {
  return n.toString(16);
}
