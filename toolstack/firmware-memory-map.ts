/**
 * The memory map the firmware reports (INT 15h E820), as SeaBIOS 1.16 under QEMU 7.2's `pc`
 * machine returns it, so a kernel that reads it sees the same RAM under hvmsim and QEMU:
 * conventional memory below the 1 KiB EBDA, the BIOS F-segment reserved, 0xA0000-0xEFFFF left
 * out (VGA window and option ROMs: the boot GDT lives there), RAM from 1 MiB to 128 KiB below
 * the top (SeaBIOS keeps that for its high zone; the firmware tables of the platform go there),
 * and the flash at the top of 4 GiB reserved.
 */
import { PAGE_SIZE } from '../shared/p2m.js';

export const E820Type = {
  RAM: 1,
  RESERVED: 2,
  ACPI: 3,
  NVS: 4,
} as const;
export type E820Type = (typeof E820Type)[keyof typeof E820Type];

export interface E820Entry {
  readonly base: number;
  readonly length: number;
  readonly type: E820Type;
}

/** Bytes of one entry as the BIOS returns it (base 8, length 8, type 4). */
export const E820_ENTRY_BYTES = 20;

/** Extended BIOS data area: the last KiB below 640 KiB. */
export const EBDA_BASE = 0x9fc00;
const EBDA_BYTES = 0x400;
const BIOS_F_SEGMENT = { base: 0xf0000, length: 0x10000 };
/** Reserved at the top of RAM (SeaBIOS's high zone, where the ACPI tables go). */
export const HIGH_ZONE_BYTES = 0x20000;
const BIOS_FLASH = { base: 0xfffc0000, length: 0x40000 };

/** The map for a guest with `ramBytes` of RAM from address 0 (at least 2 MiB). */
export function firmwareMemoryMap(ramBytes: number): E820Entry[] {
  if (!Number.isInteger(ramBytes) || ramBytes < 0x200000 || ramBytes % PAGE_SIZE !== 0) {
    throw new RangeError(`RAM must be a whole number of pages, at least 2 MiB; got ${ramBytes} bytes`);
  }
  const highZone = ramBytes - HIGH_ZONE_BYTES;
  return [
    { base: 0, length: EBDA_BASE, type: E820Type.RAM },
    { base: EBDA_BASE, length: EBDA_BYTES, type: E820Type.RESERVED },
    { base: BIOS_F_SEGMENT.base, length: BIOS_F_SEGMENT.length, type: E820Type.RESERVED },
    { base: 0x100000, length: highZone - 0x100000, type: E820Type.RAM },
    { base: highZone, length: HIGH_ZONE_BYTES, type: E820Type.RESERVED },
    { base: BIOS_FLASH.base, length: BIOS_FLASH.length, type: E820Type.RESERVED },
  ];
}
