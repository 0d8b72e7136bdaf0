/**
 * The committed guest images: rebuilt byte for byte from source (where gcc -m32 works and the
 * toolchain is the one they were built with), accepted by the loader, and printing under QEMU
 * exactly what they should (where QEMU is installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { COMPUTE_SIZES } from '../guests/compute/compute-model.js';
import {
  BOOT_STATE_GUESTS,
  expectedSerial,
  GUEST_NAMES,
  GUEST_TOOLCHAIN_FILE,
  GUESTS_DIR,
  guestElf,
  guestExitStatus,
  OWN_TEST_GUESTS,
  QEMU_EXTRA_ARGS,
  QEMU_GUEST_NAMES,
} from './support/guest-files.js';
import { qemuAvailable, qemuArgs, runUnderQemu } from './support/qemu.js';

const RAM_BYTES = 32 << 20;

/** Why the guests cannot be built here, or undefined if they can. */
function cannotBuild(dir: string): string | undefined {
  const src = path.join(dir, 'probe.c');
  writeFileSync(src, 'void _start(void) { for (;;) {} }\n');
  const r = spawnSync('gcc', ['-m32', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-o', path.join(dir, 'probe'), src], {
    encoding: 'utf8',
  });
  if (r.error) return `gcc not runnable (${r.error.message})`;
  if (r.status !== 0) return `gcc -m32 cannot build: ${r.stderr.trim().split('\n')[0]}`;
  const m = spawnSync('make', ['--version'], { stdio: 'ignore' });
  if (m.error || m.status !== 0) return 'make not runnable';
  return undefined;
}

describe('guest images', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-guests-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const buildProblem = cannotBuild(work);
  if (buildProblem) console.warn(`guests-build: skipping the rebuild check: ${buildProblem}`);

  it.skipIf(buildProblem !== undefined)('rebuild from source into the committed bytes', (ctx) => {
    const out = path.join(work, 'bin');
    const r = spawnSync('make', ['-C', GUESTS_DIR, '-j2', `OUT=${out}`, `BUILD=${path.join(work, 'build')}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const toolchain = readFileSync(path.join(out, 'toolchain.txt'), 'utf8');
    const committed = readFileSync(GUEST_TOOLCHAIN_FILE, 'utf8');
    if (toolchain !== committed) {
      console.warn(
        `guests-build: skipping the byte comparison: the images were built with\n${committed}but this machine has\n${toolchain}`,
      );
      ctx.skip();
    }
    for (const name of [...GUEST_NAMES, ...BOOT_STATE_GUESTS, ...OWN_TEST_GUESTS]) {
      const rebuilt = readFileSync(path.join(out, `${name}.elf`));
      const original = readFileSync(guestElf(name));
      expect(rebuilt.equals(original), `${name}.elf differs from a fresh build: run npm run guests and commit`).toBe(true);
    }
  });

  it.each(GUEST_NAMES)('%s.elf passes the loader', (name) => {
    const img = readGuestImage(guestElf(name), { ramBytes: RAM_BYTES });
    expect(img.multiboot.flags).toBe(0x3); // page-align + memory info
    expect(img.multiboot.offset % 4).toBe(0);
    expect(img.multiboot.offset).toBeLessThan(8192);
    expect(img.segments[0]!.paddr).toBe(0x100000); // linked at 1 MiB
    const text = img.segments[0]!;
    expect(img.entry).toBeGreaterThanOrEqual(text.paddr);
    expect(img.entry).toBeLessThan(text.paddr + text.fileBytes.byteLength);
    // .bss (with the boot stack) is memory the file does not carry.
    const total = img.segments.reduce((n, s) => n + s.memSize - s.fileBytes.byteLength, 0);
    expect(total).toBeGreaterThanOrEqual(16384);
  });

  it("compute's model uses the sizes compiled into compute.c", () => {
    const source = readFileSync(path.join(GUESTS_DIR, 'compute', 'compute.c'), 'utf8');
    const defines = new Map<string, number>();
    for (const [, name, expr] of source.matchAll(/^#define (\w+) (.+)$/gm)) {
      const literal = /^(\d+)u$/.exec(expr!.trim());
      const scaled = /^\((\d+)u \* COMPUTE_SCALE\)$/.exec(expr!.trim());
      if (literal) defines.set(name!, Number(literal[1]));
      else if (scaled) defines.set(name!, Number(scaled[1]) * defines.get('COMPUTE_SCALE')!);
    }
    for (const [name, value] of Object.entries(COMPUTE_SIZES)) expect(defines.get(name), name).toBe(value);
  });
});

describe.skipIf(!qemuAvailable())('guests under QEMU', () => {
  // HVMSIM_ONLY guests (an input script, VCPUOP_up) are left out: QEMU cannot run them as meant.
  it.each(QEMU_GUEST_NAMES)('%s prints what it should and ends as it should', async (name) => {
    const run = await runUnderQemu(guestElf(name), { memoryMiB: RAM_BYTES >> 20, extraArgs: QEMU_EXTRA_ARGS[name] });
    const expected = await expectedSerial(name);
    expect(run.serial, `qemu-system-i386 ${qemuArgs(guestElf(name)).join(' ')}`).toBe(expected);
    expect(run.status).toBe(guestExitStatus(name, 'qemu'));
  });
});

if (!qemuAvailable()) console.warn('guests-build: qemu-system-i386 not found: skipping the QEMU runs');
