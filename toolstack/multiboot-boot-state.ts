/**
 * The machine state QEMU 7.2's multiboot option ROM leaves at a kernel's entry, reproduced
 * exactly (test/boot-state.test.ts runs guests/boot-state under both and compares):
 *
 * - a GDT inside the ROM's copy in the option-ROM area, whose 0x08 and 0x10 selectors are the
 *   CS and the data segments the kernel starts with (flat 4 GiB, 32-bit), so a kernel that
 *   builds IDT gates from its current CS takes interrupts without loading a GDT of its own;
 *   the data descriptor has its accessed bit set, because the ROM loaded DS..SS from it (the
 *   far jump that loaded CS leaves its descriptor untouched under QEMU);
 * - IDTR still the real-mode IVT (base 0, limit 0x3FF), LDTR and TR 0;
 * - EAX the multiboot magic, EBX the information, ECX the entry (the ROM jumps through it),
 *   EDX the ROM's last fw_cfg port (0x511) under the high half of mem_upper, EDI 0x1000 and
 *   ESP 0x6F08 left over from the ROM's real-mode work, ESI and EBP 0;
 * - EFLAGS 0x6 (PF from the ROM's last comparison, bit 1), CR0 = PE | ET.
 *
 * The memory map leaves 0xA0000-0xEFFFF out, so the GDT lies in memory the kernel is told is
 * not RAM (firmware-memory-map.ts).
 */
import type { BootCpuState } from '../shared/boot-cpu-state.js';
import { placeGuestImage, type GuestImage } from './elf-loader.js';
import { firmwareMemoryMap } from './firmware-memory-map.js';
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT_INFO_ADDR, writeMultibootHandover, type MultibootModule } from './multiboot.js';

/** Where QEMU's ROM copy keeps its GDT (the ROM's placement after the VGA BIOS under `pc`). */
export const BOOT_GDT_ADDR = 0xcb2b8;
export const BOOT_CODE_SELECTOR = 0x08;
export const BOOT_DATA_SELECTOR = 0x10;

/** The ROM's five descriptors, bytes in memory order. */
const BOOT_GDT: readonly (readonly number[])[] = [
  [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // null
  [0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00], // 0x08: code, base 0, 4 GiB, 32-bit, execute/read
  [0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00], // 0x10: data, base 0, 4 GiB, read/write, accessed
  [0xff, 0xff, 0x00, 0x00, 0x00, 0x9e, 0x00, 0x00], // 0x18: 16-bit code, 64 KiB, conforming
  [0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00], // 0x20: 16-bit data, 64 KiB
];
export const BOOT_GDT_LIMIT = BOOT_GDT.length * 8 - 1;

const ROM_ESP = 0x6f08;
const ROM_EDI = 0x1000;
const ROM_FW_CFG_PORT = 0x511;
const ROM_EFLAGS = 0x6;
const CR0_PE_ET = 0x11;

/** Write the ROM's GDT into guest RAM (guest-physical address 0 at index 0). */
export function writeBootGdt(ram: Uint8Array): void {
  BOOT_GDT.forEach((d, i) => ram.set(d, BOOT_GDT_ADDR + 8 * i));
}

/** vCPU 0's state at a multiboot kernel's entry, given mem_upper as the information reports it. */
export function multibootBootState(entry: number, memUpperKiB: number): BootCpuState {
  const eax = MULTIBOOT_BOOTLOADER_MAGIC;
  const ebx = MULTIBOOT_INFO_ADDR;
  const ecx = entry >>> 0;
  const edx = ((memUpperKiB & 0xffff0000) | ROM_FW_CFG_PORT) >>> 0;
  return {
    eip: entry >>> 0,
    gpr: [eax, ecx, edx, ebx, ROM_ESP, 0, 0, ROM_EDI],
    eflags: ROM_EFLAGS,
    cr0: CR0_PE_ET,
    gdtBase: BOOT_GDT_ADDR,
    gdtLimit: BOOT_GDT_LIMIT,
    idtBase: 0,
    idtLimit: 0x3ff,
    codeSelector: BOOT_CODE_SELECTOR,
    dataSelector: BOOT_DATA_SELECTOR,
  };
}

/**
 * Load a kernel into guest RAM (guest-physical 0 at index 0) as QEMU's -kernel does: the image,
 * the loader's handover (information, map, command line, modules) and the ROM's GDT. Returns
 * vCPU 0's state at the entry.
 */
export function loadMultibootKernel(ram: Uint8Array, image: GuestImage, opts: { readonly cmdline: string; readonly modules?: readonly MultibootModule[] }): BootCpuState {
  placeGuestImage(ram, image);
  const handover = writeMultibootHandover(ram, {
    ramBytes: ram.byteLength,
    kernelLow: image.low,
    kernelHigh: image.high,
    cmdline: opts.cmdline,
    modules: opts.modules,
    memoryMap: firmwareMemoryMap(ram.byteLength),
  });
  writeBootGdt(ram);
  return multibootBootState(image.entry, handover.memUpperKiB);
}
