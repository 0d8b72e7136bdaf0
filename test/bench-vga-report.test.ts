/**
 * The VGA report's arithmetic on synthetic results: the per-frame table and its ratio to the
 * same guest's `shared` run, the neighbours' table, the scan benchmark's tables and chart lines,
 * and the history model where wall-clock-driven work (refreshes, neighbours) is a CPU share.
 */
import { describe, expect, test } from 'vitest';
import { modelTime, type CostProfile } from '../bench/cost-model.js';
import { chartData, markdownTablesToHtml } from '../bench/report-html.js';
import { formatMarkdownReport, formatNeighbourTable, formatScanReport, formatVgaTable } from '../bench/report-markdown.js';
import { distanceFromPublished, modeledRunMs, reproductions } from '../bench/reproduction.js';
import type { ScanBenchResults } from '../bench/results-schema.js';
import { PROFILES, results, scenario, summarized, trials, vgaCounters } from './bench-results-fixture.js';

const OLD = PROFILES.find((p) => p.name === 'xen-3.0-vtx-2006')! as CostProfile;
const cycles = (n: number): number => n / (OLD.cpuGHz * 1e6); // ms

function vgaRun(name: string, vga: string, scan: string | undefined, wall: number, extra: Record<string, number> = {}) {
  const fields: Record<string, unknown> = { name, guest: 'vga-fill', cmdline: 'frames=4', vga, frames: 4, deterministic: false };
  if (scan) fields.scan = scan;
  return summarized(scenario(fields), trials({ ...vgaCounters(4, 0), ...extra }, [wall / 40, wall / 40, wall / 40]));
}

describe('VGA table', () => {
  test('per frame figures, and wall time over the same guest and command line in shared/memcmp', () => {
    const r = results([
      vgaRun('fill-trap', 'trap', undefined, 800, { ioreq_sync: 4000, exit_mmio: 3940 }),
      vgaRun('fill-shared', 'shared', 'memcmp', 200),
      vgaRun('fill-dirty', 'shared-dirty', undefined, 100),
    ]);
    const table = formatVgaTable(r);
    // 800 ms for 4 frames: 5 frames/s; (busy 2 ms + display 6 ms) / 4 = 2 ms of device model per frame.
    expect(table).toMatch(/^\| fill-trap \| vga-fill \| trap \| 4 \| 5\.00 \| [\d.]+ \| 1000 \| 2\.00 \| 800 \| 4\.00x \|$/m);
    expect(table).toMatch(/^\| fill-shared \| .* \| 1\.00x \|$/m);
    expect(table).toMatch(/^\| fill-dirty \| .* \| 0\.50x \|$/m);
    expect(formatMarkdownReport(r)).toContain('## VGA: per frame, whole runs');
  });

  test('no shared counterpart in the run: no ratio rather than a wrong one', () => {
    const table = formatVgaTable(results([vgaRun('fill-trap', 'trap', undefined, 800)]));
    expect(table).toMatch(/\| fill-trap \| .* \| 800 \| - \|$/m);
  });
});

describe('steady state and the headline', () => {
  /** A 10-frame run and its 2-frame short run: `perFrame` exits and ms per frame on top of `setup`. */
  function steadyRun(name: string, vga: string, scan: string | undefined, exitsPerFrame: number, msPerFrame: number) {
    const fields: Record<string, unknown> = { name, guest: 'vga-sparse', cmdline: 'frames=10', vga, frames: 10, steady: { cmdline: 'frames=2', frames: 2 } };
    if (scan) fields.scan = scan;
    const at = (frames: number) => ({ ...vgaCounters(frames, exitsPerFrame), instructions: 1_000_000 + 50_000 * frames });
    const records = trials(at(10), [(300 + 10 * msPerFrame) / 40, (300 + 10 * msPerFrame) / 40, (300 + 10 * msPerFrame) / 40]);
    for (const t of records) t.short = { wallMs: 300 + 2 * msPerFrame, hostCpuMs: 300 + 2 * msPerFrame, counters: at(2) };
    return summarized(scenario(fields), records);
  }

  test('per-frame figures are the difference of the two runs over the difference in frames', () => {
    const s = steadyRun('sparse-trap', 'trap', undefined, 1000, 20);
    expect(s.steady!.frames).toBe(8);
    // Set-up (60 exits, 300 ms) cancels: exactly the per-frame work remains.
    expect(s.steady!.counters.exit_io).toBe(1000);
    expect(s.steady!.counters.instructions).toBe(50_000);
    expect(s.steady!.timings.wall_ms_per_frame!.median).toBeCloseTo(20, 9);
    expect(s.steady!.timings.frames_per_s!.median).toBeCloseTo(50, 9);
    // Modeled per frame: the cost model over the per-frame counters.
    expect(s.steady!.modeledMs[OLD.name]).toBeCloseTo(modelTime(s.steady!.counters, OLD).totalMs, 9);
    // Whole-run figures would have counted the set-up: 1006 exits per frame.
    expect(s.derived.exits_per_frame).toBe(1006);
  });

  test('time per frame comes from the vCPUs\' running time where it is counted, not the domain\'s wall time', () => {
    const fields = { name: 'sparse-shared', guest: 'vga-sparse', cmdline: 'frames=10', vga: 'shared', frames: 10, steady: { cmdline: 'frames=2', frames: 2 } };
    // Wall times that thread start-up made noisy (the short run even took longer); run_ns is steady.
    const records = trials({ ...vgaCounters(10, 0), run_ns: 120e6 }, [400 / 40, 420 / 40, 380 / 40]);
    for (const t of records) t.short = { wallMs: 430, hostCpuMs: 430, counters: { ...vgaCounters(2, 0), run_ns: 104e6 } };
    const s = summarized(scenario(fields), records);
    expect(s.steady!.timings.wall_ms_per_frame!.median).toBeCloseTo(2, 9); // (120 - 104) ms / 8 frames
  });

  test('the headline lists the designs of one guest side by side, in design order, first in the report', () => {
    const r = results([
      steadyRun('sparse-dirty', 'shared-dirty', undefined, 2, 1),
      steadyRun('sparse-trap', 'trap', undefined, 1000, 20),
      steadyRun('sparse-shared', 'shared', 'memcmp', 0, 4),
      steadyRun('sparse-buffered', 'buffered', undefined, 1000, 5),
    ]);
    const md = formatMarkdownReport(r);
    expect(md.indexOf('## The VGA designs side by side')).toBeLessThan(md.indexOf('## All scenarios'));
    expect(md).toContain('**vga-sparse** `frames=10` — per frame, steady state over 8 frames:');
    const rows = md.split('\n').filter((l) => /^\| (trap|buffered|shared\/memcmp|shared-dirty) \|/.test(l));
    expect(rows.map((l) => l.split(' | ')[0]!.slice(2))).toEqual(['trap', 'buffered', 'shared/memcmp', 'shared-dirty']);
    expect(rows[0]).toMatch(/^\| trap \| 1000 \| 1000 \| .* \| 20\.0 \| [\d.]+ \| 1\.00x \|$/);
    expect(rows[3]).toMatch(/\| 1\.00 \| [\d.]+ \| 0\.05x \|$/);
  });
});

describe('history model: wall-clock-driven work is a share of the one modeled CPU', () => {
  test('a display that scans 8 MiB 30 times a second stretches the modeled run by 1 / (1 - share)', () => {
    const work = { instructions: 1e9 };
    // 2 s of wall time, 60 refreshes of 8 MiB each.
    const scanning = { ...work, 'dm.refreshes': 60, 'dm.bytes_compared': 60 * 8 * 2 ** 20 };
    const quiet = summarized(scenario({ name: 'quiet', guest: 'compute' }), trials(work, [50]));
    const busy = summarized(
      scenario({ name: 'scanning', guest: 'compute', deterministic: false, reproduces: { metric: 'slowdown', relativeTo: 'quiet', published: 0.04, source: 's', profile: OLD.name } }),
      trials(scanning, [50]),
    );
    const p = OLD.parameters;
    const share = cycles(60 * (p.display_refresh!.value + 8 * 2 ** 20 * p.scan_byte!.value)) / 2000;
    const base = cycles(1e9 * p.guest_instruction!.value);
    expect(modeledRunMs(busy, OLD)).toBeCloseTo(base / (1 - share), 6);
    const [x] = reproductions(results([quiet, busy]));
    expect(x!.modeled).toBeCloseTo(1 / (1 - share) - 1, 6);
  });

  test('neighbours: their modeled cost per ms of the measured run is the loss; a bound is judged as a bound', () => {
    const alone = summarized(scenario({ name: 'alone', guest: 'compute' }), trials({ instructions: 1e9 }, [100]));
    const s = scenario({
      name: 'beside',
      guest: undefined,
      domains: [{ guest: 'compute' }, { guest: 'vga-idle', count: 4, readyLine: 'vga-idle: idling' }],
      deterministic: false,
      reproduces: { metric: 'throughput-loss', relativeTo: 'alone', published: 0.01, bound: 'upper', source: 's', profile: OLD.name },
    });
    const neighbourCounters = { 'dm.refreshes': 4 * 120, 'dm.bytes_compared': 4 * 120 * 8 * 2 ** 20, 'dm.busy_ns': 3e6, 'dm.display_ms': 400 };
    const t = trials({ instructions: 1e9 }, [110]).map((x) => ({ ...x, neighbourCounters }));
    const beside = summarized(s, t);
    expect(beside.neighbours).toEqual({ domains: 4, counters: neighbourCounters });
    expect(beside.timings.neighbour_dm_ms!.median).toBeCloseTo(403, 6);
    expect(beside.timings.neighbour_dm_share!.median).toBeCloseTo(403 / 4400, 6);
    const r = results([alone, beside]);
    const [x] = reproductions(r);
    const share = modelTime(neighbourCounters, OLD).totalMs / 4400;
    expect(x!.modeled).toBeCloseTo(share, 6); // 1 − (1 − share)
    expect(x!.measured).toBeCloseTo(1 - 100 / 110, 6);
    expect(distanceFromPublished(x!, 0.004)).toBe('within');
    expect(distanceFromPublished(x!, 0.015)).toBe('0.5 pt over');
    expect(formatNeighbourTable(r)).toMatch(/^\| beside \| compute \| 4 x vga-idle shared-dirty @60 Hz \| 4400 \| 9\.1% \(vs alone\) \| 0\.092 \|/m);
  });

  test('a neighbourhood that takes the whole modeled CPU has no modeled figure', () => {
    const s = summarized(
      scenario({ name: 'swamped', guest: undefined, domains: [{ guest: 'compute' }, { guest: 'vga-idle' }] }),
      trials({ instructions: 1e6 }, [1]).map((x) => ({ ...x, neighbourCounters: { 'dm.bytes_compared': 1e12 } })),
    );
    expect(modeledRunMs(s, OLD)).toBeUndefined();
  });

  test('dm-cpu-share counts the display refreshes too, not only request handling', () => {
    const s = summarized(
      scenario({ name: 'idle', guest: 'vga-idle', deterministic: false, reproduces: { metric: 'dm-cpu-share', published: 0.07, source: 's', profile: OLD.name } }),
      trials({ instructions: 1e4, 'dm.busy_ns': 1e6, 'dm.display_ms': 139 }, [50]),
    );
    const [x] = reproductions(results([s]));
    expect(x!.measured).toBeCloseTo(140 / 2000, 6);
  });
});

function scanResults(): ScanBenchResults {
  const point = (fraction: number, pages: number, ms: number) => ({ fraction, dirtyPages: Math.round(fraction * pages), found: Math.round(fraction * pages), medianMs: ms, minMs: ms, iqrMs: 0 });
  const surface = (name: string, pages: number, memcmp: number, bitmapPerPage: number) => ({
    surface: name,
    bytes: pages * 4096,
    pages,
    repeats: 5,
    strategies: [
      { strategy: 'memcmp' as const, points: [0, 0.01, 0.1, 1].map((f) => point(f, pages, memcmp * (1 + f))) },
      { strategy: 'dirty-bitmap' as const, points: [0, 0.01, 0.1, 1].map((f) => point(f, pages, 0.001 + bitmapPerPage * f * pages)) },
    ],
    copyFloorMs: memcmp / 2,
    compareFloorMs: memcmp / 1.25,
  });
  return { repeats: 5, surfaces: [surface('640x480x32', 300, 0.1, 1e-5), surface('8 MiB', 2048, 0.7, 1e-5)] };
}

describe('scan benchmark report', () => {
  test('time per refresh by fraction, growth with the surface, best memcmp against the floor', () => {
    const md = formatScanReport(scanResults());
    expect(md).toMatch(/^\| 640x480x32 \| 300 \| memcmp \| shared --scan memcmp \| 0\.100 \| 0\.101 \| 0\.110 \| 0\.200 \| 2\.00x \|$/m);
    expect(md).toMatch(/^\| 8 MiB \| 2048 \| dirty-bitmap \| shared-dirty \(track_dirty_vram\) \| 0\.00100 \| 0\.00120 \| 0\.00305 \| 0\.0215 \| 21x \|$/m);
    // memcmp grows with the surface (7x at 0%); the bitmap with the pages written (1x at 0%).
    expect(md).toMatch(/^\| memcmp \| 7\.00x \| 7\.00x \|$/m);
    expect(md).toMatch(/^\| dirty-bitmap \| 1\.00x \| 5\.37x \|$/m);
    expect(md).toMatch(/^\| 8 MiB \| 0\.350, 24\.0 \| 0\.560, 15\.0 \| 0\.700, 12\.0 \| 1\.25x \|$/m);
    const html = markdownTablesToHtml(md);
    expect(html).toContain('<td>shared-dirty (track_dirty_vram)</td>');
    expect(html).not.toContain('|');
  });

  test('the HTML chart gets one line per strategy and surface, on a log axis', () => {
    const r = { ...results([vgaRun('fill-shared', 'shared', 'memcmp', 200)]), scan: scanResults() };
    const d = chartData(r).scanVsDirty;
    expect(d.log).toBe(true);
    expect(d.series.map((s) => s.label)).toEqual(['shared/memcmp', 'memcmp 640x480x32', 'dirty-bitmap 640x480x32', 'memcmp 8 MiB', 'dirty-bitmap 8 MiB']);
    expect(d.series[3]!.points.map((p) => [p.x, p.y])).toEqual([[0, 0.7], [0.01, 0.707], [0.1, 0.77], [1, 1.4]].map(([x, y]) => [x, expect.closeTo(y!, 9)]));
    expect(chartData(results([])).scanVsDirty.log).toBeUndefined();
  });
});
