/**
 * The std VGA's video memory as the device model sees it: the VRAM SharedArrayBuffer (mapped by
 * the vCPUs too in the shared modes) and a per-page record of the pages the device model wrote
 * itself — through the legacy window, through the LFB in the trapping modes, or by clearing
 * memory on a mode set. The display ORs that record into whatever the mode's dirty scan finds:
 * writes the device performed never reach the hypervisor's log-dirty bits or go unseen by a
 * shadow compare that has not run yet (QEMU marks its own writes dirty the same way).
 */
export const VRAM_PAGE_SHIFT = 12;
export const VRAM_PAGE_SIZE = 1 << VRAM_PAGE_SHIFT;

export class Vram {
  readonly size: number;
  readonly pages: number;
  readonly bytes: Uint8Array;
  /** 32-bit words; word a holds planes 0–3 of VGA address a (QEMU's layout for planar modes). */
  readonly words: Uint32Array;
  /** Little-endian multi-byte access at any alignment. */
  readonly view: DataView;
  /** One byte per page: non-zero once the device wrote the page, until the display takes it. */
  readonly deviceDirty: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength === 0 || buffer.byteLength % VRAM_PAGE_SIZE !== 0 || (buffer.byteLength & (buffer.byteLength - 1)) !== 0) {
      throw new RangeError(`VRAM must be a power-of-two number of 4 KiB pages, got ${buffer.byteLength} bytes`);
    }
    this.size = buffer.byteLength;
    this.pages = this.size >>> VRAM_PAGE_SHIFT;
    this.bytes = new Uint8Array(buffer);
    this.words = new Uint32Array(buffer);
    this.view = new DataView(buffer);
    this.deviceDirty = new Uint8Array(this.pages);
  }

  /** Record a device write of `length` bytes at `offset` (the range lies inside VRAM). */
  markDirty(offset: number, length: number): void {
    const last = (offset + length - 1) >>> VRAM_PAGE_SHIFT;
    for (let page = offset >>> VRAM_PAGE_SHIFT; page <= last; page++) this.deviceDirty[page] = 1;
  }

  /** Zero `length` bytes at `offset` (clamped to VRAM), as the device does on a mode set. */
  clear(offset: number, length: number): void {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return;
    this.bytes.fill(0, offset, end);
    this.markDirty(offset, end - offset);
  }
}
