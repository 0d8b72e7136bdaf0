/**
 * `hvmsim run` as a user meets it: bad input gets one clear line and status 2 with nothing
 * written; --stats writes the documented names; counters are identical run to run for a guest
 * with no wall-clock input.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CRASH } from '../toolstack/exit-status.js';
import { guestElf } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { tinyGuestElf } from './support/tiny-guest.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-cli-'));

function expectUsageError(r: { stdout: string; stderr: string; status: number | null }, pattern: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('hvmsim run: bad input', () => {
  test('a file that is not an ELF', async () => {
    const f = path.join(dir, 'not-elf.bin');
    writeFileSync(f, 'MZ this is not an ELF file at all, but it is long enough to look at.......');
    expectUsageError(await runHvmsim(['run', f]), /not an ELF/i);
  });

  test('a missing file', async () => {
    expectUsageError(await runHvmsim(['run', path.join(dir, 'nope.elf')]), /nope\.elf/);
  });

  test('an ELF without a multiboot header', async () => {
    // A valid i386 ELF whose multiboot header was blanked.
    const bytes = readFileSync(guestElf('hello'));
    const magic = Buffer.from([0x02, 0xb0, 0xad, 0x1b]);
    const at = bytes.indexOf(magic);
    expect(at).toBeGreaterThan(0);
    const copy = Buffer.from(bytes);
    copy.fill(0, at, at + 12);
    const f = path.join(dir, 'no-multiboot.elf');
    writeFileSync(f, copy);
    expectUsageError(await runHvmsim(['run', f]), /multiboot/i);
  });

  test('a guest that does not fit in --memory', async () => {
    expectUsageError(await runHvmsim(['run', guestElf('hello'), '--memory', '1']), /--memory/);
  });

  test('an unknown option', async () => {
    expectUsageError(await runHvmsim(['run', guestElf('hello'), '--frobnicate']), /unknown option/);
  });

  test('a --stats file is not written when the run cannot start', async () => {
    const stats = path.join(dir, 'never.json');
    await runHvmsim(['run', path.join(dir, 'nope.elf'), '--stats', stats]);
    expect(existsSync(stats)).toBe(false);
  });
});

describe('hvmsim run --stats', () => {
  test('names and deterministic counters', async () => {
    const runs = [];
    for (let k = 0; k < 2; k++) {
      const f = path.join(dir, `stats-${k}.json`);
      const r = await runHvmsim(['run', guestElf('exceptions'), '--stats', f]);
      expect(r.status).toBe(1);
      runs.push(JSON.parse(readFileSync(f, 'utf8')));
    }
    const [a, b] = runs;
    for (const key of ['instructions', 'exits', 'ioreqs', 'interrupts_injected', 'wall_ms', 'mips']) expect(a).toHaveProperty(key);
    for (const key of ['io', 'mmio', 'hlt', 'vmcall', 'cpuid', 'interrupt_window', 'external_interrupt', 'logdirty']) {
      expect(a.exits).toHaveProperty(key);
    }
    expect(a.ioreqs).toHaveProperty('sync');
    expect(a.ioreqs).toHaveProperty('buffered');
    expect(a.instructions).toBeGreaterThan(1000);
    // Every COM1 access is a port exit that becomes a synchronous ioreq.
    expect(a.exits.io).toBeGreaterThan(100);
    expect(a.ioreqs.sync).toBe(a.exits.io);
    expect(a.device_model.ioreqs_served).toBe(a.ioreqs.sync);
    const deterministic = (s: typeof a) => ({ instructions: s.instructions, exits: s.exits, ioreqs: s.ioreqs, irq: s.interrupts_injected });
    expect(deterministic(b)).toEqual(deterministic(a));
  });

  test('paging counters: tlb_miss, page_walks, page_faults', async () => {
    const f = path.join(dir, 'stats-paging.json');
    const r = await runHvmsim(['run', guestElf('paging'), '--stats', f]);
    expect(r.status, r.stderr).toBe(1);
    const s = JSON.parse(readFileSync(f, 'utf8'));
    // guests/paging/paging.c takes 25 page faults when every check holds (test/cpu-paging.test.ts).
    expect(s.paging.page_faults).toBe(25);
    expect(s.paging.tlb_miss).toBeGreaterThan(20);
    expect(s.paging.page_walks).toBeGreaterThanOrEqual(s.paging.tlb_miss);
    expect(s.vcpus[0].page_faults).toBe(25);
  });
});

describe('hvmsim run: a page table outside RAM', () => {
  test('crashes the domain with a report naming the table, status 4', async () => {
    // mov eax, 0xfeb00000 (the MMIO hole: nothing there); mov cr3, eax; mov eax, cr0;
    // or eax, 0x80000000; mov cr0, eax: the next fetch walks the "page directory"; hlt
    const code = [0xb8, 0x00, 0x00, 0xb0, 0xfe, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xf4];
    const f = path.join(dir, 'table-in-mmio.elf');
    writeFileSync(f, tinyGuestElf(code));
    const r = await runHvmsim(['run', f]);
    expect(r.status).toBe(EXIT_CRASH);
    // The walk is the fetch of the instruction after the MOV CR0, which is where EIP is.
    const m = /page walk for linear 0x([0-9a-f]{8}) reads a paging structure at guest-physical 0xfeb00[0-9a-f]{3} \(p2m type \w+\), which is not RAM\. EIP 0x([0-9a-f]{8})/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toBe(m![2]);
  });
});

describe('hvmsim run: a console reader that goes away', () => {
  test('`| head -1`: the run ends with the guest status, no EPIPE stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const { HVMSIM_CLI } = await import('./support/hvmsim-cli.js');
    const child = spawn(process.execPath, [HVMSIM_CLI, 'run', guestElf('hello')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Read the first chunk, then close our end, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe(1);
  });
});
