/**
 * Random-code guests for the fuzz: a minimal multiboot ELF (one PT_LOAD at 1 MiB: the multiboot
 * header, then `bytes` seeded random bytes at the entry), built in memory. The same seed always
 * gives the same guest, so every case can be rerun (and written out for `hvmsim run`).
 */
import { tinyGuestElf } from '../guests/tiny-guest-elf.js';
import { seededUint32 } from './statistics.js';

/** The seed of case `index` of a run seeded `seed` (cases are independent of each other). */
export function caseSeed(seed: number, index: number): number {
  const next = seededUint32((Math.imul(seed >>> 0, 0x9e3779b1) ^ index) >>> 0);
  next();
  return next();
}

export function randomCode(seed: number, bytes: number): Uint8Array {
  const next = seededUint32(seed);
  const code = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k += 4) {
    const v = next();
    for (let b = 0; b < 4 && k + b < bytes; b++) code[k + b] = (v >>> (8 * b)) & 0xff;
  }
  return code;
}

/** The guest of one case. */
export function randomCodeGuest(seed: number, bytes: number): Uint8Array {
  return tinyGuestElf(randomCode(seed, bytes));
}
