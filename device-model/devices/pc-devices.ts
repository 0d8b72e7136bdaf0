/**
 * The set of PC platform devices this device model emulates on QEMU's `pc` ports, built from
 * one set of outside effects, and their registration on an IoBus.
 */
import type { IoBus } from '../../shared/io-bus.js';
import type { ConsoleOutput, DebugExit, PortMappedDevice, RaiseIrq, RequestShutdown } from './device-effects.js';
import { createPcPciHost } from './i440fx-chipset.js';
import { IsaDebugExit } from './isa-debug-exit.js';
import type { PciHost } from './pci-host.js';
import { Piix4Pm } from './piix4-pm.js';
import { ResetControl } from './reset-control.js';
import { Uart16550 } from './uart16550.js';

export interface PcDeviceEffects {
  raiseIrq: RaiseIrq;
  output: ConsoleOutput;
  shutdown: RequestShutdown;
  debugExit: DebugExit;
  /** PIIX3 PIRQ routing changes (Xen: set_pci_link_route); optional. */
  onPirqRoute?: (link: number, isaIrq: number | undefined) => void;
}

export interface PcDevices {
  readonly uart: Uart16550;
  readonly debugExit: IsaDebugExit;
  readonly pciHost: PciHost;
  readonly pm: Piix4Pm;
  readonly resetControl: ResetControl;
  /** Every port device above, for registration. */
  readonly portDevices: readonly PortMappedDevice[];
}

export function createPcDevices(effects: PcDeviceEffects): PcDevices {
  const uart = new Uart16550({ raiseIrq: effects.raiseIrq, output: effects.output });
  const debugExit = new IsaDebugExit({ debugExit: effects.debugExit });
  const pciHost = createPcPciHost({ onPirqRoute: effects.onPirqRoute });
  const pm = new Piix4Pm({ shutdown: effects.shutdown, raiseIrq: effects.raiseIrq });
  const resetControl = new ResetControl(effects.shutdown);
  return { uart, debugExit, pciHost, pm, resetControl, portDevices: [uart, debugExit, pciHost, pm, resetControl] };
}

/** Claim each device's port ranges on `bus` (throws BusConflictError on an overlap). */
export function registerPortDevices(bus: IoBus, devices: readonly PortMappedDevice[]): void {
  for (const device of devices) {
    for (const range of device.portRanges) bus.registerPorts(range.base, range.length, device);
  }
}
