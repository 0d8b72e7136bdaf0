/**
 * Input scripts end to end (hvmsim run --input): the device model replays them into the i8042
 * on its own timer and the guests' handlers take every byte. mouse-draw's output — a checksum of
 * every byte in order, the cursor, the frame's CRC-32 — is worked out from the script alone
 * (guests/mouse-draw/input-guest-models.ts), so a lost, duplicated or reordered packet shows.
 * Also: the latency and per-event counters, irq-window's interrupt windows, and the errors of
 * --input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IRQ_WINDOW_DEFAULT_INPUT, irqWindowSerial, mouseDrawSerial } from '../guests/mouse-draw/input-guest-models.js';
import { debugExitStatus, guestElf } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Stats {
  exits: Record<string, number>;
  interrupts_injected: number;
  device_model: Record<string, number>;
  vcpus: Record<string, number>[];
}

async function run(guest: 'mouse-draw' | 'irq-window', script: string, extra: string[] = []) {
  const file = path.join(work, `${guest}-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, script);
  const statsFile = `${file}.json`;
  const r = await runHvmsim(['run', guestElf(guest), '--input', file, '--stats', statsFile, ...extra], { timeoutMs: 90_000 });
  return { ...r, stats: JSON.parse(readFileSync(statsFile, 'utf8')) as Stats };
}

describe('mouse-draw under a burst', () => {
  it('takes 10,000 mouse events with nothing lost or duplicated', { timeout: 100_000 }, async () => {
    // A mixed burst, all due at once: moves in every direction (some beyond the 9-bit range),
    // button changes, and keys at the end.
    const lines = ['+0 move 1 0'];
    for (let i = 1; i < 10_000; i++) {
      if (i % 1000 === 500) lines.push(`+0 button ${i % 2000 === 500 ? 'left' : 'right'} ${i % 4000 < 2000 ? 'down' : 'up'}`);
      else if (i % 997 === 0) lines.push('+0 move 400 -300');
      else lines.push(`+0 move ${(i % 7) - 3} ${(i % 5) - 2}`);
    }
    lines.push('+0 key a', '+0 key up');
    const script = lines.join('\n');
    const cmdline = 'packets=10000 keys=6';
    const r = await run('mouse-draw', script, ['--cmdline', cmdline]);
    expect(r.status, r.stderr).toBe(debugExitStatus(0));
    expect(r.stdout).toBe(mouseDrawSerial(script, cmdline));
    expect(r.stats.device_model.input_events).toBe(10_002);
    // Every packet's first byte reached the handler through an interrupt that carried its stamp.
    const v0 = r.stats.vcpus[0]!;
    expect(v0.input_irqs).toBe(10_002);
    expect(v0.input_latency_ns).toBeGreaterThan(0);
    expect(v0.input_latency_max_ns).toBeLessThanOrEqual(v0.input_latency_ns!);
  });
});

describe('mouse-draw per event', () => {
  it.each(['trap', 'shared'])('--vga %s: a packet is 3 interrupts, each 4 port exits; trap adds 33 frame-buffer exits', async (vga) => {
    const script = '+0 move 8 0\n+2ms move 0 8 x99\n+1ms key b';
    const r = await run('mouse-draw', script, ['--vga', vga]);
    expect(r.status, r.stderr).toBe(debugExitStatus(0));
    expect(r.stdout).toBe(mouseDrawSerial(script));
    const base = await run('mouse-draw', script, ['--vga', vga, '--cmdline', 'packets=0 keys=0']);
    expect(base.status, base.stderr).toBe(debugExitStatus(0));
    // The 100 packets and one key's 2 bytes: 302 IRQs, each a status read, a data read and two
    // EOIs (slave and master for IRQ 12, master for IRQ 1: one fewer each). The console's
    // longer numbers cost two port exits a character (LSR, THR).
    expect(r.stats.interrupts_injected - base.stats.interrupts_injected).toBe(302);
    const consoleExits = 2 * (r.stdout.length - base.stdout.length);
    expect(r.stats.exits.io! - base.stats.exits.io!).toBe(300 * 4 + 2 * 3 + consoleExits);
    // The cursor: 16 pixels repainted, a trail dot, 16 drawn per packet, each an exit in trap mode.
    expect(r.stats.exits.mmio! - base.stats.exits.mmio!).toBe(vga === 'trap' ? 100 * 33 : 0);
  });
});

describe('irq-window', () => {
  it('holds every byte until the guest opens interrupts, then delivers it through an interrupt window', async () => {
    const script = readFileSync(IRQ_WINDOW_DEFAULT_INPUT, 'utf8');
    const r = await run('irq-window', script);
    expect(r.status, r.stderr).toBe(debugExitStatus(0));
    expect(r.stdout).toBe(irqWindowSerial(script));
    expect(r.stats.interrupts_injected).toBe(60);
    // Each byte's IRQ came while IF=0 and waited: for an interrupt window, or (when a kick got
    // the vCPU to the injection point first) straight at the instruction after the STI shadow,
    // which the guest checked for every byte.
    expect(r.stats.exits.interrupt_window).toBeGreaterThan(40);
    expect(r.stats.exits.interrupt_window).toBeLessThanOrEqual(60);
    const v0 = r.stats.vcpus[0]!;
    expect(v0.input_irqs).toBe(20);
  });
});

describe('--input errors', () => {
  it('a bad script stops the run before it starts: one line naming the file and line, status 2', async () => {
    const file = path.join(work, 'bad.txt');
    writeFileSync(file, '+1ms move 1 1\n+1ms wiggle\n');
    const r = await runHvmsim(['run', guestElf('hello'), '--input', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`hvmsim: ${file}:2: unknown event "wiggle" (move, button, key)\n`);
    const missing = await runHvmsim(['run', guestElf('hello'), '--input', path.join(work, 'none.txt')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/none\.txt: cannot read the input script \(ENOENT\)\n$/);
  });
});
