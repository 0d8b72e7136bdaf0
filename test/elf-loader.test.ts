import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestImageError, parseGuestImage, placeGuestImage, readGuestImage } from '../toolstack/elf-loader.js';
import {
  findMultibootHeader,
  MULTIBOOT_HEADER_MAGIC,
  MULTIBOOT_INFO_BYTES,
  MultibootInfoFlag,
  writeMultibootInfo,
} from '../toolstack/multiboot.js';

// ---- a builder for small synthetic images ----

interface SegmentSpec {
  type?: number;
  vaddr: number;
  paddr?: number;
  data: number[];
  memsz?: number;
  offset?: number; // default: packed after the multiboot header
}

interface ImageSpec {
  cls?: number;
  data?: number;
  version?: number;
  type?: number;
  machine?: number;
  entry?: number;
  phentsize?: number;
  phoff?: number;
  segments?: SegmentSpec[];
  multiboot?: { offset: number; flags?: number; checksum?: number } | null;
  size?: number;
}

const SEG_DATA_AT = 0x200;

function buildImage(spec: ImageSpec = {}): Uint8Array {
  const segments = spec.segments ?? [
    { vaddr: 0x100000, data: [0xfa, 0xf4, 0xeb, 0xfd], memsz: 0x2000 }, // cli; hlt; jmp $-1
  ];
  const mb = spec.multiboot === undefined ? { offset: 0x100 } : spec.multiboot;
  let dataEnd = SEG_DATA_AT;
  const placed = segments.map((s) => {
    const offset = s.offset ?? dataEnd;
    dataEnd = Math.max(dataEnd, offset + s.data.length);
    return { ...s, offset };
  });
  const size = spec.size ?? Math.max(dataEnd, mb ? mb.offset + 12 : 0, 0x200);
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, spec.cls ?? 1, spec.data ?? 1, spec.version ?? 1]);
  const phoff = spec.phoff ?? 52;
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine ?? 3, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, spec.entry ?? 0x100000, true);
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, spec.phentsize ?? 32, true);
  v.setUint16(44, placed.length, true);
  placed.forEach((s, i) => {
    const ph = phoff + i * 32;
    if (ph + 32 > size) return;
    v.setUint32(ph, s.type ?? 1, true);
    v.setUint32(ph + 4, s.offset, true);
    v.setUint32(ph + 8, s.vaddr, true);
    v.setUint32(ph + 12, s.paddr ?? s.vaddr, true);
    v.setUint32(ph + 16, s.data.length, true);
    v.setUint32(ph + 20, s.memsz ?? s.data.length, true);
    if (s.offset + s.data.length <= size) bytes.set(s.data, s.offset);
  });
  if (mb) {
    const flags = mb.flags ?? 3;
    v.setUint32(mb.offset, MULTIBOOT_HEADER_MAGIC, true);
    v.setUint32(mb.offset + 4, flags, true);
    v.setUint32(mb.offset + 8, mb.checksum ?? (-(MULTIBOOT_HEADER_MAGIC + flags)) >>> 0, true);
  }
  return bytes;
}

/** The GuestImageError message for an image, asserting it is one line. */
function errorOf(bytes: Uint8Array, opts = {}): string {
  try {
    parseGuestImage(bytes, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(GuestImageError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('image was accepted');
}

describe('parseGuestImage', () => {
  it('accepts a minimal multiboot ELF and describes its segments', () => {
    const img = parseGuestImage(buildImage());
    expect(img.entry).toBe(0x100000);
    expect(img.multiboot).toEqual({ offset: 0x100, flags: 3 });
    expect(img.segments).toHaveLength(1);
    const [s] = img.segments;
    expect(s!.paddr).toBe(0x100000);
    expect(s!.memSize).toBe(0x2000);
    expect([...s!.fileBytes]).toEqual([0xfa, 0xf4, 0xeb, 0xfd]);
  });

  it('orders segments by address, skips empty ones and other program header types', () => {
    const img = parseGuestImage(
      buildImage({
        entry: 0x200000,
        segments: [
          { vaddr: 0x200000, data: [1, 2], memsz: 0x10 },
          { type: 0x6474e551, vaddr: 0, data: [] }, // PT_GNU_STACK
          { vaddr: 0x300000, data: [], memsz: 0 },
          { vaddr: 0x100000, data: [3], memsz: 0x1000 },
        ],
      }),
    );
    expect(img.segments.map((s) => s.paddr)).toEqual([0x100000, 0x200000]);
  });

  it('translates a virtual entry point through its segment to a physical one', () => {
    const img = parseGuestImage(
      buildImage({ entry: 0xc0100004, segments: [{ vaddr: 0xc0100000, paddr: 0x100000, data: [0, 0, 0, 0, 0x90] }] }),
    );
    expect(img.entry).toBe(0x100004);
    expect(img.segments[0]!.paddr).toBe(0x100000);
  });

  it('names each kind of malformed ELF', () => {
    expect(errorOf(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toMatch(/not an ELF file/);
    expect(errorOf(buildImage().subarray(0, 30))).toMatch(/truncated ELF header/);
    expect(errorOf(buildImage({ cls: 2 }))).toMatch(/ELF64 image/);
    expect(errorOf(buildImage({ cls: 7 }))).toMatch(/unknown ELF class 7/);
    expect(errorOf(buildImage({ data: 2 }))).toMatch(/big-endian/);
    expect(errorOf(buildImage({ version: 0 }))).toMatch(/unsupported ELF version/);
    expect(errorOf(buildImage({ type: 1 }))).toMatch(/not an executable ELF \(type 1: relocatable object\)/);
    expect(errorOf(buildImage({ type: 3 }))).toMatch(/shared object or PIE/);
    expect(errorOf(buildImage({ machine: 62 }))).toMatch(/wrong machine 62 \(x86-64\)/);
    expect(errorOf(buildImage({ segments: [] }))).toMatch(/no program headers/);
    expect(errorOf(buildImage({ phentsize: 56 }))).toMatch(/program header size 56/);
    expect(errorOf(buildImage({ phoff: 0x1f0, size: 0x200 }))).toMatch(/program headers lie outside the file/);
  });

  it('names each kind of bad segment layout', () => {
    expect(errorOf(buildImage({ segments: [{ type: 3, vaddr: 0, data: [] }, { vaddr: 0x100000, data: [1] }] }))).toMatch(
      /dynamically linked/,
    );
    expect(errorOf(buildImage({ segments: [{ vaddr: 0x100000, data: [1, 2, 3], memsz: 2 }] }))).toMatch(
      /segment 0: file size 0x3 exceeds memory size 0x2/,
    );
    expect(errorOf(buildImage({ segments: [{ vaddr: 0x100000, data: [1, 2], offset: 0x1ff }], size: 0x200 }))).toMatch(
      /segment 0: file data 0x1ff\+0x2 lies outside the file/,
    );
    expect(errorOf(buildImage({ segments: [{ type: 4, vaddr: 0x100000, data: [1] }] }))).toMatch(/no loadable \(PT_LOAD\) segments/);
    expect(
      errorOf(buildImage({ segments: [{ vaddr: 0x100000, data: [1], memsz: 0x2000 }, { vaddr: 0x101000, data: [2] }] })),
    ).toMatch(/segments 0 and 1 overlap at 0x101000/);
    expect(errorOf(buildImage({ segments: [{ vaddr: 0xfffff000, data: [1], memsz: 0x2000 }], entry: 0xfffff000 }))).toMatch(
      /wraps past 4 GiB/,
    );
    expect(errorOf(buildImage({ entry: 0x500000 }))).toMatch(/entry point 0x500000 is outside every loadable segment/);
  });

  it('checks segments against the RAM size when given', () => {
    const img = buildImage({ segments: [{ vaddr: 0x1ff000, data: [1], memsz: 0x1000 }], entry: 0x1ff000 });
    expect(parseGuestImage(img, { ramBytes: 0x200000 }).segments).toHaveLength(1);
    expect(errorOf(img, { ramBytes: 0x1ff800 })).toMatch(/segment 0 \(0x1ff000-0x1fffff\) lies outside guest RAM \(2095104 bytes\)/);
    expect(errorOf(img, { ramBytes: 0x100000 })).toMatch(/lies outside guest RAM \(1 MiB\)/);
  });

  it('requires a valid multiboot header in the first 8192 bytes, 4-byte aligned', () => {
    expect(errorOf(buildImage({ multiboot: null }))).toMatch(/no multiboot header \(magic 0x1badb002\) in the first 8192 bytes/);
    expect(errorOf(buildImage({ multiboot: { offset: 0x100, checksum: 0 } }))).toMatch(
      /multiboot header at offset 0x100 has a bad checksum/,
    );
    expect(errorOf(buildImage({ multiboot: { offset: 0x102 } }))).toMatch(/no multiboot header/);
    // Last aligned place where all 12 bytes fit, and one word too far.
    expect(parseGuestImage(buildImage({ multiboot: { offset: 8192 - 12 } })).multiboot.offset).toBe(8180);
    expect(errorOf(buildImage({ multiboot: { offset: 8192 - 8 } }))).toMatch(/no multiboot header/);
    expect(errorOf(buildImage({ multiboot: { offset: 8192 } }))).toMatch(/no multiboot header/);
  });

  it('refuses multiboot features it does not provide', () => {
    expect(errorOf(buildImage({ multiboot: { offset: 0x100, flags: 0x10003 } }))).toMatch(/a\.out kludge \(flag 16\)/);
    expect(errorOf(buildImage({ multiboot: { offset: 0x100, flags: 0x7 } }))).toMatch(/video mode \(flag 2\)/);
    expect(errorOf(buildImage({ multiboot: { offset: 0x100, flags: 0x103 } }))).toMatch(/unknown features \(flags 0x100\)/);
    // Optional bits above 16 (other than the a.out kludge) and no bits at all are fine.
    expect(parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0x20000 } })).multiboot.flags).toBe(0x20000);
    expect(parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0 } })).multiboot.flags).toBe(0);
  });

  it('skips a magic word with a bad checksum and finds a later good header', () => {
    const bytes = buildImage({ multiboot: { offset: 0x140 } });
    new DataView(bytes.buffer).setUint32(0x100, MULTIBOOT_HEADER_MAGIC, true);
    const found = findMultibootHeader(bytes);
    expect(found).toEqual({ ok: true, header: { offset: 0x140, flags: 3 } });
  });
});

describe('readGuestImage and placeGuestImage', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-elf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefixes problems with the path, and reports unreadable files the same way', () => {
    const bad = path.join(dir, 'bad.elf');
    writeFileSync(bad, buildImage({ machine: 40 }));
    expect(() => readGuestImage(bad)).toThrow(new GuestImageError(`${bad}: wrong machine 40 (ARM); expected EM_386 (3)`));
    const missing = path.join(dir, 'missing.elf');
    expect(() => readGuestImage(missing)).toThrow(new GuestImageError(`${missing}: cannot read guest image (ENOENT)`));
    const good = path.join(dir, 'good.elf');
    writeFileSync(good, buildImage());
    expect(readGuestImage(good).entry).toBe(0x100000);
  });

  it('copies file bytes and zeroes the rest of each segment', () => {
    const img = parseGuestImage(
      buildImage({
        entry: 0x1000,
        segments: [
          { vaddr: 0x1000, data: [1, 2, 3], memsz: 8 },
          { vaddr: 0x2000, data: [9], memsz: 1 },
        ],
      }),
    );
    const ram = new Uint8Array(0x3000).fill(0xaa);
    placeGuestImage(ram, img);
    expect([...ram.subarray(0xfff, 0x1009)]).toEqual([0xaa, 1, 2, 3, 0, 0, 0, 0, 0, 0xaa]);
    expect([...ram.subarray(0x1fff, 0x2002)]).toEqual([0xaa, 9, 0xaa]);
    expect(() => placeGuestImage(new Uint8Array(0x2000), img)).toThrow(GuestImageError);
  });
});

describe('writeMultibootInfo', () => {
  it('writes flags, mem_lower = 639 and mem_upper = KiB above 1 MiB, zeroing the rest', () => {
    const mem = new Uint8Array(0x10000).fill(0xcc);
    const layout = writeMultibootInfo(mem, 0x9000, { ramBytes: 32 << 20 });
    const v = new DataView(mem.buffer);
    expect(layout).toEqual({ infoAddr: 0x9000, flags: MultibootInfoFlag.MEMORY, memLowerKiB: 639, memUpperKiB: 31744, end: 0x9000 + 88 });
    expect(v.getUint32(0x9000, true)).toBe(1);
    expect(v.getUint32(0x9004, true)).toBe(639);
    expect(v.getUint32(0x9008, true)).toBe(31744);
    expect([...mem.subarray(0x900c, 0x9000 + MULTIBOOT_INFO_BYTES)].every((b) => b === 0)).toBe(true);
    expect(mem[0x8fff]).toBe(0xcc);
    expect(mem[0x9000 + MULTIBOOT_INFO_BYTES]).toBe(0xcc);
    expect(writeMultibootInfo(mem, 0, { ramBytes: 0x100000 + 1023 }).memUpperKiB).toBe(0);
  });

  it('places the command line after the structure, NUL-terminated, and sets its flag', () => {
    const mem = new Uint8Array(0x1000).fill(0xcc);
    const layout = writeMultibootInfo(mem, 0x100, { ramBytes: 64 << 20, cmdline: 'console=ttyS0 x' });
    const v = new DataView(mem.buffer);
    expect(layout.flags).toBe(MultibootInfoFlag.MEMORY | MultibootInfoFlag.CMDLINE);
    expect(layout.cmdlineAddr).toBe(0x100 + 88);
    expect(v.getUint32(0x100, true)).toBe(5);
    expect(v.getUint32(0x100 + 16, true)).toBe(0x158);
    expect(new TextDecoder().decode(mem.subarray(0x158, 0x158 + 15))).toBe('console=ttyS0 x');
    expect(mem[0x158 + 15]).toBe(0);
    expect(layout.end).toBe(0x158 + 16);
    expect(mem[layout.end]).toBe(0xcc);
  });

  it('refuses addresses and sizes that do not fit', () => {
    const mem = new Uint8Array(0x1000);
    expect(() => writeMultibootInfo(mem, 0x1000 - 84, { ramBytes: 32 << 20 })).toThrow(/does not fit/);
    expect(() => writeMultibootInfo(mem, 0x1000 - 88, { ramBytes: 32 << 20 })).not.toThrow();
    expect(() => writeMultibootInfo(mem, 0xf00, { ramBytes: 32 << 20, cmdline: 'x'.repeat(200) })).toThrow(/does not fit/);
    expect(() => writeMultibootInfo(mem, 2, { ramBytes: 32 << 20 })).toThrow(/4-byte-aligned/);
    expect(() => writeMultibootInfo(mem, 0, { ramBytes: 0x80000 })).toThrow(/at least 1 MiB/);
    expect(() => writeMultibootInfo(mem, 0, { ramBytes: 32 << 20, cmdline: 'a\0b' })).toThrow(/NUL/);
  });
});
