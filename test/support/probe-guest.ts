/**
 * Probe guests built while a test runs: one C file (a port script the test generates, replayed
 * and reported over COM1) behind a minimal multiboot entry, so a differential test can run the
 * same accesses under qemu-system-i386 and against hvmsim's devices. The script is the test's
 * data, so its guest is built here rather than committed to guests/.
 *
 * The entry calls `kmain(magic, mbi)` (a `kmain(void)` ignores the arguments) on a 16 KiB stack.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START = `
.section .multiboot,"a"
.align 4
.long 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)
.text
.globl _start
_start:
  mov $stack_top, %esp
  push %ebx
  push %eax
  call kmain
1: cli; hlt; jmp 1b
.section .note.GNU-stack,"",@progbits
.bss
.align 16
.space 16384
stack_top:
`;

const LINK = `ENTRY(_start)
SECTIONS { . = 0x100000; .multiboot : { *(.multiboot) } .text : { *(.text*) } .rodata : { *(.rodata*) }
  .data : { *(.data*) } .bss : { *(.bss*) *(COMMON) } }
`;

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export type ProbeGuest = { elf: string; dispose(): void } | { error: string };

/**
 * Build `cSource` into a multiboot ELF in a fresh temporary folder (`tag` names it), or say why
 * not: QEMU, gcc or ld missing, or a compile error. Call dispose() when done (afterAll).
 */
export function buildProbeGuest(tag: string, cSource: string): ProbeGuest {
  if (!hasCommand('qemu-system-i386')) return { error: 'qemu-system-i386 not installed' };
  if (!hasCommand('gcc') || !hasCommand('ld')) return { error: 'gcc/ld not installed' };
  const dir = mkdtempSync(join(tmpdir(), `hvmsim-${tag}-`));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  writeFileSync(join(dir, 'guest.c'), cSource);
  writeFileSync(join(dir, 'start.S'), START);
  writeFileSync(join(dir, 'link.ld'), LINK);
  try {
    const cc = ['-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-O1', '-c'];
    execFileSync('gcc', [...cc, 'guest.c', '-o', 'guest.o'], { cwd: dir, stdio: 'pipe' });
    execFileSync('gcc', ['-m32', '-c', 'start.S', '-o', 'start.o'], { cwd: dir, stdio: 'pipe' });
    execFileSync('ld', ['-m', 'elf_i386', '-T', 'link.ld', '-o', 'guest.elf', 'start.o', 'guest.o'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    dispose();
    return { error: `cannot build the probe guest: ${(e as { stderr?: Buffer }).stderr?.toString() ?? String(e)}` };
  }
  return { elf: join(dir, 'guest.elf'), dispose };
}
