/**
 * Builds a minimal multiboot ELF around a few bytes of 32-bit machine code, for tests and
 * benchmarks that need a guest doing one precise thing (HLT with IF=0, a tight loop, a bad
 * access, seeded random bytes) without a committed image for it. The code is loaded and entered
 * at 1 MiB; a multiboot header sits in front of it.
 */
const LOAD_ADDR = 0x100000;
const HEADER_BYTES = 52 + 32; // ELF header + one program header

export function tinyGuestElf(code: readonly number[] | Uint8Array): Uint8Array {
  const mb = new Uint8Array(12);
  const mbv = new DataView(mb.buffer);
  const magic = 0x1badb002;
  const flags = 0x3;
  mbv.setUint32(0, magic, true);
  mbv.setUint32(4, flags, true);
  mbv.setUint32(8, (-(magic + flags)) >>> 0, true);
  const body = new Uint8Array([...mb, ...code]);
  const file = new Uint8Array(HEADER_BYTES + body.length);
  const v = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF32, little-endian, version 1
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, LOAD_ADDR + 12, true); // entry: just after the multiboot header
  v.setUint32(28, 52, true); // program headers
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint16(46, 40, true);
  // PT_LOAD: the multiboot header and the code, at 1 MiB.
  v.setUint32(52, 1, true);
  v.setUint32(56, HEADER_BYTES, true);
  v.setUint32(60, LOAD_ADDR, true);
  v.setUint32(64, LOAD_ADDR, true);
  v.setUint32(68, body.length, true);
  v.setUint32(72, body.length, true);
  v.setUint32(76, 7, true);
  v.setUint32(80, 4, true);
  file.set(body, HEADER_BYTES);
  return file;
}
