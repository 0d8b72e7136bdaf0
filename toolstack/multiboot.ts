/**
 * Multiboot v1 (specification 0.6.96) as QEMU 7.2's `-kernel` loader implements it: finding and
 * checking the header a guest image carries (with the a.out-kludge address fields), and laying
 * out what the loader hands the kernel — the information structure, the memory map, the command
 * line, the loader's name and the modules — exactly where QEMU puts them, so a kernel sees the
 * same addresses under both (test/boot-state.test.ts compares them).
 *
 * QEMU builds one blob at the kernel's load address L: the kernel (K bytes, BSS included), then
 * at L + page_align(K) the module descriptors, then the strings (each module's, the command
 * line, the loader name), then each module's data on a page boundary of its own. The structure
 * itself is at 0x9500 and the memory map at 0x9000, written by its option ROM.
 * Pure functions over byte arrays; the ELF side is in elf-loader.ts.
 */
import { PAGE_SIZE } from '../shared/p2m.js';
import { E820_ENTRY_BYTES, E820Type, type E820Entry } from './firmware-memory-map.js';

/** The header's first word. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at the guest's entry point. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie wholly inside the image's first 8192 bytes, 4-byte aligned. */
export const MULTIBOOT_SEARCH_BYTES = 8192;
const HEADER_BYTES = 12; // magic, flags, checksum
const AOUT_HEADER_BYTES = 32; // plus header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr

/** Header flags. Bits 0-15 are requirements, bits 16-31 options. */
export const MultibootHeaderFlag = {
  PAGE_ALIGN: 1 << 0, // align modules on 4 KiB (always done)
  MEMORY_INFO: 1 << 1, // pass mem_lower/mem_upper and the map (always done)
  VIDEO_MODE: 1 << 2, // set a video mode: QEMU only warns and passes no video information
  AOUT_KLUDGE: 1 << 16, // load from the header's address fields instead of the ELF headers
} as const;

/** Info structure flags. */
export const MultibootInfoFlag = {
  MEMORY: 1 << 0,
  BOOT_DEVICE: 1 << 1,
  CMDLINE: 1 << 2,
  MODULES: 1 << 3,
  MEMORY_MAP: 1 << 6,
  LOADER_NAME: 1 << 9,
} as const;

/** What QEMU's loader always provides. */
export const MULTIBOOT_INFO_FLAGS =
  MultibootInfoFlag.MEMORY |
  MultibootInfoFlag.BOOT_DEVICE |
  MultibootInfoFlag.CMDLINE |
  MultibootInfoFlag.MODULES |
  MultibootInfoFlag.MEMORY_MAP |
  MultibootInfoFlag.LOADER_NAME;

/** Size of the v1 information structure up to and including the VBE fields. */
export const MULTIBOOT_INFO_BYTES = 88;
/** Where QEMU's option ROM leaves the structure (EBX) and the memory map it reads from the BIOS. */
export const MULTIBOOT_INFO_ADDR = 0x9500;
export const MULTIBOOT_MMAP_ADDR = 0x9000;
/** The map's buffer ends where the structure starts. */
const MMAP_CAPACITY = MULTIBOOT_INFO_ADDR - MULTIBOOT_MMAP_ADDR;
/** "No BIOS drive; partitions unused": QEMU's fixed boot_device. */
export const MULTIBOOT_BOOT_DEVICE = 0x8000ffff;
/** Named honestly: the one field where hvmsim's handover differs from QEMU's ("qemu"). */
export const MULTIBOOT_LOADER_NAME = 'hvmsim';
const MODULE_DESCRIPTOR_BYTES = 16; // mod_start, mod_end, string, reserved

/** Byte offsets of the structure's fields. */
const Info = {
  FLAGS: 0,
  MEM_LOWER: 4,
  MEM_UPPER: 8,
  BOOT_DEVICE: 12,
  CMDLINE: 16,
  MODS_COUNT: 20,
  MODS_ADDR: 24,
  MMAP_LENGTH: 44,
  MMAP_ADDR: 48,
  LOADER_NAME: 64,
} as const;

/** KiB of conventional memory reported below 1 MiB: 640 KiB less the 1 KiB EBDA at 0x9FC00. */
export const MULTIBOOT_MEM_LOWER_KIB = 639;

/** The a.out-kludge fields (flag 16): where to load the file and where to start it. */
export interface MultibootAoutFields {
  readonly headerAddr: number;
  readonly loadAddr: number;
  /** 0: load to the end of the file. */
  readonly loadEndAddr: number;
  /** 0: no BSS. */
  readonly bssEndAddr: number;
  readonly entryAddr: number;
}

export interface MultibootHeader {
  /** Byte offset of the header in the image file. */
  readonly offset: number;
  readonly flags: number;
  /** Present when flag 16 is set. */
  readonly aout?: MultibootAoutFields;
  /** Requests the loader does not honour but, as QEMU, runs the image anyway. */
  readonly warnings: readonly string[];
}

export type MultibootHeaderSearch =
  | { readonly ok: true; readonly header: MultibootHeader }
  | { readonly ok: false; readonly reason: string };

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/**
 * Find the multiboot header: the first 4-byte-aligned magic in the first 8192 bytes whose
 * checksum is right (a magic-looking word with a wrong checksum is skipped, as GRUB does, but
 * named in the failure reason).
 */
export function findMultibootHeader(image: Uint8Array): MultibootHeaderSearch {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.byteLength, MULTIBOOT_SEARCH_BYTES) - HEADER_BYTES;
  let badChecksumAt = -1;
  for (let off = 0; off <= limit; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(off + 4, true);
    const checksum = view.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      if (badChecksumAt < 0) badChecksumAt = off;
      continue;
    }
    const warnings: string[] = [];
    if (flags & MultibootHeaderFlag.VIDEO_MODE) warnings.push('multiboot header asks for a video mode (flag 2): no video information is passed');
    const unknown = flags & 0xffff & ~(MultibootHeaderFlag.PAGE_ALIGN | MultibootHeaderFlag.MEMORY_INFO | MultibootHeaderFlag.VIDEO_MODE);
    if (unknown) warnings.push(`multiboot header requires unknown features (flags ${hex(unknown)}); running it anyway, as QEMU does`);
    if (!(flags & MultibootHeaderFlag.AOUT_KLUDGE)) return { ok: true, header: { offset: off, flags, warnings } };
    if (off + AOUT_HEADER_BYTES > image.byteLength) {
      return { ok: false, reason: `multiboot header at offset ${hex(off)} asks for the a.out kludge but its address fields lie past the end of the file` };
    }
    const aout: MultibootAoutFields = {
      headerAddr: view.getUint32(off + 12, true),
      loadAddr: view.getUint32(off + 16, true),
      loadEndAddr: view.getUint32(off + 20, true),
      bssEndAddr: view.getUint32(off + 24, true),
      entryAddr: view.getUint32(off + 28, true),
    };
    return { ok: true, header: { offset: off, flags, aout, warnings } };
  }
  if (badChecksumAt >= 0) {
    return { ok: false, reason: `multiboot header at offset ${hex(badChecksumAt)} has a bad checksum` };
  }
  return { ok: false, reason: `no multiboot header (magic 0x1badb002) in the first ${MULTIBOOT_SEARCH_BYTES} bytes` };
}

/**
 * The part of the file an a.out-kludge header loads, checked as QEMU checks it: the header's own
 * address locates load_addr in the file. Returns the file range, the load address, the bytes in
 * memory (BSS included) and the entry; a string names what is wrong.
 */
export function aoutLoadRange(
  fileBytes: number,
  header: MultibootHeader & { readonly aout: MultibootAoutFields },
): { fileOffset: number; fileSize: number; loadAddr: number; memSize: number; entry: number } | string {
  const a = header.aout;
  if (a.headerAddr < a.loadAddr) return `a.out kludge: header_addr ${hex(a.headerAddr)} is below load_addr ${hex(a.loadAddr)}`;
  if (a.headerAddr - a.loadAddr > header.offset) {
    return `a.out kludge: load_addr ${hex(a.loadAddr)} would lie before the start of the file (header at offset ${hex(header.offset)}, header_addr ${hex(a.headerAddr)})`;
  }
  const fileOffset = header.offset - (a.headerAddr - a.loadAddr);
  let fileSize: number;
  if (a.loadEndAddr === 0) fileSize = fileBytes - fileOffset;
  else if (a.loadEndAddr < a.loadAddr) return `a.out kludge: load_end_addr ${hex(a.loadEndAddr)} is below load_addr ${hex(a.loadAddr)}`;
  else fileSize = a.loadEndAddr - a.loadAddr;
  if (fileOffset + fileSize > fileBytes) {
    return `a.out kludge: load_addr..load_end_addr (${hex(a.loadAddr)}..${hex(a.loadAddr + fileSize)}) runs past the end of the file`;
  }
  if (a.loadAddr + fileSize > 2 ** 32) return `a.out kludge: the image at ${hex(a.loadAddr)} wraps past 4 GiB`;
  let memSize = fileSize;
  if (a.bssEndAddr !== 0) {
    if (a.bssEndAddr < a.loadAddr + fileSize) return `a.out kludge: bss_end_addr ${hex(a.bssEndAddr)} is below the end of the loaded file data ${hex(a.loadAddr + fileSize)}`;
    memSize = a.bssEndAddr - a.loadAddr;
  }
  return { fileOffset, fileSize, loadAddr: a.loadAddr, memSize, entry: a.entryAddr };
}

/** A boot module (`--module FILE[,STRING]`, QEMU's `-initrd "FILE STRING,…"`). */
export interface MultibootModule {
  readonly bytes: Uint8Array;
  /** The module's string as the kernel sees it: the file name, then the arguments if any. */
  readonly string: string;
}

export interface MultibootHandoverOptions {
  /** Guest RAM in bytes. */
  readonly ramBytes: number;
  /** The kernel's span in memory, [low, high) (BSS included): the blob starts at page_align(high - low) past low. */
  readonly kernelLow: number;
  readonly kernelHigh: number;
  /** The whole command line, as QEMU makes it: the kernel's path, a space, then the appended text. */
  readonly cmdline: string;
  readonly modules?: readonly MultibootModule[];
  /** The firmware's memory map (firmware-memory-map.ts). */
  readonly memoryMap: readonly E820Entry[];
}

export interface MultibootHandover {
  /** Guest-physical address of the structure (the guest's EBX). */
  readonly infoAddr: number;
  readonly memLowerKiB: number;
  readonly memUpperKiB: number;
  readonly cmdlineAddr: number;
  readonly modsAddr: number;
  /** Each module's guest-physical range [start, end). */
  readonly modules: readonly { readonly start: number; readonly end: number; readonly stringAddr: number }[];
  /** First byte past the blob (the last module's end, or the strings'). */
  readonly end: number;
}

export class MultibootLayoutError extends Error {}

const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

function encodeString(s: string, what: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  if (bytes.includes(0)) throw new MultibootLayoutError(`${what} must not contain NUL`);
  return bytes;
}

/**
 * mem_upper as QEMU's option ROM works it out from the map: from 1 MiB, follow RAM entries
 * below 4 GiB that contain the current end, however the map is ordered.
 */
export function memUpperFromMap(map: readonly E820Entry[]): number {
  let cur = 0x100000;
  for (let moved = true; moved; ) {
    moved = false;
    for (const e of map) {
      if (e.type !== E820Type.RAM || e.base >= 2 ** 32) continue;
      if (e.base <= cur && cur < e.base + e.length) {
        cur = e.base + e.length;
        moved = true;
      }
    }
  }
  return Math.floor((cur - 0x100000) / 1024);
}

/**
 * Write what the loader hands over into `memory` (guest RAM from address 0): the blob after the
 * kernel (module descriptors, strings, module data) and, in low memory, the memory map and the
 * information structure. Throws MultibootLayoutError when something does not fit.
 */
export function writeMultibootHandover(memory: Uint8Array, opts: MultibootHandoverOptions): MultibootHandover {
  const modules = opts.modules ?? [];
  if (opts.kernelHigh < opts.kernelLow) throw new RangeError('kernel span must not be negative');
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const ramTop = Math.min(memory.byteLength, opts.ramBytes);

  const modsAddr = opts.kernelLow + pageAlign(opts.kernelHigh - opts.kernelLow);
  const strings = [...modules.map((m, i) => encodeString(m.string, `module ${i + 1}'s string`)), encodeString(opts.cmdline, 'the command line'), encodeString(MULTIBOOT_LOADER_NAME, 'loader name')];
  const stringAddrs: number[] = [];
  let at = modsAddr + MODULE_DESCRIPTOR_BYTES * modules.length;
  for (const s of strings) {
    stringAddrs.push(at);
    at += s.length + 1;
  }
  const placed: { start: number; end: number; stringAddr: number }[] = [];
  for (const [i, m] of modules.entries()) {
    const start = pageAlign(at);
    placed.push({ start, end: start + m.bytes.byteLength, stringAddr: stringAddrs[i]! });
    at = start + m.bytes.byteLength;
  }
  const end = at;
  if (end > ramTop) {
    const what = modules.length ? `the kernel and its ${modules.length} module(s)` : 'the kernel, its command line and the loader name';
    throw new MultibootLayoutError(`${what} need guest RAM up to ${hex(end)}, past the end of RAM (${hex(ramTop)}); give --memory more`);
  }
  if (opts.kernelLow < MULTIBOOT_INFO_ADDR + MULTIBOOT_INFO_BYTES && end > MULTIBOOT_MMAP_ADDR) {
    throw new MultibootLayoutError(`the kernel and its loader data (${hex(opts.kernelLow)}..${hex(end)}) would overlap the multiboot information at ${hex(MULTIBOOT_MMAP_ADDR)}..${hex(MULTIBOOT_INFO_ADDR + MULTIBOOT_INFO_BYTES)}`);
  }

  // The blob.
  memory.fill(0, modsAddr, end);
  for (const [i, m] of placed.entries()) {
    const d = modsAddr + MODULE_DESCRIPTOR_BYTES * i;
    view.setUint32(d, m.start, true);
    view.setUint32(d + 4, m.end, true);
    view.setUint32(d + 8, m.stringAddr, true);
    memory.set(modules[i]!.bytes, m.start);
  }
  for (const [i, s] of strings.entries()) memory.set(s, stringAddrs[i]!);

  // The memory map, as the ROM stores E820 results: a size word (20) before each 20-byte entry.
  const mapBytes = opts.memoryMap.length * (E820_ENTRY_BYTES + 4);
  if (mapBytes > MMAP_CAPACITY) throw new MultibootLayoutError(`memory map of ${opts.memoryMap.length} entries does not fit in ${MMAP_CAPACITY} bytes`);
  memory.fill(0, MULTIBOOT_MMAP_ADDR, MULTIBOOT_INFO_ADDR + MULTIBOOT_INFO_BYTES);
  opts.memoryMap.forEach((e, i) => {
    const p = MULTIBOOT_MMAP_ADDR + i * (E820_ENTRY_BYTES + 4);
    view.setUint32(p, E820_ENTRY_BYTES, true);
    view.setBigUint64(p + 4, BigInt(e.base), true);
    view.setBigUint64(p + 12, BigInt(e.length), true);
    view.setUint32(p + 20, e.type, true);
  });

  const memUpperKiB = memUpperFromMap(opts.memoryMap);
  const mbi = MULTIBOOT_INFO_ADDR;
  view.setUint32(mbi + Info.FLAGS, MULTIBOOT_INFO_FLAGS, true);
  view.setUint32(mbi + Info.MEM_LOWER, MULTIBOOT_MEM_LOWER_KIB, true);
  view.setUint32(mbi + Info.MEM_UPPER, memUpperKiB, true);
  view.setUint32(mbi + Info.BOOT_DEVICE, MULTIBOOT_BOOT_DEVICE, true);
  view.setUint32(mbi + Info.CMDLINE, stringAddrs[modules.length]!, true);
  view.setUint32(mbi + Info.MODS_COUNT, modules.length, true);
  view.setUint32(mbi + Info.MODS_ADDR, modsAddr, true);
  view.setUint32(mbi + Info.MMAP_LENGTH, mapBytes, true);
  view.setUint32(mbi + Info.MMAP_ADDR, MULTIBOOT_MMAP_ADDR, true);
  view.setUint32(mbi + Info.LOADER_NAME, stringAddrs[modules.length + 1]!, true);

  return {
    infoAddr: mbi,
    memLowerKiB: MULTIBOOT_MEM_LOWER_KIB,
    memUpperKiB,
    cmdlineAddr: stringAddrs[modules.length]!,
    modsAddr,
    modules: placed,
    end,
  };
}
