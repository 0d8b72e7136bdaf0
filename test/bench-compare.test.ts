/**
 * `hvmsim bench compare`: a deliberately slower change (one extra exit per frame) fails with the
 * change listed; an unchanged run passes; counters that vary by declaration are listed but not
 * judged; wall time is judged by the bootstrap interval of ratios, not by single numbers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compareResults, formatCompareReport, parseThreshold } from '../bench/compare.js';
import { DISPLAY_VARYING, results, scenario, summarized, trials, vgaCounters } from './bench-results-fixture.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-bench-compare-'));
const OPTS = { threshold: 0.05, timeThreshold: 0.1 };
const vga = scenario({ name: 'vga-fill-shared', vga: 'shared', frames: 30, varyingCounters: DISPLAY_VARYING });
const RATIOS = [10.2, 10.0, 10.4];

function run(exitsPerFrame: number, ratios = RATIOS, tweak?: Parameters<typeof trials>[2], cpuRatios?: number[]) {
  return results([summarized(vga, trials(vgaCounters(30, exitsPerFrame), ratios, tweak, cpuRatios))]);
}

function write(name: string, data: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(data));
  return f;
}

describe('compare (library)', () => {
  test('an unchanged run has no regression and lists nothing but the time rows', () => {
    const r = compareResults(run(0), run(0), OPTS);
    expect(r.regressions).toEqual([]);
    expect(r.rows.map((x) => x.metric)).toEqual(['CPU time / host reference', 'wall time / host reference']);
    expect(r.rows.map((x) => x.verdict)).toEqual(['same', 'same']);
  });

  test('one extra exit per frame is a regression in the exits and ioreqs; the modeled time rise is listed', () => {
    const r = compareResults(run(0), run(1), OPTS);
    const failed = r.regressions.map((x) => x.metric);
    expect(failed).toContain('exit_io');
    expect(failed).toContain('ioreq_sync');
    const exitRow = r.rows.find((x) => x.metric === 'exit_io')!;
    expect([exitRow.base, exitRow.new]).toEqual([60, 90]);
    // 30 more round trips against a display-dominated model: a rise below 5%, listed but passing.
    const modeled = r.rows.find((x) => x.metric === 'modeled ms (xen-3.0-vtx-2006)')!;
    expect(modeled.change).toBeGreaterThan(0);
    expect(modeled.verdict).toBe('changed');
    // With a tighter threshold the same modeled rise fails.
    expect(compareResults(run(0), run(1), { ...OPTS, threshold: 0.01 }).regressions.map((x) => x.metric)).toContain('modeled ms (xen-3.0-vtx-2006)');
  });

  test('a rise within the threshold is listed but passes; a fall is an improvement', () => {
    const small = compareResults(run(0), run(0, RATIOS, (_i, c) => (c.instructions! += 1000)), OPTS);
    expect(small.regressions).toEqual([]);
    expect(small.rows.find((x) => x.metric === 'instructions')!.verdict).toBe('changed');
    const fewer = compareResults(run(1), run(0), OPTS);
    expect(fewer.regressions).toEqual([]);
    expect(fewer.rows.find((x) => x.metric === 'exit_io')!.verdict).toBe('improvement');
  });

  test('a counter rising from zero fails whatever the threshold', () => {
    const r = compareResults(run(0), run(0, RATIOS, (_i, c) => (c.exit_mmio = 1)), { threshold: 5, timeThreshold: 0.1 });
    expect(r.regressions.map((x) => x.metric)).toContain('exit_mmio');
  });

  test('declared varying counters (display refreshes) are listed, not judged', () => {
    const r = compareResults(run(0), run(0, RATIOS, (_i, c) => (c['dm.refreshes']! *= 2)), OPTS);
    expect(r.regressions).toEqual([]);
    expect(r.rows.find((x) => x.metric === 'dm.refreshes')!.verdict).toBe('varies');
    // The modeled time moved with them, and is not judged either.
    const modeled = r.rows.find((x) => x.metric === 'modeled ms (xen-3.0-vtx-2006)')!;
    expect(modeled.change).toBeGreaterThan(0);
    expect(modeled.verdict).toBe('varies');
  });

  test('a counter that happened to vary is judged by its ranges', () => {
    const tail = (i: number, c: Record<string, number>): void => {
      if (i === 1) c.instructions! += 5; // one trial ran 5 more instructions
    };
    const base = run(0, RATIOS, tail);
    expect(base.scenarios[0]!.varied.instructions).toEqual({ min: 5_000_000, max: 5_000_005 });
    // Overlapping ranges: listed as varying; all trials far above: a regression.
    expect(compareResults(base, run(0), OPTS).rows.find((x) => x.metric === 'instructions')!.verdict).toBe('varies');
    const grown = compareResults(base, run(0, RATIOS, (_i, c) => (c.instructions = 6_000_000)), OPTS);
    expect(grown.regressions.map((x) => x.metric)).toContain('instructions');
    const slightly = compareResults(base, run(0, RATIOS, (_i, c) => (c.instructions = 5_100_000)), OPTS);
    expect(slightly.rows.find((x) => x.metric === 'instructions')!.verdict).toBe('changed');
  });

  test('CPU time is judged and wall time listed: a busy neighbour stretching wall time alone fails nothing', () => {
    const loaded = compareResults(run(0), run(0, [16.0, 15.2, 17.9], undefined, RATIOS), OPTS);
    expect(loaded.regressions).toEqual([]);
    const wall = loaded.rows.find((x) => x.metric === 'wall time / host reference')!;
    expect([wall.verdict, wall.detail]).toEqual(['note', 'listed: CPU time is judged']);
    // A slower simulator uses more CPU: that fails, however the wall clock went.
    const slower = compareResults(run(0), run(0, RATIOS, undefined, [13.1, 12.9, 13.4]), OPTS);
    expect(slower.regressions.map((x) => x.metric)).toEqual(['CPU time / host reference']);
  });

  test('wall time is judged when a run has no CPU figures (results from before they existed)', () => {
    const old = run(0);
    for (const s of old.scenarios) delete s.timings.cpu_ratio_to_reference;
    expect(compareResults(old, run(0, [13.1, 12.9, 13.4]), OPTS).regressions.map((x) => x.metric)).toEqual(['wall time / host reference']);
  });

  test('time: clearly slower trials fail, noisy ones within the interval do not', () => {
    expect(compareResults(run(0), run(0, [13.1, 12.9, 13.4]), OPTS).regressions.map((x) => x.metric)).toEqual(['CPU time / host reference']);
    // One slow outlier out of three: the interval straddles the threshold.
    expect(compareResults(run(0), run(0, [10.1, 14.0, 10.3]), OPTS).regressions).toEqual([]);
    expect(compareResults(run(0), run(0, [7.0, 7.1, 6.9]), OPTS).rows[0]!.verdict).toBe('improvement');
  });

  test('a scenario whose wall time is not gated reports a slowdown without failing', () => {
    const loose = scenario({ name: 'vga-fill-shared', vga: 'shared', frames: 30, gateWallTime: false });
    const mk = (ratios: number[]) => results([summarized(loose, trials(vgaCounters(30, 0), ratios))]);
    const r = compareResults(mk(RATIOS), mk([13.1, 12.9, 13.4]), OPTS);
    expect(r.regressions).toEqual([]);
    expect(r.rows[0]!.detail).toMatch(/not gated/);
  });

  test('a scenario that failed now is a regression, and so is a scenario or counter missing from the new run', () => {
    const base = run(0);
    const broken = structuredClone(base);
    broken.scenarios[0]!.status = 'failed';
    broken.scenarios[0]!.error = 'ended with crash: triple fault';
    expect(compareResults(base, broken, OPTS).regressions.map((x) => x.metric)).toEqual(['status']);
    const none = { ...base, scenarios: [] };
    const r = compareResults(base, none, OPTS);
    expect(r.regressions).toHaveLength(1);
    expect(r.rows[0]!.detail).toMatch(/missing from the new run \(refresh the baseline to drop it\)/);
    const fewer = structuredClone(base);
    const gone = Object.keys(fewer.scenarios[0]!.counters)[0]!;
    delete fewer.scenarios[0]!.counters[gone];
    const c = compareResults(base, fewer, OPTS);
    expect(c.regressions.map((x) => [x.metric, x.detail])).toEqual([[gone, 'counter missing from the new run (refresh the baseline to drop it)']]);
    // A counter only the new run has is a note, not a failure.
    expect(compareResults(fewer, base, OPTS).regressions).toEqual([]);
  });

  test('the table names every change and the verdict', () => {
    const r = compareResults(run(0), run(1), OPTS);
    const text = formatCompareReport(r, OPTS, 'base.json', 'new.json');
    expect(text).toMatch(/exit_io\s+60\s+90\s+\+50\.00%\s+REGRESSION/);
    expect(text).toMatch(/compare: \d+ regressions:/);
  });

  test('thresholds parse as percentages or fractions', () => {
    expect(parseThreshold('5%')).toBeCloseTo(0.05);
    expect(parseThreshold('0.05')).toBeCloseTo(0.05);
    expect(parseThreshold('12.5')).toBeCloseTo(0.125);
    expect(parseThreshold('five')).toBeUndefined();
  });
});

describe('hvmsim bench compare (CLI)', () => {
  test('status 0 for an unchanged run, 1 with the change listed for an extra exit per frame', async () => {
    const base = write('base.json', run(0));
    const same = await runHvmsim(['bench', 'compare', base, write('same.json', run(0))]);
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/compare: no regression/);
    const slower = await runHvmsim(['bench', 'compare', base, write('slower.json', run(1)), '--threshold', '5%']);
    expect(slower.status).toBe(1);
    expect(slower.stdout).toMatch(/vga-fill-shared\s+exit_io\s+60\s+90/);
    expect(slower.stdout).toMatch(/REGRESSION/);
  });

  test('a file that is not a results file: one line, status 2', async () => {
    const bad = write('bad.json', { schema: 'something-else/9' });
    const r = await runHvmsim(['bench', 'compare', bad, bad]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a results file of schema hvmsim-bench-results\/1/);
  });

  test('a bad threshold: status 2', async () => {
    const base = write('base2.json', run(0));
    const r = await runHvmsim(['bench', 'compare', base, base, '--threshold', 'lots']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threshold/);
  });
});
