/**
 * The PIIX3 reset control register at port 0xCF9. A write with bit 2 (RST_CPU) set resets
 * the machine; bit 1 (SYS_RST, hard vs. soft) is kept and reads back, but like QEMU (7.2,
 * checked: 0x04, 0x06 and 0x0E all reset, 0x02 does not) both kinds are a full reset here,
 * which under Xen becomes SHUTDOWN_reboot.
 */
import type { AccessSize } from '../../shared/io-bus.js';
import type { PortClaim, PortMappedDevice, RequestShutdown } from './device-effects.js';
import { isPortSize } from './port-access.js';

export const RESET_CONTROL_PORT = 0xcf9;
export const RCR_SYS_RST = 0x02;
export const RCR_RST_CPU = 0x04;

export class ResetControl implements PortMappedDevice {
  readonly name = 'piix3-reset-control';
  readonly portRanges: readonly PortClaim[] = [{ base: RESET_CONTROL_PORT, length: 1 }];
  private rcr = 0;

  constructor(private readonly shutdown: RequestShutdown) {}

  ioRead(_port: number, _size: AccessSize): number {
    return this.rcr;
  }

  ioWrite(_port: number, size: AccessSize, value: number): void {
    if (!isPortSize(size)) return;
    if (value & RCR_RST_CPU) {
      this.shutdown('reboot');
      return;
    }
    this.rcr = value & RCR_SYS_RST;
  }
}
