/**
 * One domain's device model from start to end, as qemu-dm starts under Xen: attach the domain's
 * shared memory, build the platform, publish the ioreq-server ranges, bind the ioreq ports, tell
 * the toolstack it is ready (libxl waits for qemu's "running" before it unpauses the domain), and
 * serve until the domain is destroyed. Kept apart from the worker entry so that a test can run
 * it with its own message sink.
 */
import { ByteRing } from '../shared/byte-ring.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { DomainControl, REQ_SHUTDOWN, RunState } from '../shared/domain-control.js';
import { attachDomainSharedMemory, bindIoreqServer } from '../shared/domain-layout.js';
import { IoreqServerRanges } from '../shared/ioreq-server-ranges.js';
import { domainFlushTargets } from '../shared/p2m-flush.js';
import { dmCounters } from '../shared/run-stats.js';
import { createDmPlatform, publishIoreqServerRanges } from './dm-platform.js';
import { GuestRam } from './guest-ram.js';
import { ConsoleSource } from './console-source.js';
import { DisplayRefreshSource } from './devices/vga/refresh-source.js';
import { InputInjector, InputReplaySource, irqStampPublisher } from './input-script.js';
import { IoreqDispatcher } from './ioreq-dispatch.js';
import { IoreqServer } from './ioreq-server.js';
import type { LoopSource } from './loop-source.js';
import { ToolstackOutbox, type PostBytes } from './toolstack-outbox.js';

/**
 * Run the device model of `config`'s domain on this thread; returns once the domain is destroyed,
 * with the display's end-of-run work (the screenshot) still going on, if any.
 */
export function runDeviceModel(config: DomainConfig, post: PostBytes): Promise<void> | undefined {
  const control = new DomainControl(config.control, config.vcpus);
  const thread = config.vcpus;
  control.setState(thread, RunState.STARTING);
  const outbox = new ToolstackOutbox(config.domid, post);
  // Before the request that caused it is answered, so the vCPU never runs on past a shutdown.
  outbox.onShutdown = () => control.setRequest(REQ_SHUTDOWN, true);
  let server: IoreqServer;
  try {
    const domain = attachDomainSharedMemory(config.io);
    const counters = dmCounters(config.stats, config.vcpus);
    // The fixture configs of some device-model tests have no VGA.
    const vcpus = domainFlushTargets(control, domain.ioreq, domain.irqLines);
    const vga = config.vga ? { vga: config.vga, p2m: config.p2m, vcpus, domid: config.domid, post } : undefined;
    const latency = config.irqStamps ? irqStampPublisher(config.irqStamps) : undefined;
    const platform = createDmPlatform(domain.irqLines, outbox, counters, vga, latency);
    publishIoreqServerRanges(platform, new IoreqServerRanges(config.ranges));
    const binding = bindIoreqServer(domain);
    const ram = new GuestRam(config.ram, config.p2m);
    const consoleSource = new ConsoleSource(new ByteRing(config.consoleIn), platform.devices.uart, outbox, config.dmControlPort);
    const sources: LoopSource[] = [consoleSource];
    // Time 0 of the script is when the server starts serving (the vCPUs start after 'ready').
    if (config.input?.length) sources.push(new InputReplaySource(new InputInjector(config.input, platform.i8042, performance.now()), counters));
    // The buffered-ioreq port also carries the hypervisor's dirty-VRAM announcements.
    if (platform.vga) sources.push(new DisplayRefreshSource(platform.vga, [binding.bufioreqPort]));
    server = new IoreqServer({
      domain,
      binding,
      dispatcher: new IoreqDispatcher(platform.bus, platform.devices.pciHost, ram, counters),
      outbox,
      control,
      counters,
      controlPort: config.dmControlPort,
      spin: config.spin,
      adaptiveSpin: config.adaptiveSpin,
      sources,
      ioreqStamps: config.ioreqStamps ? new Float64Array(config.ioreqStamps) : undefined,
    });
  } catch (err) {
    outbox.crash(`device model start-up failed: ${err instanceof Error ? err.message : String(err)}`, 0);
    control.setState(thread, RunState.DEAD);
    return undefined;
  }
  // RUNNING before 'ready', so the toolstack never sees a ready device model still STARTING.
  control.setState(thread, RunState.RUNNING);
  outbox.ready();
  return server.run();
}
