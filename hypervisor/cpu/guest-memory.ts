/**
 * Guest-physical memory as one vCPU sees it: RAM (a SharedArrayBuffer the device model maps
 * too), the domain's p2m (one type byte per frame, shared) and buffers mapped directly into
 * the guest (VRAM). Every guest access by the CPU goes through here, so a TLB for paging
 * can slot in above without touching each instruction (docs/architecture.md §9).
 *
 * `fastRead`/`fastWrite` are this vCPU's per-frame verdicts derived from the p2m: 1 when the
 * access can go straight to `ram`. They are cleared for frames that hold decoded code, so a
 * write there reaches the slow path and invalidates the cached translations.
 */
import { FRAME_COUNT, P2mType, PAGE_SHIFT, PAGE_SIZE } from '../../shared/p2m.js';

export interface DirectMapping {
  readonly base: number; // guest-physical, page aligned
  readonly bytes: Uint8Array; // the backing buffer (e.g. VRAM), page multiple
}

export class GuestMemory {
  readonly ram: Uint8Array;
  readonly ram32: Int32Array;
  readonly ramView: DataView;
  readonly ramBytes: number;
  readonly p2m: Uint8Array;
  readonly fastRead: Uint8Array;
  readonly fastWrite: Uint8Array;
  /** Frames holding decoded code (writes must invalidate translations). */
  readonly codeFrames: Uint8Array;
  private readonly direct: (DirectMapping | undefined)[] = [];
  /** Called when a watched code frame is written, before the write lands. */
  onCodeWrite: (frame: number) => void = () => {};

  constructor(ram: SharedArrayBuffer, p2m: SharedArrayBuffer) {
    if (ram.byteLength % PAGE_SIZE !== 0) throw new RangeError('RAM size must be a multiple of 4 KiB');
    if (p2m.byteLength !== FRAME_COUNT) throw new RangeError('p2m must have one byte per 4 KiB frame of 4 GiB');
    this.ram = new Uint8Array(ram);
    this.ram32 = new Int32Array(ram, 0, ram.byteLength >>> 2);
    this.ramView = new DataView(ram);
    this.ramBytes = ram.byteLength;
    this.p2m = new Uint8Array(p2m);
    this.fastRead = new Uint8Array(FRAME_COUNT);
    this.fastWrite = new Uint8Array(FRAME_COUNT);
    this.codeFrames = new Uint8Array(FRAME_COUNT);
    this.refreshAll();
  }

  /** Set the p2m type of `count` frames from `first` (shared with every vCPU of the domain). */
  setType(first: number, count: number, type: P2mType): void {
    for (let f = first; f < first + count; f++) {
      this.p2m[f] = type;
      this.refresh(f);
    }
  }

  /**
   * Back frames [base, base+bytes) with `bytes` (p2m type set separately, normally MMIO_DIRECT).
   * Only above RAM: there the fast-path verdicts stay 0, so every access reads the shared p2m
   * byte afresh, which the device model's log-dirty flush relies on (shared/p2m-flush.ts).
   */
  mapDirect(base: number, bytes: Uint8Array): void {
    if (base % PAGE_SIZE !== 0 || bytes.byteLength % PAGE_SIZE !== 0) throw new RangeError('direct mapping must be page aligned');
    if (base < this.ramBytes) throw new RangeError(`direct mapping at 0x${base.toString(16)} overlaps RAM (0x${this.ramBytes.toString(16)} bytes)`);
    const m: DirectMapping = { base, bytes };
    for (let f = base >>> PAGE_SHIFT; f < (base + bytes.byteLength) >>> PAGE_SHIFT; f++) this.direct[f] = m;
  }

  unmapDirect(base: number, byteLength: number): void {
    for (let f = base >>> PAGE_SHIFT; f < (base + byteLength) >>> PAGE_SHIFT; f++) this.direct[f] = undefined;
  }

  directMapping(frame: number): DirectMapping | undefined {
    return this.direct[frame];
  }

  /** Re-derive every frame's fast-path verdict (after another vCPU or the toolstack changed the p2m). */
  refreshAll(): void {
    for (let f = 0; f < FRAME_COUNT; f++) this.refresh(f);
  }

  refresh(frame: number): void {
    const t = this.p2m[frame];
    const inRam = frame < this.ramBytes >>> PAGE_SHIFT;
    this.fastRead[frame] = inRam && (t === P2mType.RAM_RW || t === P2mType.RAM_LOGDIRTY) ? 1 : 0;
    this.fastWrite[frame] = inRam && t === P2mType.RAM_RW && !this.codeFrames[frame] ? 1 : 0;
  }

  watchCode(frame: number): void {
    if (this.codeFrames[frame]) return;
    this.codeFrames[frame] = 1;
    this.fastWrite[frame] = 0;
  }

  unwatchCode(frame: number): void {
    this.codeFrames[frame] = 0;
    this.refresh(frame);
  }

  // ---- Physical accessors without exits, for loaders, devices and tests. ----

  inRam(gpa: number, length: number): boolean {
    return gpa >= 0 && length >= 0 && gpa + length <= this.ramBytes;
  }

  load(gpa: number, data: Uint8Array): void {
    if (!this.inRam(gpa, data.byteLength)) throw new RangeError(`load outside RAM at 0x${gpa.toString(16)}`);
    this.ram.set(data, gpa);
    for (let f = gpa >>> PAGE_SHIFT; f <= (gpa + data.byteLength - 1) >>> PAGE_SHIFT; f++) {
      if (this.codeFrames[f]) this.onCodeWrite(f);
    }
  }

  readPhys8(gpa: number): number {
    return this.ram[gpa]!;
  }

  readPhys32(gpa: number): number {
    return this.ramView.getInt32(gpa, true);
  }

  writePhys8(gpa: number, v: number): void {
    this.ram[gpa] = v;
  }

  writePhys32(gpa: number, v: number): void {
    this.ramView.setInt32(gpa, v, true);
  }
}
