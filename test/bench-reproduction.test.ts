/**
 * The history set's columns: a published figure beside the same figure from the cost model and
 * from measured wall time, for each metric a scenario can reproduce.
 */
import { describe, expect, test } from 'vitest';
import { formatReproductions } from '../bench/report-markdown.js';
import { reproductions } from '../bench/reproduction.js';
import { results, scenario, summarized, trials } from './bench-results-fixture.js';

const PROFILE = 'xen-3.0-vtx-2006';

function pair(metric: string, published: number) {
  const quiet = summarized(scenario({ name: 'quiet', guest: 'compute', sets: ['history'] }), trials({ instructions: 1e9 }, [100, 100, 100]));
  const busy = summarized(
    scenario({ name: 'busy', guest: 'compute', sets: ['history'], reproduces: { metric, relativeTo: 'quiet', published, source: 'a paper', profile: PROFILE } }),
    // Same work plus 20,000 synchronous MMIO round trips; 135 instead of 100 on the clock.
    trials({ instructions: 1e9, exit_mmio: 20_000, ioreq_sync: 20_000, 'dm.mmio': 20_000 }, [135, 135, 135]),
  );
  return results([quiet, busy]);
}

describe('reproductions', () => {
  test('slowdown: modeled from the profile, measured from wall time, beside the published figure', () => {
    const r = pair('slowdown', 0.35);
    const [x] = reproductions(r);
    const p = r.profiles.find((q) => q.name === PROFILE)!.parameters;
    const base = 1e9 * p.guest_instruction!.value;
    const extra = 20_000 * (p.vm_exit!.value + p.ioreq_mmio!.value);
    expect(x!.modeled).toBeCloseTo(extra / base, 6);
    expect(x!.measured).toBeCloseTo(0.35, 6);
    expect(x!.published).toBe(0.35);
    expect(formatReproductions(r)).toMatch(/\| busy \| slowdown \| quiet \| xen-3\.0-vtx-2006 \| 35\.0% \| [\d.]+% \| 35\.0% \| -?[\d.]+ pt \|/);
  });

  test('throughput loss is 1 - quiet/busy', () => {
    const [x] = reproductions(pair('throughput-loss', 0.26));
    expect(x!.measured).toBeCloseTo(1 - 100 / 135, 6);
  });

  test('a reproduction whose reference failed has no figures, not wrong ones', () => {
    const r = pair('slowdown', 0.35);
    r.scenarios[0]!.status = 'failed';
    const [x] = reproductions(r);
    expect(x!.modeled).toBeUndefined();
    expect(x!.measured).toBeUndefined();
  });
});
