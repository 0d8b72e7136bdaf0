/**
 * The device model's platform: QEMU `pc` devices wired to the outside world and placed on one
 * IoBus, and the ioreq-server ranges that tell the hypervisor what this device model serves
 * (Xen's XEN_DMOP_map_io_range_to_ioreq_server calls, made once before the domain runs).
 *
 * Effects, all synchronous from inside the access that caused them: IRQ levels go to the shared
 * IRQ lines (HVMOP_set_isa_irq_level, which kicks vCPU 0 on a rising edge); console bytes,
 * power-off (PM1a S5/S4, and isa-debug-exit with its status) and reset (0xCF9 or the i8042's
 * reset pulse, which under Xen become SHUTDOWN_reboot) go to the toolstack outbox.
 *
 * Besides QEMU's pc devices: the i8042 (keyboard and mouse, which the input script feeds) and
 * hvmsim's slow port (a read that answers late, for the SMP scenarios).
 */
import { IoBus } from '../shared/io-bus.js';
import type { IoreqServerRanges } from '../shared/ioreq-server-ranges.js';
import type { IrqLines } from '../shared/irq-lines.js';
import { DM_COUNTER_INDEX } from '../shared/run-stats.js';
import { I8042, type InputLatencyProbe } from './devices/i8042.js';
import { attachPcDevices, type PcDevices } from './devices/pc-devices.js';
import { SlowPort } from './devices/slow-port.js';
import { StdVga, type StdVgaOptions } from './devices/vga/std-vga.js';
import type { ToolstackOutbox } from './toolstack-outbox.js';

export interface DmPlatform {
  readonly bus: IoBus;
  readonly devices: PcDevices;
  readonly i8042: I8042;
  readonly slowPort: SlowPort;
  /** The std VGA at 00:02.0, when the domain has one (its refresh is a loop source, refresh-source.ts). */
  readonly vga?: StdVga;
}

/** What the std VGA needs from the domain's config (counters are the platform's). */
export type DmPlatformVga = Omit<StdVgaOptions, 'counters'>;

export function createDmPlatform(
  irqLines: IrqLines,
  outbox: ToolstackOutbox,
  counters: Float64Array,
  vgaOptions?: DmPlatformVga,
  inputLatency?: InputLatencyProbe,
): DmPlatform {
  const irqChanges = DM_COUNTER_INDEX.irq_level_changes;
  const raiseIrq = (line: number, level: boolean): void => {
    if (irqLines.setIsaIrqLevel(line, level)) counters[irqChanges]++;
  };
  const shutdown = (reason: 'poweroff' | 'reboot'): void => outbox.shutdown(reason);
  const bus = new IoBus();
  const devices = attachPcDevices(bus, {
    raiseIrq,
    output: (bytes) => outbox.console(bytes),
    shutdown,
    debugExit: (status) => outbox.shutdown('poweroff', status),
  });
  const i8042 = new I8042({ raiseIrq, shutdown, latency: inputLatency });
  const slowPort = new SlowPort();
  bus.attach(i8042);
  bus.attach(slowPort);
  if (vgaOptions === undefined) return { bus, devices, i8042, slowPort };
  const vga = new StdVga({ ...vgaOptions, counters });
  bus.attach(vga);
  return { bus, devices, i8042, slowPort, vga };
}

/** Publish every port range, MMIO range and PCI function on the bus. */
export function publishIoreqServerRanges(platform: DmPlatform, ranges: IoreqServerRanges): void {
  for (const r of platform.bus.listPorts()) ranges.mapPorts(r.base, r.base + r.length - 1);
  for (const r of platform.bus.listMmio()) ranges.mapMmio(r.base, r.base + r.length - 1);
  for (const [sbdf] of platform.bus.listPci()) ranges.mapPci(sbdf);
  ranges.publish();
}
