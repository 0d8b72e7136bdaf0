/**
 * How a domain's standard VGA is built and exposed (docs/architecture.md §6): the four ways the linear frame
 * buffer reaches the device model, how the device model finds changes in `shared` mode, the
 * refresh rate, and the shared VRAM both threads map.
 */

/** How the linear frame buffer is exposed to the guest (docs/architecture.md §6). */
export const VGA_MODES = ['trap', 'buffered', 'shared', 'shared-dirty'] as const;
export type VgaMode = (typeof VGA_MODES)[number];

export const SCAN_STRATEGIES = ['memcmp', 'checksum'] as const;
export type ScanStrategy = (typeof SCAN_STRATEGIES)[number];

/** QEMU's std VGA: 16 MiB of VRAM behind BAR0 (prefetchable memory). */
export const VRAM_BYTES = 16 << 20;
/** PCI identity of QEMU's std VGA (Bochs). */
export const STD_VGA_VENDOR = 0x1234;
export const STD_VGA_DEVICE = 0x1111;
/** Where the domain builder puts the VGA function: bus 0, device 2, function 0 (as QEMU's pc). */
export const STD_VGA_BDF = 2 << 3;
/** Legacy VGA memory window. */
export const VGA_WINDOW_BASE = 0xa0000;
export const VGA_WINDOW_BYTES = 0x20000;

export interface VgaConfig {
  mode: VgaMode;
  /** How `shared` mode finds changed pages. */
  scan: ScanStrategy;
  /** Display refreshes per second. */
  refreshHz: number;
  /** VRAM, mapped by the device model always and by the vCPUs in the shared modes. */
  vram: SharedArrayBuffer;
  /** HVMOP_track_dirty_vram state (shared/dirty-vram.ts). */
  dirtyVram: SharedArrayBuffer;
  /** Guest-physical address of the linear frame buffer (BAR0, as the domain builder assigned it). */
  lfbAddress: number;
  /** Write the final frame here as PNG when the domain ends. */
  screenshot?: string;
}
