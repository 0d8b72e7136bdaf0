/**
 * The VGA measurements' machinery with real code: the four dirty scans on synthetic VRAM find
 * exactly the pages written (in this thread and in the benchmark's worker), the runner waits
 * for neighbours' ready lines and measures a domain from its own, and `hvmsim bench --scan`
 * puts the scan benchmark into the results and the report.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readResultsFile } from '../bench/results-schema.js';
import { runScanBench } from '../bench/scan-bench.js';
import { dirtyPageSet, measureSurface } from '../bench/scan-cost.js';
import { SCAN_STRATEGY_NAMES } from '../bench/scan-strategies.js';
import { runScenario, runScenarios } from '../bench/scenario-runner.js';
import { PROFILES, scenario } from './bench-results-fixture.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-bench-vga-'));
const SMALL = { name: '64 KiB', bytes: 64 << 10 };

describe('scan cost on synthetic VRAM', () => {
  test('dirty pages are spread over the surface, none twice', () => {
    expect(dirtyPageSet(300, 0.01)).toEqual([0, 100, 200]);
    expect(dirtyPageSet(300, 0)).toEqual([]);
    expect(new Set(dirtyPageSet(2048, 1)).size).toBe(2048);
  });

  test('every strategy reports exactly the pages written, at every fraction', () => {
    const r = measureSurface(SMALL, { repeats: 3, warmup: 1, fractions: [0, 0.25, 1] });
    expect(r.pages).toBe(16);
    expect(r.strategies.map((s) => s.strategy)).toEqual([...SCAN_STRATEGY_NAMES]);
    for (const s of r.strategies) expect(s.points.map((p) => [p.fraction, p.dirtyPages, p.found]), s.strategy).toEqual([[0, 0, 0], [0.25, 4, 4], [1, 16, 16]]);
    expect(r.copyFloorMs).toBeGreaterThan(0);
    expect(r.compareFloorMs).toBeGreaterThan(0);
  });

  test('the benchmark runs each surface in a worker thread (compiled, from dist/)', async () => {
    const names: string[] = [];
    const r = await runScanBench({ repeats: 2, surfaces: [SMALL], onSurface: (n) => names.push(n) });
    expect(names).toEqual(['64 KiB']);
    expect(r.surfaces[0]!.strategies.map((s) => s.points.map((p) => p.found))).toEqual(SCAN_STRATEGY_NAMES.map(() => [0, 0, 2, 16]));
  });
});

describe('ready lines', () => {
  const opts = { trials: 1, warmup: 0, profiles: PROFILES };

  test('a measured domain with a ready line is measured from it: its start-up is not counted', { timeout: 30_000 }, async () => {
    const base = { guest: 'vga-idle', cmdline: 'rows=8 ticks=30', vga: 'shared-dirty', refreshHz: 30, deterministic: false };
    const whole = await runScenario(scenario({ ...base, name: 'whole' }), opts);
    const idleOnly = await runScenario(scenario({ ...base, name: 'idle-only', readyLine: 'vga-idle: idling' }), opts);
    expect(whole.status).toBe('ok');
    expect(idleOnly.status).toBe('ok');
    // The CRC-32 of 8 MiB alone is tens of millions of instructions; 30 idle ticks are a few thousand.
    expect(whole.counters.instructions).toBeGreaterThan(8e6);
    expect(idleOnly.counters.instructions).toBeLessThan(1e6);
    expect(idleOnly.counters.interrupts_injected).toBeGreaterThan(20);
    expect(idleOnly.timings.wall_ms!.median).toBeLessThan(whole.timings.wall_ms!.median);
  });

  test('neighbours are running idle before the measured domain starts; their counters cover its run', { timeout: 30_000 }, async () => {
    const s = scenario({
      name: 'hello-beside-vga-idle',
      guest: undefined,
      domains: [{ guest: 'hello' }, { guest: 'vga-idle', cmdline: 'rows=8 ticks=1000000', vga: 'shared', scan: 'memcmp', refreshHz: 30, readyLine: 'vga-idle: idling', count: 2 }],
      deterministic: false,
    });
    const r = await runScenario(s, opts);
    expect(r.status).toBe('ok');
    const n = r.neighbours!;
    expect(n.domains).toBe(2);
    // Only their idle loops ran meanwhile: no drawing, no 8 MiB read back.
    expect(n.counters.instructions).toBeLessThan(1e6);
    expect(n.counters.exit_mmio).toBe(0);
    expect(n.counters.exit_hlt).toBeGreaterThan(0);
    expect(r.timings.neighbour_dm_ms!.median).toBeGreaterThanOrEqual(0);
  });

  test('a neighbour that never prints its ready line fails the trial, naming what it waited for', { timeout: 30_000 }, async () => {
    const s = scenario({
      name: 'never-ready',
      guest: undefined,
      domains: [{ guest: 'hello' }, { guest: 'idle', cmdline: 'ticks=1000000', readyLine: 'this is never printed' }],
      timeoutMs: 1500,
    });
    const r = await runScenario(s, opts);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/timed out after 1500 ms waiting for the neighbours' ready lines/);
  });
});

describe('interleaved trials', () => {
  test('one trial of each scenario per round; a skipped scenario keeps its place', { timeout: 30_000 }, async () => {
    const order: string[] = [];
    const list = [scenario({ name: 'a', guest: 'hello' }), scenario({ name: 'missing', guest: 'no-such-guest' }), scenario({ name: 'b', guest: 'hello' })];
    const r = await runScenarios(list, {
      trials: 2,
      warmup: 1,
      profiles: PROFILES,
      interleave: true,
      onProgress: (e) => {
        if (e.kind === 'trial-done') order.push(`${e.scenario}${e.warmup ? ' warm-up' : ''} ${e.trial}`);
      },
    });
    expect(order).toEqual(['a warm-up 1', 'b warm-up 1', 'a 1', 'b 1', 'a 2', 'b 2']);
    expect(r.map((x) => [x.name, x.status, x.timings.wall_ms?.trials.length ?? 0])).toEqual([['a', 'ok', 2], ['missing', 'skipped', 0], ['b', 'ok', 2]]);
  });
});

describe('hvmsim bench --scan', () => {
  test('the scan benchmark goes into the results JSON and the Markdown', { timeout: 60_000 }, async () => {
    const json = path.join(dir, 'results.json');
    const r = await runHvmsim(['bench', 'boot-hello', '--scan', '--trials', '1', '--warmup', '0', '--json', json, '--no-html'], { timeoutMs: 55_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^scan benchmark: 8 MiB$/m);
    expect(r.stdout).toContain('## Dirty-scan strategies (synthetic VRAM)');
    const results = readResultsFile(json);
    expect(results.scan!.surfaces.map((s) => s.surface)).toEqual(['640x480x32', '1024x768x32', '8 MiB']);
  });
});
