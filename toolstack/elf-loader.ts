/**
 * Guest image loading: check that a file is a multiboot v1 kernel — an ELF32 i386 executable, or
 * any file whose multiboot header asks for the a.out kludge (flag 16: load from the header's
 * address fields, which QEMU uses even for ELF files) — and list what goes where in
 * guest-physical memory. Parsing is pure; only readGuestImage touches the file system. Every
 * problem is a GuestImageError with a one-line message.
 */
import { readFileSync } from 'node:fs';
import { aoutLoadRange, findMultibootHeader, type MultibootAoutFields, type MultibootHeader } from './multiboot.js';

/** A guest image that cannot be run; the message is one line naming the problem. */
export class GuestImageError extends Error {
  override readonly name = 'GuestImageError';
}

export interface GuestSegment {
  /** Guest-physical load address. */
  readonly paddr: number;
  /** Bytes copied from the file (a view into the image, not a copy). */
  readonly fileBytes: Uint8Array;
  /** Bytes occupied in memory; those past fileBytes are zero (.bss). */
  readonly memSize: number;
}

export interface GuestImage {
  /** Guest-physical entry point. */
  readonly entry: number;
  /** Loadable segments in ascending address order. */
  readonly segments: readonly GuestSegment[];
  readonly multiboot: MultibootHeader;
  /** The span the image occupies, [low, high): the loader's data follows it (multiboot.ts). */
  readonly low: number;
  readonly high: number;
}

export interface GuestImageOptions {
  /** Guest RAM in bytes: every segment must lie below it. */
  readonly ramBytes?: number;
}

const ELF_HEADER_BYTES = 52;
const PROGRAM_HEADER_BYTES = 32;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const ET_EXEC = 2;
const EM_386 = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

const ELF_TYPE_NAMES: Record<number, string> = { 0: 'no type', 1: 'relocatable object', 3: 'shared object or PIE', 4: 'core dump' };
const MACHINE_NAMES: Record<number, string> = { 8: 'MIPS', 20: 'PowerPC', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

const hex = (n: number): string => `0x${n.toString(16)}`;

function fail(message: string): never {
  throw new GuestImageError(message);
}

/** Parse and validate an image held in memory. */
export function parseGuestImage(bytes: Uint8Array, opts: GuestImageOptions = {}): GuestImage {
  // One search serves both kinds: the a.out fields decide the layout, else the ELF headers do.
  const found = findMultibootHeader(bytes);
  if (found.ok && found.header.aout) return parseAoutImage(bytes, { ...found.header, aout: found.header.aout }, opts);
  if (bytes.byteLength < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail(found.ok ? 'not an ELF file (no \\x7fELF magic) and no multiboot header asking for the a.out kludge' : `not an ELF file (no \\x7fELF magic), and ${found.reason}`);
  }
  if (bytes.byteLength < ELF_HEADER_BYTES) fail(`truncated ELF header (${bytes.byteLength} bytes)`);
  const cls = bytes[4]!;
  if (cls === ELFCLASS64) fail('ELF64 image: guests must be 32-bit ELF (build with gcc -m32)');
  if (cls !== ELFCLASS32) fail(`unknown ELF class ${cls}`);
  if (bytes[5] !== ELFDATA2LSB) fail('big-endian ELF: guests must be little-endian');
  if (bytes[6] !== EV_CURRENT) fail(`unsupported ELF version ${bytes[6]}`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (off: number): number => view.getUint16(off, true);
  const u32 = (off: number): number => view.getUint32(off, true);

  const type = u16(16);
  if (type !== ET_EXEC) fail(`not an executable ELF (type ${type}: ${ELF_TYPE_NAMES[type] ?? 'unknown'}); link with -static -no-pie`);
  const machine = u16(18);
  if (machine !== EM_386) fail(`wrong machine ${machine} (${MACHINE_NAMES[machine] ?? 'unknown'}); expected EM_386 (3)`);
  const entryVirtual = u32(24);
  const phoff = u32(28);
  const phentsize = u16(42);
  const phnum = u16(44);
  if (phnum === 0) fail('no program headers');
  if (phentsize !== PROGRAM_HEADER_BYTES) fail(`program header size ${phentsize}, expected ${PROGRAM_HEADER_BYTES}`);
  if (phoff + phnum * PROGRAM_HEADER_BYTES > bytes.byteLength) fail('program headers lie outside the file');

  interface Loadable extends GuestSegment {
    readonly vaddr: number;
    readonly index: number;
  }
  const loadables: Loadable[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * PROGRAM_HEADER_BYTES;
    const pType = u32(ph);
    if (pType === PT_INTERP || pType === PT_DYNAMIC) fail('dynamically linked ELF: link with -static');
    if (pType !== PT_LOAD) continue;
    const offset = u32(ph + 4);
    const vaddr = u32(ph + 8);
    const paddr = u32(ph + 12);
    const filesz = u32(ph + 16);
    const memsz = u32(ph + 20);
    if (memsz === 0) continue;
    if (filesz > memsz) fail(`segment ${i}: file size ${hex(filesz)} exceeds memory size ${hex(memsz)}`);
    if (offset + filesz > bytes.byteLength) fail(`segment ${i}: file data ${hex(offset)}+${hex(filesz)} lies outside the file`);
    if (paddr + memsz > 2 ** 32) fail(`segment ${i}: ${hex(paddr)}+${hex(memsz)} wraps past 4 GiB`);
    if (opts.ramBytes !== undefined && paddr + memsz > opts.ramBytes) {
      fail(`segment ${i} (${hex(paddr)}-${hex(paddr + memsz - 1)}) lies outside guest RAM (${formatBytes(opts.ramBytes)})`);
    }
    loadables.push({ index: i, vaddr, paddr, memSize: memsz, fileBytes: bytes.subarray(offset, offset + filesz) });
  }
  if (loadables.length === 0) fail('no loadable (PT_LOAD) segments');

  loadables.sort((a, b) => a.paddr - b.paddr);
  for (let i = 1; i < loadables.length; i++) {
    const prev = loadables[i - 1]!;
    const cur = loadables[i]!;
    if (prev.paddr + prev.memSize > cur.paddr) fail(`segments ${prev.index} and ${cur.index} overlap at ${hex(cur.paddr)}`);
  }

  // e_entry is a virtual address; the CPU starts with paging off, so translate it through the
  // segment that contains it (for identity-linked guests this changes nothing).
  const home = loadables.find((s) => entryVirtual >= s.vaddr && entryVirtual - s.vaddr < s.memSize);
  if (!home) fail(`entry point ${hex(entryVirtual)} is outside every loadable segment`);
  const entry = entryVirtual - home.vaddr + home.paddr;

  if (!found.ok) fail(found.reason);

  const last = loadables[loadables.length - 1]!;
  return {
    entry,
    segments: loadables.map(({ paddr, fileBytes, memSize }) => ({ paddr, fileBytes, memSize })),
    multiboot: found.header,
    low: loadables[0]!.paddr,
    high: last.paddr + last.memSize,
  };
}

/** An image loaded by its a.out-kludge fields: one segment, whatever the file's format. */
function parseAoutImage(bytes: Uint8Array, header: MultibootHeader & { readonly aout: MultibootAoutFields }, opts: GuestImageOptions): GuestImage {
  const r = aoutLoadRange(bytes.byteLength, header);
  if (typeof r === 'string') fail(r);
  if (opts.ramBytes !== undefined && r.loadAddr + r.memSize > opts.ramBytes) {
    fail(`a.out kludge: the image (${hex(r.loadAddr)}-${hex(r.loadAddr + r.memSize - 1)}) lies outside guest RAM (${formatBytes(opts.ramBytes)})`);
  }
  return {
    entry: r.entry,
    segments: [{ paddr: r.loadAddr, fileBytes: bytes.subarray(r.fileOffset, r.fileOffset + r.fileSize), memSize: r.memSize }],
    multiboot: header,
    low: r.loadAddr,
    high: r.loadAddr + r.memSize,
  };
}

/** Read and validate an image file; messages are prefixed with the path. */
export function readGuestImage(path: string, opts: GuestImageOptions = {}): GuestImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new GuestImageError(`${path}: cannot read guest image (${code})`);
  }
  try {
    return parseGuestImage(bytes, opts);
  } catch (err) {
    if (err instanceof GuestImageError) throw new GuestImageError(`${path}: ${err.message}`);
    throw err;
  }
}

/**
 * Copy an image's segments into guest RAM (guest-physical address 0 at index 0) and zero
 * each segment's tail past its file bytes.
 */
export function placeGuestImage(ram: Uint8Array, image: GuestImage): void {
  for (const s of image.segments) {
    if (s.paddr + s.memSize > ram.byteLength) {
      throw new GuestImageError(`segment at ${hex(s.paddr)}+${hex(s.memSize)} lies outside guest RAM (${formatBytes(ram.byteLength)})`);
    }
    ram.set(s.fileBytes, s.paddr);
    ram.fill(0, s.paddr + s.fileBytes.byteLength, s.paddr + s.memSize);
  }
}

function formatBytes(n: number): string {
  return n % 0x100000 === 0 ? `${n / 0x100000} MiB` : `${n} bytes`;
}
