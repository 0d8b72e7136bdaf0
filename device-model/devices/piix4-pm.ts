/**
 * PIIX4 ACPI power management, PM1a event and control registers at 0x600–0x605, and the
 * PCI function (00:01.3, 8086:7113) that announces them.
 *
 * On QEMU's `pc` the block is decoded only once firmware sets PMBA (config 0x40) and
 * PMREGMISC bit 0 (config 0x80). Checked with qemu-system-i386 7.2: with a bare ROM (no
 * firmware) PMBA reads 0x00000001 and a write of 0x2000 to 0x604 does nothing; under
 * `-kernel`, both SeaBIOS (the default) and qboot leave PMBA = 0x601 and PMREGMISC = 1 before
 * the kernel runs, so a -kernel guest finds PM1a_CNT at 0x604. hvmsim's guests start in that
 * state, so the block is fixed at 0x600 and PMBA/PMREGMISC read back those values but cannot
 * move it.
 *
 * Sleep (SLP_EN, bit 13 of PM1a_CNT, with SLP_TYP in bits 12:10) as QEMU's pc encodes it
 * (its DSDT: S5 = 0, S4 = 2; S3 = 1): SLP_TYP 0 or 2 powers off — QEMU checked: 0x2000 and
 * 0x2800 power off, 0x3400, 0x3C00 and 0x1C00 (no SLP_EN) do not. S3 (0x2400) suspends
 * QEMU; suspend is not modelled here, so it has no effect. QEMU acts only on 16-bit writes
 * (a byte write of 0x20 to 0x605 or a 32-bit write of 0x2000 to 0x604 leaves it running),
 * and so does this device.
 *
 * In Xen the PM1a event registers and PM timer are emulated by the hypervisor at its own
 * ACPI ports; here the status/enable pair lives with PM1a_CNT, as on QEMU's pc. The PM timer
 * (0x608) is not part of this device.
 */
import type { AccessSize, Device, DeviceResources } from '../../shared/io-bus.js';
import type { RaiseIrq, RequestShutdown } from './device-effects.js';
import { PciConfigSpace, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_COMMAND_SERR } from './pci-config-space.js';
import { sbdf } from './pci-host.js';

export const PM_FUNCTION_BDF = sbdf(0, 1, 3);
export const PM_BASE = 0x600;
export const PM1A_STS = PM_BASE;
export const PM1A_EN = PM_BASE + 2;
export const PM1A_CNT = PM_BASE + 4;
export const SCI_IRQ = 9;

export const PM1_TMR_STS = 0x0001;
export const PM1_GBL_STS = 0x0020;
export const PM1_PWRBTN_STS = 0x0100;
export const PM1_RTC_STS = 0x0400;
export const PM1_WAK_STS = 0x8000;
/** Status bits that raise the SCI when enabled (same bits in PM1a_EN). */
const SCI_SOURCES = PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS;

export const PM1_SCI_EN = 0x0001;
export const SLP_TYP_SHIFT = 10;
export const SLP_EN = 0x2000;
/** SLP_TYP values of QEMU's pc DSDT. */
export const SLP_TYP_S5 = 0;
export const SLP_TYP_S3 = 1;
export const SLP_TYP_S4 = 2;

/** PIIX4 PM config registers: PM I/O base (bit 0 = I/O space) and PMREGMISC (bit 0 = decode on). */
export const PIIX4_PMBA = 0x40;
export const PIIX4_PMREGMISC = 0x80;

export interface Piix4PmOptions {
  shutdown: RequestShutdown;
  raiseIrq: RaiseIrq;
}

export class Piix4Pm implements Device {
  readonly name = 'piix4-pm';
  /**
   * The registers, its PCI function and the SCI. Reads take any width (bytes from consecutive
   * registers); writes act by width — byte and word only, and SLP_EN only in a 16-bit write, as
   * QEMU behaves (header) — so the handlers take every size rather than have the bus split them.
   */
  readonly resources: DeviceResources = {
    ports: [{ base: PM_BASE, length: 6, read: (o, s) => this.read(o, s), write: (o, s, v) => this.write(o, s, v) }],
    pci: [{ sbdf: PM_FUNCTION_BDF, config: createPiix4PmFunction() }],
    irqs: [SCI_IRQ],
  };
  private readonly shutdown: RequestShutdown;
  private readonly raiseIrq: RaiseIrq;
  private status = 0;
  private enable = 0;
  private control = 0;
  private sciLevel = false;

  constructor(options: Piix4PmOptions) {
    this.shutdown = options.shutdown;
    this.raiseIrq = options.raiseIrq;
  }

  /** The power button (Xen: `xl trigger … power`): PWRBTN_STS, and an SCI if enabled. */
  pressPowerButton(): void {
    this.status |= PM1_PWRBTN_STS;
    this.updateSci();
  }

  get sciAsserted(): boolean {
    return this.sciLevel;
  }

  private read(offset: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(offset + i) << (8 * i);
    return value >>> 0;
  }

  private write(offset: number, size: AccessSize, value: number): void {
    if (size !== 1 && size !== 2) return;
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
    if (size === 2 && offset === PM1A_CNT - PM_BASE && value & SLP_EN) this.sleep((value >>> SLP_TYP_SHIFT) & 7);
    this.updateSci();
  }

  private readByte(offset: number): number {
    const reg = offset < 2 ? this.status : offset < 4 ? this.enable : offset < 6 ? this.control : 0;
    return (reg >>> (8 * (offset & 1))) & 0xff;
  }

  private writeByte(offset: number, byte: number): void {
    const shift = 8 * (offset & 1);
    const lane = 0xff << shift;
    const bits = byte << shift;
    if (offset < 2) this.status &= ~bits; // write 1 to clear
    else if (offset < 4) this.enable = (this.enable & ~lane) | bits;
    else if (offset < 6) this.control = ((this.control & ~lane) | bits) & ~SLP_EN; // SLP_EN reads 0
  }

  private sleep(type: number): void {
    if (type === SLP_TYP_S5 || type === SLP_TYP_S4) this.shutdown('poweroff');
  }

  private updateSci(): void {
    const level = (this.status & this.enable & SCI_SOURCES) !== 0;
    if (level === this.sciLevel) return;
    this.sciLevel = level;
    this.raiseIrq(SCI_IRQ, level);
  }
}

/** The PIIX4 PM PCI function (00:01.3) as a -kernel guest on QEMU finds it after SeaBIOS. */
export function createPiix4PmFunction(): PciConfigSpace {
  const fn = new PciConfigSpace({
    name: 'PIIX4 PM',
    vendorId: 0x8086,
    deviceId: 0x7113,
    revision: 0x03,
    classCode: 0x068000,
    subsystemVendorId: 0x1af4,
    subsystemId: 0x1100,
    command: PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR,
    status: 0x0280,
    interruptPin: 1,
    interruptLine: SCI_IRQ,
  });
  fn.defineRegister(PIIX4_PMBA, 4, PM_BASE | 1);
  fn.defineRegister(PIIX4_PMREGMISC, 1, 0x01);
  return fn;
}
