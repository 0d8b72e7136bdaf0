/** Size arithmetic shared by the port devices: ioreq sizes are 1, 2 or 4 bytes for PIO. */
import type { AccessSize } from '../../shared/io-bus.js';

/** All ones for an access of `size` bytes (port I/O is at most 4 bytes wide; QEMU refuses 8). */
export function allOnes(size: AccessSize): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/** `value` truncated to the access size, as the device model masks write data (QEMU's hw/xen/xen-hvm-common.c and qemu-dm's helper2.c). */
export function maskToSize(value: number, size: AccessSize): number {
  return size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value >>> 0;
}

/** True for the PIO sizes a device accepts; an 8-byte port access is malformed. */
export function isPortSize(size: number): size is 1 | 2 | 4 {
  return size === 1 || size === 2 || size === 4;
}
