/**
 * The PIIX3 reset control register at port 0xCF9. A write with bit 2 (RST_CPU) set resets
 * the machine; bit 1 (SYS_RST, hard vs. soft) is kept and reads back, but like QEMU (7.2,
 * checked: 0x04, 0x06 and 0x0E all reset, 0x02 does not) both kinds are a full reset here,
 * which under Xen becomes SHUTDOWN_reboot.
 */
import type { Device, DeviceResources } from '../../shared/io-bus.js';
import type { RequestShutdown } from './device-effects.js';

export const RESET_CONTROL_PORT = 0xcf9;
export const RCR_SYS_RST = 0x02;
export const RCR_RST_CPU = 0x04;

export class ResetControl implements Device {
  readonly name = 'piix3-reset-control';
  // A byte register; a wider access reaches it with its low byte (QEMU's rcr_ops implement byte accesses only).
  readonly resources: DeviceResources = {
    ports: [{ base: RESET_CONTROL_PORT, length: 1, impl: { min: 1, max: 1 }, read: () => this.rcr, write: (_o, _s, v) => this.write(v) }],
  };
  private rcr = 0;

  constructor(private readonly shutdown: RequestShutdown) {}

  private write(value: number): void {
    if (value & RCR_RST_CPU) {
      this.shutdown('reboot');
      return;
    }
    this.rcr = value & RCR_SYS_RST;
  }
}
