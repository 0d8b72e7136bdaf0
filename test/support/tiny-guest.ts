/**
 * Small guests for tests: the ELF builder (guests/tiny-guest-elf.ts, shared with the benchmarks)
 * and a few instruction encodings.
 */
export { tinyGuestElf } from '../../guests/tiny-guest-elf.js';

/** Some encodings tests use. */
export const X86 = {
  cli: [0xfa],
  sti: [0xfb],
  hlt: [0xf4],
  /** jmp $ (spin forever) */
  spin: [0xeb, 0xfe],
  /** mov al, imm8; out 0xf4, al — isa-debug-exit with the given code */
  debugExit: (code: number) => [0xb0, code & 0xff, 0xe6, 0xf4],
  /** mov dx, 0x3f8; mov al, imm8; out dx, al */
  putc: (ch: string) => [0x66, 0xba, 0xf8, 0x03, 0xb0, ch.charCodeAt(0), 0xee],
};
