/**
 * The set of PC platform devices this device model emulates on QEMU's `pc` ports, built from
 * one set of outside effects and attached to one IoBus (each declares its own resources).
 */
import type { Device, IoBus } from '../../shared/io-bus.js';
import type { ConsoleOutput, DebugExit, RaiseIrq, RequestShutdown } from './device-effects.js';
import { createPcChipset } from './i440fx-chipset.js';
import { IsaDebugExit } from './isa-debug-exit.js';
import { PciHost } from './pci-host.js';
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
  /** The i440FX host bridge and PIIX3 ISA bridge functions. */
  readonly chipset: Device;
}

/** Build the devices and attach each to `bus` (throws BusConflictError on an overlap). */
export function attachPcDevices(bus: IoBus, effects: PcDeviceEffects): PcDevices {
  const devices: PcDevices = {
    uart: new Uart16550({ raiseIrq: effects.raiseIrq, output: effects.output }),
    debugExit: new IsaDebugExit({ debugExit: effects.debugExit }),
    pciHost: new PciHost(bus),
    pm: new Piix4Pm({ shutdown: effects.shutdown, raiseIrq: effects.raiseIrq }),
    resetControl: new ResetControl(effects.shutdown),
    chipset: createPcChipset({ onPirqRoute: effects.onPirqRoute }),
  };
  for (const device of Object.values(devices)) bus.attach(device);
  return devices;
}
