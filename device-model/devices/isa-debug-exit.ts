/**
 * QEMU's isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): a write of v
 * anywhere in the window ends the run with status (v << 1) | 1, v being the written value
 * truncated to the access size. Reads return 0. Both checked against qemu-system-i386 7.2:
 * outb 0x1ff → 255, outw 0x1234 → 105, outl 0x12345678 → 241, outb 5 to 0xf6 → 11.
 */
import type { AccessSize } from '../../shared/io-bus.js';
import type { DebugExit, PortClaim, PortMappedDevice } from './device-effects.js';
import { isPortSize, maskToSize } from './port-access.js';

export const DEBUG_EXIT_BASE = 0xf4;
export const DEBUG_EXIT_SIZE = 4;

export interface IsaDebugExitOptions {
  debugExit: DebugExit;
  base?: number;
  size?: number;
}

export class IsaDebugExit implements PortMappedDevice {
  readonly name = 'isa-debug-exit';
  readonly portRanges: readonly PortClaim[];
  private readonly debugExit: DebugExit;

  constructor(options: IsaDebugExitOptions) {
    this.debugExit = options.debugExit;
    this.portRanges = [{ base: options.base ?? DEBUG_EXIT_BASE, length: options.size ?? DEBUG_EXIT_SIZE }];
  }

  ioRead(_port: number, _size: AccessSize): number {
    return 0;
  }

  ioWrite(_port: number, size: AccessSize, value: number): void {
    if (!isPortSize(size)) return;
    // Arithmetic, not <<, so a 32-bit value keeps its top bit: the status is up to 33 bits.
    this.debugExit(maskToSize(value, size) * 2 + 1);
  }
}
