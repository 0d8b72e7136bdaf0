/**
 * A device whose read answers late, for the smp-block scenario (hvmsim only; QEMU has none):
 * a 32-bit register at ports 0x700–0x703. A write sets the delay in microseconds (up to one
 * second); a read sleeps that long inside the device model and then returns how many reads
 * were answered before it. The device model serves one request at a time, as qemu-dm's single
 * thread, so the sleep holds up every other vCPU's requests too — which is what the scenario
 * measures. The sleep blocks on a private futex word, costing no CPU.
 */
import type { AccessSize } from '../../shared/io-bus.js';
import type { PortClaim, PortMappedDevice } from './device-effects.js';

export const SLOW_PORT_BASE = 0x700;
export const SLOW_PORT_MAX_DELAY_US = 1_000_000;

export class SlowPort implements PortMappedDevice {
  readonly name = 'slow-port';
  readonly portRanges: readonly PortClaim[] = [{ base: SLOW_PORT_BASE, length: 4 }];
  delayUs = 0;
  reads = 0;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  ioRead(_port: number, _size: AccessSize): number {
    if (this.delayUs > 0) Atomics.wait(this.sleeper, 0, 0, this.delayUs / 1000);
    return this.reads++ >>> 0;
  }

  ioWrite(port: number, size: AccessSize, value: number): void {
    if (port !== SLOW_PORT_BASE || size !== 4) return; // the register is written whole
    this.delayUs = Math.min(value >>> 0, SLOW_PORT_MAX_DELAY_US);
  }
}
