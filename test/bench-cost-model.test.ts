/**
 * The cost model: every committed profile prices every term with a source, and modeled time is
 * exactly Σ count × cycles / clock, with ioreqs split into PIO and MMIO as documented. The
 * counters come from real runs of guests (workers from dist/: npm run build first).
 */
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { COST_TERMS, loadCostProfiles, modelTime, parseCostProfile, totalExits, type Counters } from '../bench/cost-model.js';
import { COST_MODELS_DIR } from '../bench/repo-paths.js';
import { flattenCounters } from '../bench/scenario-runner.js';
import type { DomainConfig } from '../shared/domain-config.js';
import type { VgaMode } from '../shared/vga-config.js';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain } from '../toolstack/domain.js';
import { parseGuestImage, readGuestImage, type GuestImage } from '../toolstack/elf-loader.js';
import { GUEST_BIN_DIR } from './support/guest-files.js';
import { tinyGuestElf, X86 } from './support/tiny-guest.js';

const profiles = loadCostProfiles(COST_MODELS_DIR);

const RMW_COUNT = 50;
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

function tinyImage(): GuestImage {
  return parseGuestImage(tinyGuestElf(X86.hlt), { ramBytes: 64 << 20 });
}

/** mov ecx, N; l: add [lfb], eax; dec ecx; jnz l; isa-debug-exit 0. */
function rmwLoop(config: DomainConfig): void {
  const code = [0xb9, ...le32(RMW_COUNT), 0x01, 0x05, ...le32(config.vga.lfbAddress), 0x49, 0x75, 0xf7, ...X86.debugExit(0)];
  new Uint8Array(config.ram).set(code, config.boot.eip);
}

/** Run a guest to its end through the domain the CLI runs; its counters, flattened as the benchmarks flatten them. */
async function runGuest(image: GuestImage, vga: VgaMode, patch?: (config: DomainConfig) => void): Promise<Counters> {
  const config = buildDomain(image, { domid: 3, name: 'cost-model', memoryMiB: 64, vga });
  patch?.(config);
  const domain = new Domain(config);
  try {
    await domain.start();
    const outcome = await domain.outcome();
    expect(outcome.kind).toBe('debug-exit');
  } finally {
    await domain.destroy();
  }
  return flattenCounters(domain.counters());
}

describe('cost model', () => {
  test('a 2006 VT-x / Xen 3.0 profile and a current one, every parameter with a source', () => {
    const names = profiles.map((p) => p.name);
    expect(names).toContain('xen-3.0-vtx-2006');
    expect(names).toContain('xen-4-current');
    for (const p of profiles) {
      expect(Object.keys(p.parameters).sort()).toEqual(COST_TERMS.map((t) => t.parameter).sort());
      for (const v of Object.values(p.parameters)) expect(v.source.length).toBeGreaterThan(20);
    }
    const old = profiles.find((p) => p.name === 'xen-3.0-vtx-2006')!;
    const now = profiles.find((p) => p.name === 'xen-4-current')!;
    // The history the project exists to show: the round trip to the device model got far cheaper.
    expect(old.parameters.ioreq_mmio!.value).toBeGreaterThan(now.parameters.ioreq_mmio!.value * 3);
  });

  test('a profile with a missing or unknown parameter is refused, naming it', () => {
    const p = structuredClone(profiles[0]!) as { parameters: Record<string, unknown> };
    delete p.parameters.vm_exit;
    expect(() => parseCostProfile(p, 'x.json')).toThrow(/^x\.json: parameters\.vm_exit:/);
    const q = structuredClone(profiles[0]!) as { parameters: Record<string, unknown> };
    q.parameters.tea_break = { value: 1, unit: 'cycles', source: 's' };
    expect(() => parseCostProfile(q, 'x.json')).toThrow(/tea_break/);
  });

  // Counters from real runs: a text-mode guest (port I/O, synchronous MMIO reads of the legacy
  // window, thousands of buffered writes to it) and a loop of read-modify-writes on the trapped
  // LFB (one exit, two round trips each).
  describe.each([
    ['vga-text', () => runGuest(readGuestImage(path.join(GUEST_BIN_DIR, 'vga-text.elf'), { ramBytes: 64 << 20 }), 'shared-dirty')],
    ['an MMIO read-modify-write loop', () => runGuest(tinyImage(), 'trap', rmwLoop)],
  ])('priced from the counters of a real run: %s', (name, start) => {
    let c: Counters;
    beforeAll(async () => {
      c = await start();
    }, 60_000);

    test('round trips are the synchronous ioreqs the device model served, by kind; buffered entries are not round trips', () => {
      const m = modelTime(c, profiles[0]!);
      expect(c.ioreq_sync).toBeGreaterThan(0);
      expect(m.terms.ioreq_mmio!.count).toBe(c['dm.mmio']);
      expect(m.terms.ioreq_pio!.count).toBe(c['dm.pio']! + c['dm.pci_config']!);
      expect(m.terms.ioreq_pio!.count + m.terms.ioreq_mmio!.count).toBe(c.ioreq_sync);
      expect(m.terms.buffered_write!.count).toBe(c['dm.buffered_served']);
      expect(c.ioreq_buffered).toBe(c['dm.buffered_served']);
      if (name === 'vga-text') {
        expect(c['dm.mmio']).toBeGreaterThan(0);
        expect(c['dm.buffered_served']).toBeGreaterThan(1000);
      }
    });

    test('exits handled in the hypervisor are the exits that sent no synchronous ioreq', () => {
      const m = modelTime(c, profiles[0]!);
      expect(m.terms.vm_exit!.count).toBe(totalExits(c));
      expect(m.terms.exit_in_hypervisor!.count).toBe(totalExits(c) - c.ioreq_exits!);
      if (name !== 'vga-text') {
        // 50 RMWs: 50 exits, 100 round trips.
        expect(c.exit_mmio).toBe(RMW_COUNT);
        expect(c['dm.mmio']).toBe(2 * RMW_COUNT);
        expect(c.ioreq_exits).toBe(c.ioreq_sync! - RMW_COUNT);
      }
    });

    test('modeled time is the sum of count x cycles over the clock', () => {
      const unit = parseCostProfile(
        {
          name: 'unit',
          description: 'every cost 1000 cycles at 1 GHz = 1 us',
          cpuGHz: 1,
          parameters: Object.fromEntries(COST_TERMS.map((t) => [t.parameter, { value: 1000, unit: 'cycles', source: 'test' }])),
        },
        'unit.json',
      );
      const m = modelTime(c, unit);
      const events = (side: 'vcpu' | 'dm'): number => COST_TERMS.filter((t) => t.side === side).reduce((n, t) => n + t.count(c), 0);
      expect(m.terms.guest_instruction).toEqual({ count: c.instructions, ms: c.instructions! / 1000 });
      expect(m.vcpuMs).toBeCloseTo(events('vcpu') / 1000, 9);
      expect(m.dmMs).toBeCloseTo(events('dm') / 1000, 9);
      expect(m.totalMs).toBeCloseTo(m.vcpuMs + m.dmMs, 9);
    });
  });
});
