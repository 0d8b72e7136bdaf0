/**
 * The cost model: every committed profile prices every term with a source, and modeled time is
 * exactly Σ count × cycles / clock, with ioreqs split into PIO and MMIO as documented.
 */
import { describe, expect, test } from 'vitest';
import { COST_TERMS, loadCostProfiles, modelTime, parseCostProfile, syncMmioIoreqs, syncPioIoreqs, totalExits } from '../bench/cost-model.js';
import { COST_MODELS_DIR } from '../bench/repo-paths.js';

const profiles = loadCostProfiles(COST_MODELS_DIR);

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

  test('ioreqs split: buffered entries are MMIO served, the rest of the MMIO is synchronous', () => {
    const c = { ioreq_sync: 100, 'dm.mmio': 70, 'dm.buffered_served': 30, exit_io: 60, exit_mmio: 40, exit_hlt: 2 };
    expect(syncMmioIoreqs(c)).toBe(40);
    expect(syncPioIoreqs(c)).toBe(60);
    expect(totalExits(c)).toBe(102);
  });

  test('modeled time is the sum of count x cycles over the clock', () => {
    const profile = parseCostProfile(
      {
        name: 'unit',
        description: 'every cost 1000 cycles at 1 GHz = 1 us',
        cpuGHz: 1,
        parameters: Object.fromEntries(COST_TERMS.map((t) => [t.parameter, { value: 1000, unit: 'cycles', source: 'test' }])),
      },
      'unit.json',
    );
    const c = {
      instructions: 1000,
      exit_io: 10,
      exit_mmio: 5,
      exit_hlt: 1,
      ioreq_sync: 12,
      ioreq_buffered: 3,
      interrupts_injected: 4,
      'dm.mmio': 8,
      'dm.buffered_served': 3,
      'dm.bytes_compared': 2,
      'dm.dirty_pages': 6,
      'dm.refreshes': 7,
    };
    const m = modelTime(c, profile);
    // instructions 1000, exits 16, in-hypervisor 16-12 = 4, PIO 12-5 = 7, MMIO 8-3 = 5, buffered 3, interrupts 4.
    expect(m.terms.guest_instruction).toEqual({ count: 1000, ms: 1 });
    expect(m.terms.exit_in_hypervisor!.count).toBe(4);
    expect(m.terms.ioreq_pio!.count).toBe(7);
    expect(m.terms.ioreq_mmio!.count).toBe(5);
    expect(m.vcpuMs).toBeCloseTo((1000 + 16 + 4 + 7 + 5 + 4) / 1000);
    expect(m.dmMs).toBeCloseTo((3 + 2 + 6 + 7) / 1000);
    expect(m.totalMs).toBeCloseTo(m.vcpuMs + m.dmMs);
  });
});
