import type { IoRegion } from '../../shared/io-bus.js';

/**
 * The ISA devices here have 8-bit registers addressed by port number. Their regions take
 * byte accesses only, so the bus splits a wider access into bytes on consecutive ports, low
 * byte first (as QEMU does for regions that implement 1 byte): `outw 0x40` writes 0x40 then 0x41.
 */
export function bytePortRegions(
  ranges: readonly (readonly [base: number, length: number])[],
  readByte: (port: number) => number,
  writeByte: (port: number, value: number) => void,
): IoRegion[] {
  return ranges.map(([base, length]) => ({
    base,
    length,
    impl: { min: 1, max: 1 },
    read: (offset: number) => readByte(base + offset),
    write: (offset: number, _size: number, value: number) => writeByte(base + offset, value),
  }));
}
