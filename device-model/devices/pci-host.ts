/**
 * The PCI host: configuration mechanism #1 on ports 0xCF8 (address) and 0xCFC–0xCFF (data),
 * and the same config space addressed by SBDF, which is how Xen hands it over: the hypervisor
 * latches 0xCF8 itself and turns data-port accesses into IOREQ_TYPE_PCI_CONFIG requests with
 * addr = (SBDF << 32) | register (Xen's arch/x86/hvm/emulate.c, hvmemul_do_io). Both paths reach the same functions.
 *
 * Checked against qemu-system-i386 7.2: only 32-bit writes load 0xCF8, which reads back as
 * written (narrower reads see its low bytes); with bit 31 clear, or for an absent function,
 * the data ports read all ones. Unlike QEMU, which ORs CF8 bits 1:0 into the register number,
 * those bits are ignored here, as Xen's decode and the PCI spec do; and a data-port access
 * that is not aligned (say a word at 0xCFD) reads the config bytes it covers, as a
 * PCI_CONFIG request for that register would, where QEMU's port path drops it (reads 0).
 */
import type { AccessSize, Device, DeviceResources, IoBus } from '../../shared/io-bus.js';
import type { ConfigAccessSize } from './pci-config-space.js';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
const CF8_ENABLE = 0x80000000;

/** SBDF as Xen encodes it: segment << 16 | bus << 8 | device << 3 | function. */
export function sbdf(bus: number, device: number, fn: number, segment = 0): number {
  return ((segment & 0xffff) * 0x10000 + ((bus & 0xff) << 8) + ((device & 0x1f) << 3) + (fn & 7)) >>> 0;
}

export function formatBdf(id: number): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${hex(Math.floor(id / 0x10000), 4)}:${hex((id >>> 8) & 0xff, 2)}:${hex((id >>> 3) & 0x1f, 2)}.${id & 7}`;
}

/**
 * The functions themselves are devices on the bus (their `pci` resources); the host only
 * reaches them, by SBDF, through the bus's function table.
 */
export class PciHost implements Device {
  readonly name = 'pci-host';
  // 0xCF9 is the reset control register, a separate device; 0xCFA/0xCFB are not decoded.
  readonly resources: DeviceResources = {
    ports: [
      {
        base: PCI_CONFIG_ADDRESS,
        length: 1,
        read: () => this.cf8,
        write: (_o, size, value) => {
          if (size === 4) this.cf8 = value >>> 0;
        },
      },
      { base: PCI_CONFIG_DATA, length: 4, read: (o, s) => this.dataRead(o, s), write: (o, s, v) => this.dataWrite(o, s, v) },
    ],
  };
  private cf8 = 0;

  constructor(private readonly bus: IoBus) {}

  // ---- SBDF-addressed path (PCI_CONFIG ioreqs) ----

  /** Config read for a PCI_CONFIG ioreq. Absent functions and bad sizes read all ones. */
  configRead(id: number, reg: number, size: number): number {
    if (!isConfigSize(size)) return 0xffffffff;
    const fn = this.bus.pciFunction(id);
    if (!fn || !Number.isInteger(reg) || reg < 0) return allOnes(size);
    return fn.configRead(reg, size);
  }

  /** Config write for a PCI_CONFIG ioreq. Writes to absent functions are dropped. */
  configWrite(id: number, reg: number, size: number, value: number): void {
    if (!isConfigSize(size)) return;
    const fn = this.bus.pciFunction(id);
    if (!fn || !Number.isInteger(reg) || reg < 0) return;
    fn.configWrite(reg, size, value >>> 0);
  }

  // ---- port path (mechanism #1) ----

  private dataRead(offset: number, size: AccessSize): number {
    if (!(this.cf8 & CF8_ENABLE)) return 0xffffffff;
    return this.configRead(this.addressedFunction(), (this.cf8 & 0xfc) + offset, size);
  }

  private dataWrite(offset: number, size: AccessSize, value: number): void {
    if (!(this.cf8 & CF8_ENABLE)) return;
    this.configWrite(this.addressedFunction(), (this.cf8 & 0xfc) + offset, size, value);
  }

  /** The latched 0xCF8 value (the hypervisor keeps its own copy, as Xen does). */
  get configAddress(): number {
    return this.cf8;
  }

  private addressedFunction(): number {
    return (this.cf8 >>> 8) & 0xffff; // bus 23:16, device 15:11, function 10:8
  }
}

function allOnes(size: ConfigAccessSize): number {
  return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
}

function isConfigSize(size: number): size is ConfigAccessSize {
  return size === 1 || size === 2 || size === 4;
}
