/**
 * QEMU's standard VGA as one PCI function of the device model: PCI 1234:1111 at 00:02.0, class
 * 0x030000, BAR0 the 16 MiB prefetchable linear frame buffer at the address the domain builder
 * assigned (hvmloader's job under Xen; memory and I/O decoding on, as hvmloader leaves them),
 * subsystem 1AF4:1100 as QEMU reports it. It gathers the parts — VRAM, legacy registers and DAC,
 * Bochs VBE DISPI, the legacy window and LFB apertures, the display and its dirty scan — puts
 * them on the bus, counts the writes that could change the picture (`changes`, for the loop's
 * refresh source, refresh-source.ts), and at the end makes a last refresh and the screenshot,
 * if asked for.
 *
 * Not modelled: QEMU's BAR2 (DISPI and VGA registers as MMIO; the domain builder assigns no
 * address for it) and its option ROM; BAR0 stays where it was assigned (the hypervisor's p2m
 * and the published ranges are fixed when the domain starts).
 */
import { encodeControlMessage, type ScreenshotMessage } from '../../../shared/control-messages.js';
import type { Device, DeviceResources, IoRegion } from '../../../shared/io-bus.js';
import { NO_VCPUS, type FlushTargets } from '../../../shared/p2m-flush.js';
import { STD_VGA_BDF, STD_VGA_DEVICE, STD_VGA_VENDOR, type VgaConfig } from '../../../shared/vga-config.js';
import { PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PciConfigSpace } from '../pci-config-space.js';
import { ChecksumScan, DeviceTrackedScan, MemcmpScan, TrackDirtyVramScan, type DirtyScan } from './dirty-scan.js';
import { VgaDisplay } from './display.js';
import { writeScreenshot } from './screenshot.js';
import { VbeDispi } from './vbe-dispi.js';
import { LEGACY_WINDOW_BASE, LEGACY_WINDOW_BYTES, LegacyWindow, LinearFrameBuffer } from './vga-memory.js';
import { VgaRegisters } from './vga-registers.js';
import { Vram, VRAM_PAGE_SHIFT } from './vram.js';

export const STD_VGA_CLASS = 0x030000;
export const STD_VGA_REVISION = 2;
export const STD_VGA_SUBSYSTEM_VENDOR = 0x1af4;
export const STD_VGA_SUBSYSTEM = 0x1100;

export interface StdVgaOptions {
  readonly vga: VgaConfig;
  /** The domain's p2m (shared-dirty re-protects frames through it). */
  readonly p2m: SharedArrayBuffer;
  /** The domain's vCPUs, as shared-dirty's flush after re-protecting sees them; absent only in fixtures without vCPU threads. */
  readonly vcpus?: FlushTargets;
  /** dmCounters (shared/run-stats.ts). */
  readonly counters: Float64Array;
  readonly domid: number;
  /** Posts an encoded control message to the toolstack (the screenshot report). */
  readonly post?: (bytes: Uint8Array) => void;
}

export class StdVga implements Device {
  readonly name = 'std-vga';
  readonly vram: Vram;
  readonly regs = new VgaRegisters();
  readonly vbe: VbeDispi;
  readonly window: LegacyWindow;
  readonly lfb: LinearFrameBuffer;
  readonly pci: PciConfigSpace;
  readonly display: VgaDisplay;
  /**
   * Writes the device model performed on the VGA (registers, DAC, VBE, window, trapped LFB):
   * the picture can have changed only if this moved, or the guest wrote VRAM directly.
   */
  changes = 0;
  private resourceList?: DeviceResources;

  constructor(private readonly options: StdVgaOptions) {
    const { vga, counters } = options;
    if (!(vga.refreshHz > 0)) throw new RangeError(`std VGA: refresh rate must be positive, got ${vga.refreshHz}`);
    this.vram = new Vram(vga.vram);
    this.vbe = new VbeDispi(this.vram, this.regs);
    this.window = new LegacyWindow(this.vram, this.regs, this.vbe);
    this.lfb = new LinearFrameBuffer(this.vram, vga.lfbAddress);
    this.pci = new PciConfigSpace({
      name: 'std-vga',
      vendorId: STD_VGA_VENDOR,
      deviceId: STD_VGA_DEVICE,
      revision: STD_VGA_REVISION,
      classCode: STD_VGA_CLASS,
      subsystemVendorId: STD_VGA_SUBSYSTEM_VENDOR,
      subsystemId: STD_VGA_SUBSYSTEM,
      command: PCI_COMMAND_IO | PCI_COMMAND_MEMORY,
      bars: [{ kind: 'mem32', size: this.vram.size, prefetchable: true }],
    });
    this.pci.assignBar(0, vga.lfbAddress);
    this.display = new VgaDisplay({ vram: this.vram, regs: this.regs, vbe: this.vbe, scan: this.createScan(), counters });
  }

  get refreshHz(): number {
    return this.options.vga.refreshHz;
  }

  /**
   * Whether the guest may have written VRAM with nobody told: in `shared` mode it writes the
   * frame buffer directly and only a comparison finds out. (In shared-dirty the hypervisor
   * announces each dirty bit; in the trapping modes every write comes here.)
   */
  get guestWritesUnseen(): boolean {
    return this.options.vga.mode === 'shared';
  }

  /** Whether LFB accesses reach the device model (the trapping modes). */
  get lfbEmulated(): boolean {
    return this.options.vga.mode === 'trap' || this.options.vga.mode === 'buffered';
  }

  /**
   * The ports, the legacy window, the LFB (trapping modes only: in the shared modes the guest
   * writes VRAM itself and the hypervisor sends no LFB request) and the PCI function at 00:02.0.
   * Every write through them counts as a change the next refresh must look at.
   */
  get resources(): DeviceResources {
    this.resourceList ??= {
      ports: [...this.regs.regions, this.vbe.region].map((r) => this.countWrites(r)),
      mmio: [this.window, ...(this.lfbEmulated ? [this.lfb] : [])].map((r) => this.countWrites(r)),
      pci: [{ sbdf: STD_VGA_BDF, config: this.pci }],
    };
    return this.resourceList;
  }

  private countWrites(region: IoRegion): IoRegion {
    const bump = (): void => void this.changes++;
    return {
      base: region.base,
      length: region.length,
      valid: region.valid,
      impl: region.impl,
      read: (offset, size) => region.read(offset, size),
      write: (offset, size, value) => {
        bump();
        region.write(offset, size, value);
      },
      fill: region.fill && ((...a) => (bump(), region.fill!(...a))),
      copyIn: region.copyIn && ((...a) => (bump(), region.copyIn!(...a))),
      copyOut: region.copyOut && ((...a) => region.copyOut!(...a)),
    };
  }

  /** One refresh; returns whether the surface changed. */
  refresh(): boolean {
    return this.display.refresh();
  }

  /**
   * The domain is ending: a last refresh, then the screenshot if one was asked for. The promise
   * settles once the file is written and reported (the thread must stay alive until then).
   */
  finish(): Promise<void> | undefined {
    const { vga, domid, post } = this.options;
    try {
      this.display.refresh();
    } catch {
      // The picture stays as the last good refresh left it; the screenshot still gets written.
    }
    if (vga.screenshot === undefined) return undefined;
    const report = (message: ScreenshotMessage): void => post?.(encodeControlMessage(message));
    return writeScreenshot(this.display.surface, vga.screenshot, domid, report);
  }

  private createScan(): DirtyScan {
    const { vga, p2m, vcpus = NO_VCPUS } = this.options;
    switch (vga.mode) {
      case 'shared':
        return vga.scan === 'checksum' ? new ChecksumScan(this.vram) : new MemcmpScan(this.vram);
      case 'shared-dirty':
        return new TrackDirtyVramScan(vga.dirtyVram, new Uint8Array(p2m), vga.lfbAddress >>> VRAM_PAGE_SHIFT, vcpus);
      default:
        return new DeviceTrackedScan();
    }
  }
}
