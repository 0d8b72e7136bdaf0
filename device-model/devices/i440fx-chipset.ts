/**
 * The PCI functions of QEMU's `pc` chipset that live in this device model: the i440FX host
 * bridge at 00:00.0 and the PIIX3 PCI-to-ISA bridge at 00:01.0, and a PCI host holding them
 * (plus the PIIX4 power-management function at 00:01.3, from piix4-pm.ts).
 *
 * Values are those a `qemu-system-i386 -kernel` guest reads (QEMU 7.2 after SeaBIOS): IDs,
 * revisions and classes from the chips, subsystem 1af4:1100 (QEMU's default), and the command
 * registers and PIRQ routing SeaBIOS leaves behind, because hvmsim's guests start where
 * the firmware would have handed over. Device-specific registers are plain storage, as QEMU's
 * defaults are: writing the i440FX PAM (0x59–0x5F) or SMRAM (0x72) registers remaps nothing.
 */
import { PciConfigSpace, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_COMMAND_SERR, PCI_HEADER_MULTI_FUNCTION } from './pci-config-space.js';
import type { Device, DeviceResources } from '../../shared/io-bus.js';
import { sbdf } from './pci-host.js';

export const HOST_BRIDGE_BDF = sbdf(0, 0, 0);
export const ISA_BRIDGE_BDF = sbdf(0, 1, 0);

const INTEL = 0x8086;
const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
const QEMU_SUBSYSTEM = 0x1100;
/** What SeaBIOS sets on the chipset functions: I/O and memory decode, SERR# reporting. */
const FIRMWARE_COMMAND = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR;
const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;

/** PIIX3 PIRQA–D route registers (0x60–0x63): bit 7 = disabled, bits 3:0 = ISA IRQ. */
export const PIIX3_PIRQ_ROUTE = 0x60;
/** SeaBIOS routes PIRQA/B to IRQ 10 and PIRQC/D to IRQ 11. */
const FIRMWARE_PIRQ_ROUTES = [10, 10, 11, 11] as const;

export function createI440fxHostBridge(): PciConfigSpace {
  return new PciConfigSpace({
    name: 'i440fx host bridge',
    vendorId: INTEL,
    deviceId: 0x1237,
    revision: 0x02,
    classCode: 0x060000,
    subsystemVendorId: QEMU_SUBSYSTEM_VENDOR,
    subsystemId: QEMU_SUBSYSTEM,
    command: FIRMWARE_COMMAND,
  });
}

/**
 * PIIX3 ISA bridge. Multi-function (IDE is 00:01.1, PM 00:01.3). The PIRQ route registers are
 * writable; `onPirqRoute` hears a change (Xen's qemu-dm passes it on as set_pci_link_route).
 */
export function createPiix3IsaBridge(onPirqRoute?: (link: number, isaIrq: number | undefined) => void): PciConfigSpace {
  const fn = new PciConfigSpace({
    name: 'PIIX3 ISA bridge',
    vendorId: INTEL,
    deviceId: 0x7000,
    revision: 0x00,
    classCode: 0x060100,
    headerType: PCI_HEADER_MULTI_FUNCTION,
    subsystemVendorId: QEMU_SUBSYSTEM_VENDOR,
    subsystemId: QEMU_SUBSYSTEM,
    command: FIRMWARE_COMMAND,
    status: PCI_STATUS_DEVSEL_MEDIUM,
  });
  FIRMWARE_PIRQ_ROUTES.forEach((irq, link) => fn.defineRegister(PIIX3_PIRQ_ROUTE + link, 1, irq, 0xff));
  if (onPirqRoute) {
    const routes = FIRMWARE_PIRQ_ROUTES.map((irq) => irq as number);
    fn.onWrite((reg, size) => {
      for (let link = 0; link < 4; link++) {
        const at = PIIX3_PIRQ_ROUTE + link;
        if (at < reg || at >= reg + size) continue;
        const value = fn.configRead(at, 1);
        if (value === routes[link]) continue;
        routes[link] = value;
        onPirqRoute(link, value & 0x80 ? undefined : value & 0x0f);
      }
    });
  }
  return fn;
}

export interface PcChipsetOptions {
  onPirqRoute?: (link: number, isaIrq: number | undefined) => void;
}

/** The i440FX host bridge and the PIIX3 ISA bridge as one device of two PCI functions (PM is piix4-pm.ts). */
export function createPcChipset(options: PcChipsetOptions = {}): Device {
  const resources: DeviceResources = {
    pci: [
      { sbdf: HOST_BRIDGE_BDF, config: createI440fxHostBridge() },
      { sbdf: ISA_BRIDGE_BDF, config: createPiix3IsaBridge(options.onPirqRoute) },
    ],
  };
  return { name: 'i440fx-piix3', resources };
}
