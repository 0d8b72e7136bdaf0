/**
 * An idle guest costs what its timer asks for and no more: over an idle window of vga-idle (a
 * frame drawn once, then 100 Hz PIT ticks with HLT between them), the device model neither
 * refreshes nor wakes at all — the display refreshes only when something could have changed, and
 * its loop has no timeout — while the vCPU halts once per tick, bounded by the timer rate. The
 * counts are what is asserted, not times, so load on the machine does not change the verdict.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { VgaMode } from '../shared/vga-config.js';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain } from '../toolstack/domain.js';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { guestElf } from './support/guest-files.js';

const WINDOW_MS = 600;
const TIMER_HZ = 100;
const live: Domain[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await Promise.all(live.splice(0).map((d) => d.destroy()));
});

/** Counters over WINDOW_MS of vga-idle's idling (from its "idling" line on). */
async function idleWindow(vga: VgaMode, refreshHz: number) {
  const image = readGuestImage(guestElf('vga-idle'), { ramBytes: 32 << 20 });
  const d = new Domain(buildDomain(image, { domid: 3, name: 'vga-idle', memoryMiB: 32, cmdline: 'rows=8 ticks=100000', vga, refreshHz }));
  live.push(d);
  let text = '';
  d.on('console', (bytes: Uint8Array) => (text += Buffer.from(bytes).toString('latin1')));
  await d.start();
  const deadline = Date.now() + 20_000;
  while (!text.includes('vga-idle: idling\n')) {
    if (Date.now() > deadline) throw new Error(`vga-idle never reached its idle loop; console: ${text}`);
    await sleep(5);
  }
  await sleep(100); // the last frame's refresh and the console flush are behind us
  const before = d.counters();
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const after = d.counters();
  const wallMs = performance.now() - t0;
  const dm = (k: string) => after.dm[k]! - before.dm[k]!;
  const vcpu = (k: string) => after.vcpus[0]![k]! - before.vcpus[0]![k]!;
  return { refreshes: dm('refreshes'), dmWakeups: dm('wakeups'), halts: vcpu('exit_hlt'), wallMs };
}

describe('idle guest', () => {
  for (const vga of ['shared-dirty', 'trap'] as const) {
    test(`${vga}, display at 200 Hz: no refresh and no device-model wake-up while the guest idles; HLTs bounded by the 100 Hz timer`, async () => {
      const w = await idleWindow(vga, 200);
      expect(w.refreshes).toBe(0);
      expect(w.dmWakeups).toBe(0);
      // At most one HLT per tick (plus the one in progress), and the guest did idle.
      expect(w.halts).toBeGreaterThan(0);
      expect(w.halts).toBeLessThanOrEqual(Math.ceil((w.wallMs * TIMER_HZ) / 1000) + 2);
    });
  }

  test('shared mode keeps comparing at its refresh rate, since only a comparison can see the guest write', async () => {
    const w = await idleWindow('shared', 50);
    expect(w.refreshes).toBeGreaterThan(0);
    expect(w.refreshes).toBeLessThanOrEqual(Math.ceil((w.wallMs * 50) / 1000) + 2);
  });
});
