/**
 * QEMU's isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): a write of v
 * anywhere in the window ends the run with status (v << 1) | 1, v being the written value
 * truncated to the access size. Reads return 0. Both checked against qemu-system-i386 7.2:
 * outb 0x1ff → 255, outw 0x1234 → 105, outl 0x12345678 → 241, outb 5 to 0xf6 → 11.
 */
import type { AccessSize, Device, DeviceResources } from '../../shared/io-bus.js';
import type { DebugExit } from './device-effects.js';

export const DEBUG_EXIT_BASE = 0xf4;
export const DEBUG_EXIT_SIZE = 4;

export interface IsaDebugExitOptions {
  debugExit: DebugExit;
  base?: number;
  size?: number;
}

export class IsaDebugExit implements Device {
  readonly name = 'isa-debug-exit';
  readonly resources: DeviceResources;

  constructor(options: IsaDebugExitOptions) {
    const { debugExit } = options;
    this.resources = {
      ports: [
        {
          base: options.base ?? DEBUG_EXIT_BASE,
          length: options.size ?? DEBUG_EXIT_SIZE,
          read: () => 0,
          // The bus hands over the value masked to the access size. Arithmetic, not <<, so a
          // 32-bit value keeps its top bit: the status is up to 33 bits.
          write: (_offset: number, _size: AccessSize, value: number) => debugExit(value * 2 + 1),
        },
      ],
    };
  }
}
