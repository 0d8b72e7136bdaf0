/**
 * The domain builder (libxc's xc_hvm_build plus what hvmloader does for PCI): guest RAM and the
 * p2m, the kernel loaded from its multiboot ELF, the multiboot info, the ioreq server's event
 * channels, and every shared buffer the workers map. Produces the DomainConfig both kinds of
 * worker start from.
 */
import { createHvmParamsBuffer } from '../shared/hvm-params.js';
import type { InputEvent } from '../shared/input-event.js';
import { IRQ_STAMP_SLOTS, type DomainConfig } from '../shared/domain-config.js';
import { createDomainControlBuffer } from '../shared/domain-control.js';
import { attachDomainSharedMemory, createDomainSharedMemory, createIoreqServerPorts, type AttachedDomain } from '../shared/domain-layout.js';
import { createIoreqServerRangesBuffer } from '../shared/ioreq-server-ranges.js';
import { createStatsBuffer } from '../shared/run-stats.js';
import { createByteRing } from '../shared/byte-ring.js';
import { createP2mBuffer, P2mType, PAGE_SHIFT } from '../shared/p2m.js';
import { createDirtyVramBuffer } from '../shared/dirty-vram.js';
import { MAX_MEMORY_MIB, MAX_VCPUS, MIN_MEMORY_MIB } from '../shared/domain-limits.js';
import { SCAN_STRATEGIES, STD_VGA_BDF, VGA_MODES, VGA_WINDOW_BASE, VGA_WINDOW_BYTES, VRAM_BYTES, type ScanStrategy, type VgaMode } from '../shared/vga-config.js';
import type { GuestImage } from './elf-loader.js';
import type { MultibootModule } from './multiboot.js';
import { loadMultibootKernel } from './multiboot-boot-state.js';

/** hvmloader's default MMIO hole for PCI BARs, up to 4 GiB (LAPIC/IOAPIC live at its top). */
export const PCI_HOLE_START = 0xf0000000;
/** Measured on this machine's 2 cores (npm run bench:ioreq): long enough to catch a reply on the other core. */
export const DEFAULT_SPIN = 2000;


export interface DomainBuildOptions {
  domid: number;
  name: string;
  memoryMiB: number;
  vcpus?: number;
  /** The kernel's path as the user gave it: the command line starts with it and a space, as under QEMU (without it, only `cmdline`). */
  kernelPath?: string;
  /** The text after the path (`--cmdline`, QEMU's -append). */
  cmdline?: string;
  /** `--module FILE[,STRING]`, in order. */
  modules?: readonly MultibootModule[];
  /** A fixed spin budget; without it the budget adapts, up to DEFAULT_SPIN. */
  spin?: number;
  /** Crash on a data access to an unpopulated frame (default: the null device, as Xen and QEMU). */
  strictMemory?: boolean;
  vga?: VgaMode;
  scan?: ScanStrategy;
  refreshHz?: number;
  screenshot?: string;
  /** An input script's events (device-model/input-script.ts), replayed by the device model. */
  input?: InputEvent[];
}

export const DEFAULT_VGA_MODE: VgaMode = 'shared-dirty';
export const DEFAULT_REFRESH_HZ = 60;

export class DomainBuildError extends Error {}

export function buildDomain(image: GuestImage, opts: DomainBuildOptions): DomainConfig {
  const { memoryMiB } = opts;
  if (!Number.isInteger(memoryMiB) || memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
    throw new DomainBuildError(`--memory must be an integer number of MiB in ${MIN_MEMORY_MIB}..${MAX_MEMORY_MIB}, got ${memoryMiB}`);
  }
  const vcpus = opts.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) throw new DomainBuildError(`--vcpus must be an integer in 1..${MAX_VCPUS}, got ${vcpus}`);
  const vgaMode = opts.vga ?? DEFAULT_VGA_MODE;
  if (!VGA_MODES.includes(vgaMode)) throw new DomainBuildError(`--vga must be one of ${VGA_MODES.join(', ')}, got ${vgaMode}`);
  const scan = opts.scan ?? 'memcmp';
  if (!SCAN_STRATEGIES.includes(scan)) throw new DomainBuildError(`--scan must be one of ${SCAN_STRATEGIES.join(', ')}, got ${scan}`);
  const refreshHz = opts.refreshHz ?? DEFAULT_REFRESH_HZ;
  if (!(refreshHz > 0 && refreshHz <= 1000)) throw new DomainBuildError(`--refresh must be in 1..1000 Hz, got ${refreshHz}`);
  const ramBytes = memoryMiB * 2 ** 20; // not << 20: 2 GiB and more overflow an int32
  const ram = new SharedArrayBuffer(ramBytes);
  const boot = loadMultibootKernel(new Uint8Array(ram), image, {
    cmdline: opts.kernelPath === undefined ? (opts.cmdline ?? '') : `${opts.kernelPath} ${opts.cmdline ?? ''}`,
    modules: opts.modules,
  });

  const p2m = createP2mBuffer();
  const types = new Uint8Array(p2m);
  types.fill(P2mType.RAM_RW, 0, ramBytes >>> PAGE_SHIFT);
  // The legacy VGA window is always emulated by the device model.
  types.fill(P2mType.MMIO_DM, VGA_WINDOW_BASE >>> PAGE_SHIFT, (VGA_WINDOW_BASE + VGA_WINDOW_BYTES) >>> PAGE_SHIFT);
  types.fill(P2mType.MMIO_DM, PCI_HOLE_START >>> PAGE_SHIFT);

  const { io, ranges, control, stats, hvmParams, consoleIn, dmControlPort } = createDomainChannels(opts.domid, vcpus);

  // PCI BARs as hvmloader assigns them: from the bottom of the MMIO hole, largest first.
  const pciBars = assignPciBars([{ bdf: STD_VGA_BDF, bar: 0, size: VRAM_BYTES }]);
  const lfb = pciBars.find((b) => b.bdf === STD_VGA_BDF && b.bar === 0)!.address;
  // The shared modes map VRAM straight into the guest; shared-dirty's first refresh
  // write-protects what it tracks (track_dirty_vram).
  if (vgaMode === 'shared' || vgaMode === 'shared-dirty') {
    types.fill(P2mType.MMIO_DIRECT, lfb >>> PAGE_SHIFT, (lfb + VRAM_BYTES) >>> PAGE_SHIFT);
  }
  const vcpuUp = new SharedArrayBuffer(4 * vcpus);
  new Int32Array(vcpuUp)[0] = 1; // vCPU 0 starts with the domain; the others by VCPUOP_up
  return {
    domid: opts.domid,
    name: opts.name,
    vcpus,
    ram,
    p2m,
    io,
    ranges,
    control,
    stats,
    hvmParams,
    consoleIn,
    dmControlPort,
    boot,
    spin: opts.spin ?? DEFAULT_SPIN,
    adaptiveSpin: opts.spin === undefined,
    ...(opts.strictMemory ? { strictMemory: true } : {}),
    vga: {
      mode: vgaMode,
      scan,
      refreshHz,
      vram: new SharedArrayBuffer(VRAM_BYTES),
      dirtyVram: createDirtyVramBuffer(VRAM_BYTES),
      lfbAddress: lfb,
      screenshot: opts.screenshot,
    },
    ...(opts.input?.length ? { input: opts.input } : {}),
    irqStamps: new SharedArrayBuffer(8 * IRQ_STAMP_SLOTS),
    ...(vcpus > 1 ? { ioreqStamps: new SharedArrayBuffer(8 * vcpus) } : {}),
    vcpuUp,
  };
}

/** What the toolstack shares with a domain's threads besides RAM, the p2m and the display. */
export interface DomainChannels {
  /** The domain's shared pages (ioreq slots, buffered ring, event channels, IRQ lines) with the ioreq server's ports made. */
  readonly io: DomainConfig['io'];
  /** The toolstack's view of `io`. */
  readonly attached: AttachedDomain;
  readonly ranges: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly hvmParams: SharedArrayBuffer;
  readonly consoleIn: SharedArrayBuffer;
  /** The device model's local port the toolstack sets pending to wake it. */
  readonly dmControlPort: number;
}

/** Create a domain's channels: shared pages and ioreq-server ports, ranges, control, counters, console input. */
export function createDomainChannels(domid: number, vcpus: number): DomainChannels {
  const io = createDomainSharedMemory(domid, vcpus);
  const attached = attachDomainSharedMemory(io);
  createIoreqServerPorts(attached);
  return {
    io,
    attached,
    ranges: createIoreqServerRangesBuffer(),
    control: createDomainControlBuffer(vcpus),
    stats: createStatsBuffer(vcpus),
    hvmParams: createHvmParamsBuffer(),
    consoleIn: createByteRing(),
    // Unbound in the device model's table, offered to domain 0 (the toolstack), which sets it pending.
    dmControlPort: attached.dmEventChannels.allocUnbound(0),
  };
}

export interface PciBarAssignment {
  /** PCI address: bus << 8 | device << 3 | function. */
  bdf: number;
  bar: number;
  address: number;
  size: number;
}

/** hvmloader's allocation: BARs sorted by size, largest first, naturally aligned, from PCI_HOLE_START. */
export function assignPciBars(bars: { bdf: number; bar: number; size: number }[]): PciBarAssignment[] {
  let next = PCI_HOLE_START;
  return [...bars]
    .sort((a, b) => b.size - a.size)
    .map((b) => {
      const address = Math.ceil(next / b.size) * b.size;
      next = address + b.size;
      return { ...b, address };
    });
}
