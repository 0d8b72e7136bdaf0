/**
 * The CMOS RAM contents QEMU's `pc` machine fills in for the firmware and the guest
 * (hw/i386/pc.c, pc_cmos_init), as numbers: memory sizes, CPU count, floppy and equipment bytes,
 * boot order. The clock registers 0x00–0x0D and the century byte belong to the RTC itself.
 * QEMU writes no checksum at 0x2E/0x2F, so neither do we.
 */

export const CMOS_SIZE = 128;

export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEM_LO = 0x15;
export const CMOS_EXT_MEM_LO = 0x17;
export const CMOS_EXT_MEM2_LO = 0x30;
export const CMOS_CENTURY = 0x32;
export const CMOS_MEM_ABOVE_16M_LO = 0x34;
export const CMOS_BOOT_ORDER_3 = 0x38;
export const CMOS_BOOT_ORDER_12 = 0x3d;
export const CMOS_MEM_ABOVE_4G = 0x5b;
export const CMOS_CPU_COUNT = 0x5f;

const KiB = 1024;
const MiB = 1024 * KiB;

export interface PcCmosConfig {
  /** Guest RAM below 4 GiB, bytes. */
  ramBelow4G: number;
  /** Guest RAM above 4 GiB, bytes (default 0). */
  ramAbove4G?: number;
  /** Number of vCPUs (default 1). */
  cpus?: number;
  /** QEMU's -boot letters, up to three of a (floppy), c (disk), d (CD-ROM), n (network); default "cad". */
  bootOrder?: string;
}

const BOOT_NIBBLE: Record<string, number> = { a: 1, b: 1, c: 2, d: 3, n: 4 };

/** A 128-byte CMOS image with the pc machine's fields and no floppy drives. */
export function pcCmosImage(config: PcCmosConfig): Uint8Array {
  const cmos = new Uint8Array(CMOS_SIZE);
  const below = Math.max(0, Math.floor(config.ramBelow4G));
  const above = Math.max(0, Math.floor(config.ramAbove4G ?? 0));
  const cpus = config.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 256) throw new RangeError(`cmos: bad CPU count ${cpus}`);

  const put16 = (index: number, value: number): void => {
    cmos[index] = value & 0xff;
    cmos[index + 1] = (value >> 8) & 0xff;
  };

  // Base memory in KiB: the first 640 KiB.
  put16(CMOS_BASE_MEM_LO, Math.min(Math.floor(below / KiB), 640));
  // Extended memory in KiB above 1 MiB, capped at 65535 (the same value twice, as the pc BIOS reads both).
  const ext = below > MiB ? Math.min(Math.floor((below - MiB) / KiB), 65535) : 0;
  put16(CMOS_EXT_MEM_LO, ext);
  put16(CMOS_EXT_MEM2_LO, ext);
  // Memory between 16 MiB and 4 GiB in 64 KiB units, capped at 65535.
  put16(CMOS_MEM_ABOVE_16M_LO, below > 16 * MiB ? Math.min(Math.floor((below - 16 * MiB) / (64 * KiB)), 65535) : 0);
  // Memory above 4 GiB in 64 KiB units, 24 bits.
  const high = Math.floor(above / (64 * KiB));
  cmos[CMOS_MEM_ABOVE_4G] = high & 0xff;
  cmos[CMOS_MEM_ABOVE_4G + 1] = (high >>> 8) & 0xff;
  cmos[CMOS_MEM_ABOVE_4G + 2] = (high >>> 16) & 0xff;

  cmos[CMOS_CPU_COUNT] = cpus - 1;

  // No floppy drives; equipment: FPU present (bit 1), PS/2 mouse (bit 2), display bits 00 = EGA/VGA.
  cmos[CMOS_FLOPPY_TYPES] = 0;
  cmos[CMOS_EQUIPMENT] = 0x02 | 0x04;

  const order = config.bootOrder ?? 'cad';
  if (order.length > 3) throw new RangeError(`cmos: at most three boot devices, got "${order}"`);
  const nibbles = [0, 0, 0];
  for (let i = 0; i < order.length; i++) {
    const nib = BOOT_NIBBLE[order[i]!];
    if (nib === undefined) throw new RangeError(`cmos: bad boot device '${order[i]}'`);
    nibbles[i] = nib;
  }
  cmos[CMOS_BOOT_ORDER_12] = (nibbles[1]! << 4) | nibbles[0]!;
  // Low bit 0: the floppy boot-signature check stays enabled (QEMU's default).
  cmos[CMOS_BOOT_ORDER_3] = nibbles[2]! << 4;
  return cmos;
}
