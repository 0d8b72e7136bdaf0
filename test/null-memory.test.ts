/**
 * Data accesses to guest-physical memory with nothing behind it (docs/architecture.md §8): they reach
 * the null device as in Xen, whose p2m reads an unpopulated gfn as mmio_dm and whose null handler
 * answers what no ioreq server claims — reads all ones, writes dropped, both counted. QEMU TCG
 * differs here: its unassigned memory reads as 0 (checked: status 1 below); hvmsim keeps Xen's
 * answer, the one a guest of the simulated machine sees. `--strict-memory` crashes the domain instead.
 * Workers run from dist/: npm run build first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyGuestElf } from '../guests/tiny-guest-elf.js';
import { EXIT_CRASH } from '../toolstack/exit-status.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { qemuAvailable, runUnderQemu } from './support/qemu.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-null-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// mov eax,[0x50000000]; mov dword [0x50000000],0x12345678; mov ebx,[0x50000000]; and eax,ebx;
// out 0xf4,al (isa-debug-exit: status (al << 1) | 1); hlt.
const CODE = [0xa1, 0, 0, 0, 0x50, 0xc7, 0x05, 0, 0, 0, 0x50, 0x78, 0x56, 0x34, 0x12, 0x8b, 0x1d, 0, 0, 0, 0x50, 0x21, 0xd8, 0xe6, 0xf4, 0xf4];
const elf = path.join(dir, 'null-memory.elf');
writeFileSync(elf, tinyGuestElf(CODE));

describe('memory with nothing behind it', () => {
  it('reads all ones and drops writes, counting both, as Xen does', async () => {
    const stats = path.join(dir, 'stats.json');
    const r = await runHvmsim(['run', elf, '--memory', '32', '--stats', stats]);
    expect(r.status).toBe(255); // al = 0xff & 0xff: both reads all ones, the write lost
    const c = JSON.parse(readFileSync(stats, 'utf8')).vcpus[0];
    expect([c.null_reads, c.null_writes, c.exit_mmio]).toEqual([2, 1, 3]);
  });

  it('--strict-memory crashes the domain with a report naming the address and its p2m type', async () => {
    const r = await runHvmsim(['run', elf, '--memory', '32', '--strict-memory']);
    expect(r.status).toBe(EXIT_CRASH);
    expect(r.stderr).toMatch(/read from unmapped guest-physical address 0x50000000 \(p2m type invalid\)\. EIP 0x/);
  });

  it.skipIf(!qemuAvailable())('QEMU TCG reads unassigned memory as 0 instead (the documented difference)', async () => {
    const q = await runUnderQemu(elf);
    expect(q.status).toBe(1);
  });
});
if (!qemuAvailable()) console.warn('null-memory: qemu-system-i386 not found — the QEMU comparison is SKIPPED');
