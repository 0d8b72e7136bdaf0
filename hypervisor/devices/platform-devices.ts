import type { IoBus } from '../../shared/io-bus.js';
import type { Clock } from './clock.js';
import { pcCmosImage, type PcCmosConfig } from './cmos-pc-layout.js';
import { Pic8259 } from './pic8259.js';
import { Pit8254 } from './pit8254.js';
import { FerrLatch } from './ferr-latch.js';
import { Port80 } from './port80.js';
import { RtcCmos } from './rtc-cmos.js';
import type { TimedDevice } from './timed-device.js';

/** The PC devices Xen emulates inside the hypervisor, wired together: PIT and RTC drive the PIC. */
export interface PlatformDevices {
  readonly pic: Pic8259;
  readonly pit: Pit8254;
  readonly rtc: RtcCmos;
  readonly port80: Port80;
  /** IRQ 13 from the x87's FERR#, cleared through port 0xF0. */
  readonly ferr: FerrLatch;
  /** Service these before intr_assist; the smallest nextDeadline() bounds a HLT sleep. */
  readonly timers: readonly TimedDevice[];
}

export interface PlatformDevicesOptions {
  clock: Clock;
  /** RTC wall-clock start, seconds since 1970 UTC (pass a constant for deterministic runs). */
  startTime: number;
  memory: PcCmosConfig;
}

export function createPlatformDevices(options: PlatformDevicesOptions): PlatformDevices {
  const pic = new Pic8259();
  const pit = new Pit8254({ clock: options.clock, irqs: pic });
  const rtc = new RtcCmos({
    clock: options.clock,
    startTime: options.startTime,
    cmos: pcCmosImage(options.memory),
    irqs: pic,
  });
  const port80 = new Port80();
  const ferr = new FerrLatch(pic);
  return { pic, pit, rtc, port80, ferr, timers: [pit, rtc] };
}

/** Attach the devices to the hypervisor's bus (each declares its ports). */
export function attachPlatformDevices(bus: IoBus, devices: PlatformDevices): void {
  for (const device of [devices.pic, devices.pit, devices.rtc, devices.port80, devices.ferr]) bus.attach(device);
}

/** The earliest deadline among `timers` (Infinity if none). */
export function nextTimerDeadline(timers: readonly TimedDevice[]): number {
  let t = Infinity;
  for (const timer of timers) t = Math.min(t, timer.nextDeadline());
  return t;
}
