/**
 * Random-code guests for the fuzz: a minimal multiboot ELF (one PT_LOAD at 1 MiB: the multiboot
 * header, then `bytes` seeded random bytes at the entry), built in memory. The same seed always
 * gives the same guest, so every case can be rerun (and written out for `hvmsim run`).
 */
const LOAD_ADDR = 0x100000;
const ELF_HEADER = 52;
const PROGRAM_HEADER = 32;
const MULTIBOOT_MAGIC = 0x1badb002;
const MULTIBOOT_FLAGS = 0x3; // page-align modules, memory information

/** mulberry32: a small, fast, well-mixed 32-bit generator; good enough for code bytes. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The seed of case `index` of a run seeded `seed` (cases are independent of each other). */
export function caseSeed(seed: number, index: number): number {
  const next = prng((Math.imul(seed >>> 0, 0x9e3779b1) ^ index) >>> 0);
  next();
  return next();
}

export function randomCode(seed: number, bytes: number): Uint8Array {
  const next = prng(seed);
  const code = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k += 4) {
    const v = next();
    for (let b = 0; b < 4 && k + b < bytes; b++) code[k + b] = (v >>> (8 * b)) & 0xff;
  }
  return code;
}

/** A multiboot v1 ELF32 whose entry point is the first byte of `code`. */
export function multibootElf(code: Uint8Array): Uint8Array {
  const headers = ELF_HEADER + PROGRAM_HEADER;
  const body = 12 + code.length;
  const file = new Uint8Array(headers + body);
  const v = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF32, little-endian, version 1
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, LOAD_ADDR + 12, true); // entry: just after the multiboot header
  v.setUint32(28, ELF_HEADER, true);
  v.setUint16(40, ELF_HEADER, true);
  v.setUint16(42, PROGRAM_HEADER, true);
  v.setUint16(44, 1, true);
  v.setUint16(46, 40, true);
  // PT_LOAD, RWX, 4 KiB aligned: the multiboot header and the code at 1 MiB.
  const ph = ELF_HEADER;
  v.setUint32(ph, 1, true);
  v.setUint32(ph + 4, headers, true);
  v.setUint32(ph + 8, LOAD_ADDR, true);
  v.setUint32(ph + 12, LOAD_ADDR, true);
  v.setUint32(ph + 16, body, true);
  v.setUint32(ph + 20, body, true);
  v.setUint32(ph + 24, 7, true);
  v.setUint32(ph + 28, 0x1000, true);
  v.setUint32(headers, MULTIBOOT_MAGIC, true);
  v.setUint32(headers + 4, MULTIBOOT_FLAGS, true);
  v.setUint32(headers + 8, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS) >>> 0, true);
  file.set(code, headers + 12);
  return file;
}

/** The guest of one case. */
export function randomCodeGuest(seed: number, bytes: number): Uint8Array {
  return multibootElf(randomCode(seed, bytes));
}
