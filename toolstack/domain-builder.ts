/**
 * The domain builder (libxc's xc_hvm_build plus what hvmloader does for PCI): guest RAM and the
 * p2m, the kernel loaded from its multiboot ELF, the multiboot info, the ioreq server's event
 * channels, and every shared buffer the workers map. Produces the DomainConfig both kinds of
 * worker start from.
 */
import type { DomainConfig, PciBarAssignment } from '../shared/domain-config.js';
import { createDomainControlBuffer } from '../shared/domain-control.js';
import { attachDomainSharedMemory, createDomainSharedMemory, createIoreqServerPorts } from '../shared/domain-layout.js';
import { createIoreqServerRangesBuffer } from '../shared/ioreq-server-ranges.js';
import { createStatsBuffer } from '../shared/run-stats.js';
import { createByteRing } from '../shared/byte-ring.js';
import { createP2mBuffer, P2mType, PAGE_SHIFT } from '../hypervisor/p2m.js';
import { placeGuestImage, type GuestImage } from './elf-loader.js';
import { writeMultibootInfo } from './multiboot.js';

/** Legacy VGA window: always emulated by the device model (DESIGN §2). */
export const VGA_WINDOW = { first: 0xa0000, last: 0xbffff };
/** hvmloader's default MMIO hole for PCI BARs, up to 4 GiB (LAPIC/IOAPIC live at its top). */
export const PCI_HOLE_START = 0xf0000000;
/** Where the multiboot info goes: conventional memory, clear of the BIOS data area. */
export const MULTIBOOT_INFO_ADDR = 0x9000;
/** Measured on this machine's 2 cores (npm run bench:ioreq): long enough to catch a reply on the other core. */
export const DEFAULT_SPIN = 2000;

export const MIN_MEMORY_MIB = 2;
export const MAX_MEMORY_MIB = 3072;

export interface DomainBuildOptions {
  domid: number;
  name: string;
  memoryMiB: number;
  vcpus?: number;
  cmdline?: string;
  spin?: number;
}

export class DomainBuildError extends Error {}

export function buildDomain(image: GuestImage, opts: DomainBuildOptions): DomainConfig {
  const { memoryMiB } = opts;
  if (!Number.isInteger(memoryMiB) || memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
    throw new DomainBuildError(`--memory must be an integer number of MiB in ${MIN_MEMORY_MIB}..${MAX_MEMORY_MIB}, got ${memoryMiB}`);
  }
  const vcpus = opts.vcpus ?? 1;
  const ramBytes = memoryMiB << 20;
  const ram = new SharedArrayBuffer(ramBytes);
  const ramBytesView = new Uint8Array(ram);
  placeGuestImage(ramBytesView, image);
  const mbi = writeMultibootInfo(ramBytesView, MULTIBOOT_INFO_ADDR, { ramBytes, cmdline: opts.cmdline });
  void mbi;

  const p2m = createP2mBuffer();
  const types = new Uint8Array(p2m);
  types.fill(P2mType.RAM_RW, 0, ramBytes >>> PAGE_SHIFT);
  types.fill(P2mType.MMIO_DM, VGA_WINDOW.first >>> PAGE_SHIFT, (VGA_WINDOW.last >>> PAGE_SHIFT) + 1);
  types.fill(P2mType.MMIO_DM, PCI_HOLE_START >>> PAGE_SHIFT);

  const io = createDomainSharedMemory(opts.domid, vcpus);
  const attached = attachDomainSharedMemory(io);
  createIoreqServerPorts(attached);
  // A port in the device model's own table that the toolstack sets pending to wake it.
  const dmControlPort = attached.dmEventChannels.allocUnbound(io.dmDomid);

  const pciBars: PciBarAssignment[] = [];
  return {
    domid: opts.domid,
    name: opts.name,
    vcpus,
    ram,
    p2m,
    io,
    ranges: createIoreqServerRangesBuffer(),
    control: createDomainControlBuffer(vcpus),
    stats: createStatsBuffer(vcpus),
    consoleIn: createByteRing(),
    dmControlPort,
    entry: image.entry,
    multibootInfo: MULTIBOOT_INFO_ADDR,
    pciBars,
    spin: opts.spin ?? DEFAULT_SPIN,
  };
}
