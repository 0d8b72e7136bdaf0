import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestImageError, parseGuestImage, placeGuestImage, readGuestImage } from '../toolstack/elf-loader.js';
import { E820Type, firmwareMemoryMap } from '../toolstack/firmware-memory-map.js';
import {
  findMultibootHeader,
  memUpperFromMap,
  MULTIBOOT_HEADER_MAGIC,
  MULTIBOOT_INFO_ADDR,
  MULTIBOOT_INFO_FLAGS,
  MULTIBOOT_LOADER_NAME,
  MULTIBOOT_MMAP_ADDR,
  MultibootLayoutError,
  writeMultibootHandover,
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
  multiboot?: { offset: number; flags?: number; checksum?: number; aout?: [number, number, number, number, number] } | null;
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
    mb.aout?.forEach((w, k) => v.setUint32(mb.offset + 12 + 4 * k, w, true));
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
    expect(img.multiboot).toEqual({ offset: 0x100, flags: 3, warnings: [] });
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

  it('runs images asking for a video mode or unknown features with a warning, as QEMU does', () => {
    const video = parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0x7 } }));
    expect(video.multiboot.warnings).toEqual([expect.stringMatching(/video mode \(flag 2\)/)]);
    const unknown = parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0x103 } }));
    expect(unknown.multiboot.warnings).toEqual([expect.stringMatching(/unknown features \(flags 0x100\)/)]);
    // Optional bits above 16 (other than the a.out kludge) and no bits at all need nothing.
    expect(parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0x20000 } })).multiboot.warnings).toEqual([]);
    expect(parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0 } })).multiboot.flags).toBe(0);
  });

  it('loads an a.out-kludge image from the header fields, whatever the file format', () => {
    // A raw file: header at offset 0x40; header_addr 0x200040 puts load_addr 0x200000 at file offset 0.
    const bytes = new Uint8Array(0x300);
    for (let k = 0; k < bytes.length; k++) bytes[k] = k & 0xff;
    const v = new DataView(bytes.buffer);
    const at = 0x40;
    const put = (fields: number[]): void => {
      const flags = 0x10003;
      v.setUint32(at, MULTIBOOT_HEADER_MAGIC, true);
      v.setUint32(at + 4, flags, true);
      v.setUint32(at + 8, -(MULTIBOOT_HEADER_MAGIC + flags) >>> 0, true);
      fields.forEach((w, k) => v.setUint32(at + 12 + 4 * k, w, true));
    };
    put([0x200040, 0x200000, 0x200200, 0x201000, 0x200080]);
    const img = parseGuestImage(bytes);
    expect(img.entry).toBe(0x200080);
    expect(img.low).toBe(0x200000);
    expect(img.high).toBe(0x201000);
    expect(img.segments).toHaveLength(1);
    expect(img.segments[0]!.paddr).toBe(0x200000);
    expect(img.segments[0]!.memSize).toBe(0x1000);
    expect([...img.segments[0]!.fileBytes.subarray(0x100, 0x102)]).toEqual([0x00, 0x01]);
    expect(img.segments[0]!.fileBytes.byteLength).toBe(0x200);
    // load_end_addr 0: to the end of the file; bss_end_addr 0: no BSS.
    put([0x200040, 0x200000, 0, 0, 0x200080]);
    expect(parseGuestImage(bytes).segments[0]!.memSize).toBe(0x300);
    // The checks QEMU makes, each one line.
    put([0x1fffff, 0x200000, 0, 0, 0]);
    expect(errorOf(bytes)).toMatch(/header_addr 0x1fffff is below load_addr 0x200000/);
    put([0x200080, 0x200000, 0, 0, 0]);
    expect(errorOf(bytes)).toMatch(/would lie before the start of the file/);
    put([0x200040, 0x200000, 0x1ff000, 0, 0]);
    expect(errorOf(bytes)).toMatch(/load_end_addr 0x1ff000 is below load_addr/);
    put([0x200040, 0x200000, 0x200400, 0, 0]);
    expect(errorOf(bytes)).toMatch(/runs past the end of the file/);
    put([0x200040, 0x200000, 0x200200, 0x200100, 0]);
    expect(errorOf(bytes)).toMatch(/bss_end_addr 0x200100 is below the end of the loaded file data 0x200200/);
    put([0x200040, 0x200000, 0x200200, 0x201000, 0x200080]);
    expect(errorOf(bytes, { ramBytes: 0x200800 })).toMatch(/outside guest RAM/);
    // Truncated address fields.
    expect(errorOf(bytes.subarray(0, at + 20))).toMatch(/address fields lie past the end of the file/);
  });

  it('uses the a.out fields for an ELF that asks for the kludge', () => {
    const img = parseGuestImage(buildImage({ multiboot: { offset: 0x100, flags: 0x10003, aout: [0x100100, 0x100000, 0x100200, 0x102000, 0x100180] } }));
    expect(img.entry).toBe(0x100180);
    expect(img.segments[0]!.memSize).toBe(0x2000);
  });

  it('skips a magic word with a bad checksum and finds a later good header', () => {
    const bytes = buildImage({ multiboot: { offset: 0x140 } });
    new DataView(bytes.buffer).setUint32(0x100, MULTIBOOT_HEADER_MAGIC, true);
    const found = findMultibootHeader(bytes);
    expect(found).toEqual({ ok: true, header: { offset: 0x140, flags: 3, warnings: [] } });
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

describe('the multiboot handover', () => {
  const RAM = 32 << 20;
  const map = firmwareMemoryMap(RAM);
  const u32 = (mem: Uint8Array, a: number): number => new DataView(mem.buffer).getUint32(a, true);
  const str = (mem: Uint8Array, a: number): string => new TextDecoder().decode(mem.subarray(a, mem.indexOf(0, a)));

  it('the memory map is SeaBIOS\'s for the pc machine, and mem_upper follows its RAM from 1 MiB', () => {
    expect(map.map((e) => [e.base, e.length, e.type])).toEqual([
      [0, 0x9fc00, E820Type.RAM],
      [0x9fc00, 0x400, E820Type.RESERVED],
      [0xf0000, 0x10000, E820Type.RESERVED],
      [0x100000, RAM - 0x20000 - 0x100000, E820Type.RAM],
      [RAM - 0x20000, 0x20000, E820Type.RESERVED],
      [0xfffc0000, 0x40000, E820Type.RESERVED],
    ]);
    expect(memUpperFromMap(map)).toBe((RAM - 0x20000 - 0x100000) / 1024);
    // Out of order, in two touching pieces: still followed.
    expect(memUpperFromMap([{ base: 0x300000, length: 0x100000, type: 1 }, { base: 0x100000, length: 0x200000, type: 1 }])).toBe(3072);
    expect(memUpperFromMap([{ base: 0x200000, length: 0x100000, type: 1 }])).toBe(0);
    expect(() => firmwareMemoryMap(0x100000)).toThrow(/at least 2 MiB/);
  });

  it('lays out descriptors, strings and page-aligned modules after the kernel, as QEMU does', () => {
    const mem = new Uint8Array(RAM).fill(0xcc);
    const h = writeMultibootHandover(mem, {
      ramBytes: RAM,
      kernelLow: 0x100000,
      kernelHigh: 0x106460,
      cmdline: 'k.elf console=ttyS0',
      modules: [
        { bytes: new Uint8Array([1, 2, 3]), string: 'a.bin x' },
        { bytes: new Uint8Array(0x1001).fill(7), string: 'b.bin' },
      ],
      memoryMap: map,
    });
    expect(h.infoAddr).toBe(MULTIBOOT_INFO_ADDR);
    expect(h.modsAddr).toBe(0x107000); // page_align(kernel size) past the load address
    const strings = 0x107000 + 2 * 16;
    expect(h.modules).toEqual([
      { start: 0x108000, end: 0x108003, stringAddr: strings },
      { start: 0x109000, end: 0x10a001, stringAddr: strings + 8 },
    ]);
    expect(h.cmdlineAddr).toBe(strings + 8 + 6);
    expect(str(mem, h.cmdlineAddr)).toBe('k.elf console=ttyS0');
    expect(str(mem, u32(mem, MULTIBOOT_INFO_ADDR + 64))).toBe(MULTIBOOT_LOADER_NAME);
    expect(u32(mem, MULTIBOOT_INFO_ADDR)).toBe(MULTIBOOT_INFO_FLAGS);
    expect(MULTIBOOT_INFO_FLAGS).toBe(0x24f);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 4)).toBe(639);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 8)).toBe(h.memUpperKiB);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 12)).toBe(0x8000ffff);
    expect([u32(mem, 0x107000), u32(mem, 0x107004), str(mem, u32(mem, 0x107008)), u32(mem, 0x10700c)]).toEqual([0x108000, 0x108003, 'a.bin x', 0]);
    expect([...mem.subarray(0x108000, 0x108004)]).toEqual([1, 2, 3, 0]); // the rest of the page is zeroed
    expect(mem[0x10a001]).toBe(0xcc); // nothing written past the last module
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 44)).toBe(map.length * 24);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 48)).toBe(MULTIBOOT_MMAP_ADDR);
    expect([u32(mem, MULTIBOOT_MMAP_ADDR), u32(mem, MULTIBOOT_MMAP_ADDR + 4), u32(mem, MULTIBOOT_MMAP_ADDR + 12)]).toEqual([20, 0, 0x9fc00]);
  });

  it('mods_addr points past the kernel even without modules', () => {
    const mem = new Uint8Array(RAM);
    const h = writeMultibootHandover(mem, { ramBytes: RAM, kernelLow: 0x100000, kernelHigh: 0x101000, cmdline: '', memoryMap: map });
    expect(h.modsAddr).toBe(0x101000);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 20)).toBe(0);
    expect(u32(mem, MULTIBOOT_INFO_ADDR + 24)).toBe(0x101000);
    expect(str(mem, h.cmdlineAddr)).toBe('');
  });

  it('refuses what does not fit, in one line', () => {
    const mem = new Uint8Array(RAM);
    const big = { bytes: new Uint8Array(RAM), string: 'huge.img' };
    expect(() => writeMultibootHandover(mem, { ramBytes: RAM, kernelLow: 0x100000, kernelHigh: 0x101000, cmdline: '', modules: [big], memoryMap: map })).toThrow(
      MultibootLayoutError,
    );
    expect(() => writeMultibootHandover(mem, { ramBytes: RAM, kernelLow: 0x8000, kernelHigh: 0x9000, cmdline: '', memoryMap: map })).toThrow(
      /overlap the multiboot information/,
    );
    expect(() => writeMultibootHandover(mem, { ramBytes: RAM, kernelLow: 0x100000, kernelHigh: 0x101000, cmdline: 'a\0b', memoryMap: map })).toThrow(/NUL/);
  });
});
