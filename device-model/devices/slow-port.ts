/**
 * A device whose read answers late, for the smp-block scenario (hvmsim only; QEMU has none):
 * a 32-bit register at ports 0x700–0x703. A write sets the delay in microseconds (up to one
 * second); a read sleeps that long inside the device model and then returns how many reads
 * were answered before it. The device model serves one request at a time, as qemu-dm's single
 * thread, so the sleep holds up every other vCPU's requests too — which is what the scenario
 * measures. The sleep blocks on a private futex word, costing no CPU.
 */
import type { Device, DeviceResources } from '../../shared/io-bus.js';

export const SLOW_PORT_BASE = 0x700;
export const SLOW_PORT_MAX_DELAY_US = 1_000_000;

export class SlowPort implements Device {
  readonly name = 'slow-port';
  // One 32-bit register, read at any size, written whole (a narrower write is refused by the bus).
  readonly resources: DeviceResources = {
    ports: [
      {
        base: SLOW_PORT_BASE,
        length: 4,
        read: () => this.read(),
        write: (offset, size, value) => {
          if (offset === 0 && size === 4) this.delayUs = Math.min(value >>> 0, SLOW_PORT_MAX_DELAY_US);
        },
      },
    ],
  };
  delayUs = 0;
  reads = 0;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  private read(): number {
    if (this.delayUs > 0) Atomics.wait(this.sleeper, 0, 0, this.delayUs / 1000);
    return this.reads++ >>> 0;
  }
}
