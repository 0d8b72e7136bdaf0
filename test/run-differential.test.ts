/**
 * The QEMU oracle for whole guests: every guest in guests/bin prints the same serial output
 * under `hvmsim run` as under `qemu-system-i386 -kernel`, and ends the same way (the exit
 * status; a triple fault is the one documented difference: QEMU with -no-reboot exits 0, hvmsim
 * reports a crashed domain). Where QEMU is absent the hvmsim side is still checked against the
 * expected text, and the skip is printed. Guests that need hvmsim-only features (HVMSIM_ONLY:
 * an input script, VCPUOP_up) run under hvmsim only, with the options their output assumes.
 */
import { describe, expect, test } from 'vitest';
import { expectedSerial, GUEST_NAMES, guestElf, guestExitStatus, HVMSIM_ONLY, QEMU_EXTRA_ARGS } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { qemuAvailable, runUnderQemu } from './support/qemu.js';

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn('run-differential: qemu-system-i386 not found — comparing hvmsim with the expected text only');

describe('hvmsim run matches QEMU', () => {
  for (const name of GUEST_NAMES) {
    test(name, { timeout: 120_000 }, async () => {
      const elf = guestElf(name);
      const only = HVMSIM_ONLY[name];
      const hv = await runHvmsim(['run', elf, ...(only?.args ?? [])], { timeoutMs: 100_000 });
      expect(hv.stdout).toBe(await expectedSerial(name));
      expect(hv.status, `hvmsim stderr: ${hv.stderr}`).toBe(guestExitStatus(name, 'hvmsim'));
      if (name === 'triple-fault') expect(hv.stderr).toMatch(/crashed on vCPU 0: triple fault/);
      else expect(hv.stderr).toBe('');
      if (!haveQemu) return;
      if (only) {
        console.warn(`run-differential: ${name} is not run under QEMU: ${only.reason}`);
        return;
      }
      const q = await runUnderQemu(elf, { timeoutMs: 60_000, extraArgs: QEMU_EXTRA_ARGS[name] });
      expect(hv.stdout).toBe(q.serial);
      expect(q.status).toBe(guestExitStatus(name, 'qemu'));
    });
  }
});
