import type { AccessSize } from '../../shared/io-bus.js';

/**
 * The ISA devices here have 8-bit registers. A wider access is split into byte accesses on
 * consecutive ports, low byte first (as QEMU does for regions with max_access_size 1), so
 * `outw 0x40` writes 0x40 then 0x41.
 */
export function readBytewise(port: number, size: AccessSize, readByte: (port: number) => number): number {
  if (size === 1) return readByte(port) & 0xff;
  let value = 0;
  const n = Math.min(size, 4);
  for (let i = 0; i < n; i++) value |= (readByte(port + i) & 0xff) << (8 * i);
  return value >>> 0;
}

export function writeBytewise(
  port: number,
  size: AccessSize,
  value: number,
  writeByte: (port: number, value: number) => void,
): void {
  if (size === 1) {
    writeByte(port, value & 0xff);
    return;
  }
  const n = Math.min(size, 4);
  for (let i = 0; i < n; i++) writeByte(port + i, (value >>> (8 * i)) & 0xff);
}
