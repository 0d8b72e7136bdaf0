/**
 * Multiboot v1 (specification 0.6.96): finding and checking the header a guest image carries,
 * and writing the information structure a loader hands to the guest in EBX.
 * Pure functions over byte arrays; the ELF side is in elf-loader.ts.
 */

/** The header's first word. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at the guest's entry point. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie wholly inside the image's first 8192 bytes, 4-byte aligned. */
export const MULTIBOOT_SEARCH_BYTES = 8192;
const HEADER_BYTES = 12; // magic, flags, checksum

/** Header flags. Bits 0-15 are requirements: a loader must refuse an image asking for one it lacks. */
export const MultibootHeaderFlag = {
  PAGE_ALIGN: 1 << 0, // align modules on 4 KiB (no modules here, so trivially met)
  MEMORY_INFO: 1 << 1, // pass mem_lower/mem_upper
  VIDEO_MODE: 1 << 2, // set a video mode (not supported; QEMU refuses it too)
  AOUT_KLUDGE: 1 << 16, // load from the header's address fields instead of the ELF headers
} as const;

const SUPPORTED_REQUIRED_FLAGS = MultibootHeaderFlag.PAGE_ALIGN | MultibootHeaderFlag.MEMORY_INFO;

/** Info structure flags. */
export const MultibootInfoFlag = {
  MEMORY: 1 << 0,
  BOOT_DEVICE: 1 << 1,
  CMDLINE: 1 << 2,
} as const;

/** Size of the v1 information structure up to and including the VBE fields. */
export const MULTIBOOT_INFO_BYTES = 88;

/** Byte offsets of the fields this loader fills in. */
const INFO_FLAGS = 0;
const INFO_MEM_LOWER = 4;
const INFO_MEM_UPPER = 8;
const INFO_CMDLINE = 16;

/** KiB of conventional memory reported below 1 MiB: 640 KiB less the 1 KiB EBDA at 0x9FC00. */
export const MULTIBOOT_MEM_LOWER_KIB = 639;

export interface MultibootHeader {
  /** Byte offset of the header in the image file. */
  readonly offset: number;
  readonly flags: number;
}

export type MultibootHeaderSearch =
  | { readonly ok: true; readonly header: MultibootHeader }
  | { readonly ok: false; readonly reason: string };

/**
 * Find the multiboot header: the first 4-byte-aligned magic in the first 8192 bytes whose
 * checksum is right (a magic-looking word with a wrong checksum is skipped, as GRUB does, but
 * named in the failure reason), then check that every required feature is one we provide.
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
    const problem = unsupportedFlags(flags);
    if (problem) return { ok: false, reason: problem };
    return { ok: true, header: { offset: off, flags } };
  }
  if (badChecksumAt >= 0) {
    return { ok: false, reason: `multiboot header at offset 0x${badChecksumAt.toString(16)} has a bad checksum` };
  }
  return { ok: false, reason: `no multiboot header (magic 0x1badb002) in the first ${MULTIBOOT_SEARCH_BYTES} bytes` };
}

function unsupportedFlags(flags: number): string | undefined {
  if (flags & MultibootHeaderFlag.AOUT_KLUDGE) {
    return 'multiboot header asks for the a.out kludge (flag 16), which is not supported: load addresses must come from the ELF program headers';
  }
  if (flags & MultibootHeaderFlag.VIDEO_MODE) return 'multiboot header asks for a video mode (flag 2), which is not supported';
  const unknown = flags & 0xffff & ~SUPPORTED_REQUIRED_FLAGS;
  if (unknown) return `multiboot header requires unknown features (flags 0x${(unknown >>> 0).toString(16)})`;
  return undefined;
}

export interface MultibootInfoOptions {
  /** Guest RAM in bytes; mem_upper is the KiB above 1 MiB. */
  readonly ramBytes: number;
  /** Kernel command line; written, NUL-terminated, right after the structure. */
  readonly cmdline?: string;
}

export interface MultibootInfoLayout {
  /** Guest-physical address of the structure (the guest's EBX). */
  readonly infoAddr: number;
  readonly flags: number;
  readonly memLowerKiB: number;
  readonly memUpperKiB: number;
  /** Guest-physical address of the command line, if one was written. */
  readonly cmdlineAddr?: number;
  /** First byte past everything written. */
  readonly end: number;
}

/**
 * Write the multiboot information structure at guest-physical `addr` of `memory` (guest RAM
 * from address 0), plus the command line if given. Fields not provided are zeroed.
 */
export function writeMultibootInfo(memory: Uint8Array, addr: number, opts: MultibootInfoOptions): MultibootInfoLayout {
  if (!Number.isInteger(addr) || addr < 0 || addr % 4 !== 0) {
    throw new RangeError(`multiboot info address must be a 4-byte-aligned offset, got ${addr}`);
  }
  if (!Number.isInteger(opts.ramBytes) || opts.ramBytes < 0x100000) {
    throw new RangeError(`RAM must be at least 1 MiB, got ${opts.ramBytes} bytes`);
  }
  const cmdline = opts.cmdline === undefined ? undefined : new TextEncoder().encode(opts.cmdline);
  if (cmdline && cmdline.includes(0)) throw new RangeError('command line must not contain NUL');
  const end = addr + MULTIBOOT_INFO_BYTES + (cmdline ? cmdline.length + 1 : 0);
  if (end > memory.byteLength) {
    throw new RangeError(`multiboot info at 0x${addr.toString(16)} (${end - addr} bytes) does not fit in guest memory`);
  }

  const memLowerKiB = MULTIBOOT_MEM_LOWER_KIB;
  const memUpperKiB = Math.floor((opts.ramBytes - 0x100000) / 1024);
  let flags = MultibootInfoFlag.MEMORY;
  memory.fill(0, addr, end);
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  view.setUint32(addr + INFO_MEM_LOWER, memLowerKiB, true);
  view.setUint32(addr + INFO_MEM_UPPER, memUpperKiB, true);

  let cmdlineAddr: number | undefined;
  if (cmdline) {
    cmdlineAddr = addr + MULTIBOOT_INFO_BYTES;
    memory.set(cmdline, cmdlineAddr); // the terminating NUL is already there from fill()
    view.setUint32(addr + INFO_CMDLINE, cmdlineAddr, true);
    flags |= MultibootInfoFlag.CMDLINE;
  }
  view.setUint32(addr + INFO_FLAGS, flags, true);

  return { infoAddr: addr, flags, memLowerKiB, memUpperKiB, ...(cmdlineAddr !== undefined ? { cmdlineAddr } : {}), end };
}
