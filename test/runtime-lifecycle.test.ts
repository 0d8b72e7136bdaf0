/**
 * Domain lifecycle across threads: pause, unpause and destroy reach a vCPU that is computing,
 * sleeping in HLT or blocked on the device model; HLT with IF=0 powers the domain off; Ctrl-C
 * destroys it cleanly. Threads must leave their loops by themselves (no forced termination).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { RunState } from '../shared/domain-control.js';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain } from '../toolstack/domain.js';
import { parseGuestImage, readGuestImage } from '../toolstack/elf-loader.js';
import { guestElf } from './support/guest-files.js';
import { HVMSIM_CLI, runHvmsim } from './support/hvmsim-cli.js';
import { tinyGuestElf, X86 } from './support/tiny-guest.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-life-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live: Domain[] = [];

afterEach(async () => {
  await Promise.all(live.splice(0).map((d) => d.destroy()));
});

async function startDomain(image: ReturnType<typeof parseGuestImage>, cmdline?: string): Promise<Domain> {
  const d = new Domain(buildDomain(image, { domid: 7, name: 'life', memoryMiB: 16, cmdline }));
  live.push(d);
  await d.start();
  return d;
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

const instructions = (d: Domain) => d.counters().vcpus[0]!.instructions!;

describe('pause, unpause, destroy', () => {
  test('while the guest computes', async () => {
    const d = await startDomain(parseGuestImage(tinyGuestElf([...X86.spin])));
    await waitFor(() => instructions(d) > 1_000_000);
    d.pause();
    await waitFor(() => d.control.state(0) === RunState.PAUSED);
    const a = instructions(d);
    await sleep(150);
    expect(instructions(d)).toBe(a);
    d.unpause();
    await waitFor(() => instructions(d) > a);
    await d.destroy();
    expect(d.forcedTerminations).toBe(0);
  });

  test('while the guest sits in HLT, and the guest then completes', async () => {
    const d = await startDomain(readGuestImage(guestElf('idle'), { ramBytes: 16 << 20 }), 'ticks=40');
    const out: string[] = [];
    d.on('console', (b) => out.push(Buffer.from(b).toString('latin1')));
    await waitFor(() => d.control.state(0) === RunState.HALTED);
    d.pause();
    await waitFor(() => d.control.state(0) === RunState.PAUSED);
    const a = instructions(d);
    await sleep(200); // 20 ticks' worth: none may be taken while paused
    expect(instructions(d)).toBe(a);
    d.unpause();
    const outcome = await d.outcome();
    expect(outcome).toEqual({ kind: 'debug-exit', status: 1 });
    expect(out.join('')).toBe('idle: 40 ticks at 100 Hz\n');
    await d.destroy();
    expect(d.forcedTerminations).toBe(0);
  });

  test('destroy while the vCPU is blocked on the device model', async () => {
    for (let k = 0; k < 5; k++) {
      const d = await startDomain(readGuestImage(guestElf('ioreq-loop'), { ramBytes: 16 << 20 }), 'iterations=100000000');
      await waitFor(() => d.control.state(0) === RunState.BLOCKED_IO);
      await d.destroy();
      expect(d.forcedTerminations).toBe(0);
      expect(d.control.state(0)).toBe(RunState.DEAD);
    }
  });
});

describe('ends of a domain', () => {
  test('HLT with IF=0 takes the only vCPU down: the domain powers off', async () => {
    const f = path.join(dir, 'cli-hlt.elf');
    writeFileSync(f, tinyGuestElf([...X86.putc('x'), ...X86.cli, ...X86.hlt]));
    const r = await runHvmsim(['run', f]);
    expect(r.stdout).toBe('x');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('Ctrl-C destroys the domain and exits with 130', async () => {
    const f = path.join(dir, 'spin.elf');
    writeFileSync(f, tinyGuestElf([...X86.putc('s'), ...X86.spin]));
    const child = spawn(process.execPath, [HVMSIM_CLI, 'run', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out === 's');
    const t0 = Date.now();
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(status).toBe(130);
    expect(Date.now() - t0).toBeLessThan(1500); // well inside the 2 s grace: the threads left by themselves
  });
});
