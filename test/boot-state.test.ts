/**
 * The loader's handover, held to QEMU's: guests/boot-state records the registers, selectors,
 * descriptor tables, control registers and the whole multiboot information before it sets
 * anything up, and prints them. Under `hvmsim run` it must print what it prints under
 * `qemu-system-i386 -kernel` (7.2, the pc machine) for the same command line and modules — the
 * ELF image and the a.out-kludge image, with little and much RAM (EDX carries the high half of
 * mem_upper). The one difference is the loader's name, which says who loaded the kernel.
 *
 * The recorded QEMU output in test/fixtures/boot-state/ is the reference where QEMU is not
 * installed; where it is, QEMU is run too and must still print the recording.
 * HVMSIM_RECORD_BOOT_STATE=1 rewrites the recordings from QEMU (after a QEMU upgrade, say).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { MULTIBOOT_LOADER_NAME } from '../toolstack/multiboot.js';
import { guestElf, REPO_ROOT } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { qemuAvailable, runUnderQemu } from './support/qemu.js';

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn('boot-state: qemu-system-i386 not found — comparing hvmsim with the recorded QEMU output only');

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'boot-state');

interface Case {
  readonly name: string;
  readonly guest: 'boot-state' | 'boot-state-aout';
  readonly memoryMiB: number;
  readonly append?: string;
  /** Module files (written into the run directory) and their arguments. */
  readonly modules: readonly { readonly file: string; readonly bytes: Uint8Array; readonly args?: string }[];
}

/** Deterministic module contents: a short text and 10,000 bytes of a linear congruential sequence. */
function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const CASES: readonly Case[] = [
  {
    name: 'elf-32mib-modules',
    guest: 'boot-state',
    memoryMiB: 32,
    append: 'console=ttyS0 root=/dev/ram0',
    modules: [
      { file: 'initrd.img', bytes: new TextEncoder().encode('module one data'), args: 'first arg' },
      { file: 'blob.bin', bytes: pseudoRandom(10_000, 7) },
    ],
  },
  { name: 'aout-256mib', guest: 'boot-state-aout', memoryMiB: 256, modules: [] },
  { name: 'aout-3072mib-module', guest: 'boot-state-aout', memoryMiB: 3072, append: 'x', modules: [{ file: 'm.bin', bytes: pseudoRandom(4096, 3) }] },
];

/** The loader-name line is the one place hvmsim says who it is. */
function asQemuWouldName(serial: string): string {
  return serial.replace(/^(boot_loader_name 0x[0-9a-f]{8}) "([^"]*)"$/m, (line, head: string, name: string) =>
    name === MULTIBOOT_LOADER_NAME ? `${head} "qemu"` : line,
  );
}

describe('the boot state hvmsim hands a multiboot kernel is QEMU\'s', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-boot-state-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const c of CASES) {
    test(c.name, { timeout: 60_000 }, async () => {
      // Paths are relative to the run directory: they appear in the command line and module strings.
      const dir = path.join(work, c.name);
      mkdirSync(dir);
      const kernel = `${c.guest}.elf`;
      copyFileSync(guestElf(c.guest), path.join(dir, kernel));
      for (const m of c.modules) writeFileSync(path.join(dir, m.file), m.bytes);

      const hvArgs = ['run', kernel, '--memory', String(c.memoryMiB)];
      if (c.append !== undefined) hvArgs.push('--cmdline', c.append);
      for (const m of c.modules) hvArgs.push('--module', m.args === undefined ? m.file : `${m.file},${m.args}`);
      const hv = await runHvmsim(hvArgs, { timeoutMs: 50_000, cwd: dir });
      expect(hv.stderr).toBe('');
      expect(hv.status).toBe(1); // exit code 0 through isa-debug-exit
      expect(hv.stdout).toMatch(new RegExp(`^boot_loader_name 0x[0-9a-f]{8} "${MULTIBOOT_LOADER_NAME}"$`, 'm'));

      const fixture = path.join(FIXTURES, `${c.name}.txt`);
      if (haveQemu && process.env['HVMSIM_RECORD_BOOT_STATE'] === '1') writeFileSync(fixture, (await qemuRun(c, kernel, dir)).serial, 'latin1');
      const recorded = readFileSync(fixture, 'latin1');
      expect(asQemuWouldName(hv.stdout)).toBe(recorded);

      if (!haveQemu) return;
      const q = await qemuRun(c, kernel, dir);
      expect(q.status).toBe(1);
      expect(q.serial).toBe(recorded);
    });
  }
});

function qemuRun(c: Case, kernel: string, dir: string) {
  const extraArgs: string[] = [];
  if (c.append !== undefined) extraArgs.push('-append', c.append);
  if (c.modules.length) extraArgs.push('-initrd', c.modules.map((m) => (m.args === undefined ? m.file : `${m.file} ${m.args}`)).join(','));
  return runUnderQemu(kernel, { memoryMiB: c.memoryMiB, extraArgs, cwd: dir });
}
