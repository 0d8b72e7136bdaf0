/**
 * p2m types: one byte per 4 KiB guest-physical frame over the whole 4 GiB space
 * (docs/architecture.md §3). The array lives in a SharedArrayBuffer so every vCPU of a domain sees
 * the same map.
 */
export const enum P2mType {
  /** Not populated: any access crashes the domain. */
  INVALID = 0,
  /** Ordinary RAM, readable and writable without exits. */
  RAM_RW = 1,
  /**
   * Memory whose first write exits so the frame can be marked dirty, then becomes writable
   * until re-armed. Backed by RAM, or by a direct mapping (VRAM in `shared-dirty` mode).
   */
  RAM_LOGDIRTY = 2,
  /** Emulated by the device model: every access exits and becomes an ioreq. */
  MMIO_DM = 3,
  /** Backed by a shared buffer mapped into the guest (e.g. VRAM): no exits. */
  MMIO_DIRECT = 4,
  /** Emulated inside the hypervisor. */
  MMIO_HV = 5,
}

export const P2M_TYPE_NAMES = [
  'invalid',
  'ram_rw',
  'ram_logdirty',
  'mmio_dm',
  'mmio_direct',
  'mmio_hv',
] as const;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const FRAME_COUNT = 1 << 20; // 4 GiB / 4 KiB

export function createP2mBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(FRAME_COUNT);
}
