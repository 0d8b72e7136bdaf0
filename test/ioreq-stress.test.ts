/**
 * The ioreq channel under load: a million round trips between a vCPU worker and the device
 * model with pauses and unpauses landing at random moments — no lost wake-up (the run ends),
 * no request served twice or lost (every value read back matches, and the vCPU's count of
 * requests equals the device model's count of requests served), no deadlock — and destroys at
 * random moments that every thread obeys on its own.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain } from '../toolstack/domain.js';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { guestElf } from './support/guest-files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live: Domain[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((d) => d.destroy()));
});

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function ioreqLoop(iterations: number): Domain {
  const image = readGuestImage(guestElf('ioreq-loop'), { ramBytes: 16 << 20 });
  const d = new Domain(buildDomain(image, { domid: 3, name: 'stress', memoryMiB: 16, cmdline: `iterations=${iterations}` }));
  live.push(d);
  return d;
}

describe('ioreq stress', () => {
  test('a million round trips with random pauses: none lost, none doubled, no deadlock', { timeout: 240_000 }, async () => {
    const iterations = 500_000; // OUT + IN each: 1,000,000 synchronous round trips
    const seed = Number(process.env['HVMSIM_STRESS_SEED'] ?? 20261121);
    const random = rng(seed);
    const d = ioreqLoop(iterations);
    let out = '';
    d.on('console', (b) => (out += Buffer.from(b).toString('latin1')));
    await d.start();
    let pauses = 0;
    let done = false;
    void d.outcome().then(() => (done = true));
    while (!done) {
      await sleep(5 + random() * 60);
      if (done) break;
      d.pause();
      pauses++;
      await sleep(random() * 10);
      d.unpause();
    }
    const outcome = await d.outcome();
    expect(outcome, `seed ${seed}`).toEqual({ kind: 'debug-exit', status: 1 });
    expect(out).toBe(`ioreq-loop: ${iterations} round trips of out+in on port 0x3ff, 0 mismatches\n`);
    const { vcpus, dm } = d.counters();
    expect(vcpus[0]!.ioreq_sync).toBeGreaterThanOrEqual(2 * iterations);
    expect(dm.ioreqs_served).toBe(vcpus[0]!.ioreq_sync);
    expect(dm.bad_requests).toBe(0);
    console.log(`ioreq stress: ${vcpus[0]!.ioreq_sync} round trips, ${pauses} random pauses, seed ${seed}`);
    await d.destroy();
    expect(d.forcedTerminations).toBe(0);
  });

  test('destroy at random moments: every thread leaves by itself', { timeout: 120_000 }, async () => {
    const random = rng(7);
    for (let k = 0; k < 20; k++) {
      const d = ioreqLoop(100_000_000);
      await d.start();
      await sleep(random() * 40);
      if (random() < 0.5) {
        d.pause();
        await sleep(random() * 5);
      }
      await d.destroy();
      expect(d.forcedTerminations, `destroy #${k}`).toBe(0);
      live.splice(live.indexOf(d), 1);
    }
  });
});
