/**
 * The scenario runner with real (tiny) guests: trials, counters from the measured domain,
 * neighbours run and destroyed, the determinism check, a missing guest skipped, a wrong ending
 * failed; and `hvmsim bench` end to end writing JSON, Markdown and HTML.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readResultsFile } from '../bench/results-schema.js';
import { flattenCounters, isTimingCounter, runScenario, summarizeTrials } from '../bench/scenario-runner.js';
import { PROFILES, scenario, trials } from './bench-results-fixture.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-bench-runner-'));
const opts = { trials: 2, warmup: 0, profiles: PROFILES };

describe('scenario runner', () => {
  test('a tiny scenario: counters of the measured domain, timings per trial, modeled time per profile', async () => {
    const events: string[] = [];
    const r = await runScenario(scenario({ name: 'hello', guest: 'hello', sets: ['cpu'] }), { ...opts, warmup: 1, onProgress: (e) => events.push(`${e.kind}`) });
    expect(r.status).toBe('ok');
    expect(r.outcome).toBe('debug-exit status 1');
    expect(r.counters.instructions).toBeGreaterThan(10_000);
    expect(r.counters.exit_io).toBeGreaterThan(100);
    expect(r.counters['dm.pio']).toBeGreaterThan(100);
    // Host timings are never counters.
    expect(Object.keys(r.counters).filter(isTimingCounter)).toEqual([]);
    expect(r.timings.wall_ms!.trials).toHaveLength(2);
    expect(r.timings.ratio_to_reference!.trials).toHaveLength(2);
    expect(r.timings.reference_ms!.median).toBeGreaterThan(0);
    expect(Object.keys(r.modeled).sort()).toEqual(PROFILES.map((p) => p.name).sort());
    expect(r.modeled['xen-3.0-vtx-2006']!.terms.guest_instruction!.count).toBe(r.counters.instructions);
    expect(events).toEqual(['trial', 'trial-done', 'trial', 'trial-done', 'trial', 'trial-done']);
  });

  test('neighbours run beside the measured domain and are destroyed when it ends', async () => {
    const s = scenario({ name: 'hello-beside-idle', guest: undefined, sets: ['idle'], domains: [{ guest: 'hello' }, { guest: 'idle', cmdline: 'ticks=100000', count: 2 }] });
    expect(s.domains).toHaveLength(3);
    const r = await runScenario(s, { ...opts, trials: 1 });
    expect(r.status).toBe('ok');
    // The measured domain's counters only: hello takes no interrupts, the idle neighbours do.
    expect(r.counters.interrupts_injected).toBe(0);
  });

  test('a guest image that is not built is skipped; a wrong ending fails the scenario', async () => {
    const skipped = await runScenario(scenario({ name: 'nope', guest: 'no-such-guest', sets: ['cpu'] }), opts);
    expect(skipped.status).toBe('skipped');
    expect(skipped.error).toMatch(/guests\/bin\/no-such-guest\.elf not built yet/);
    const failed = await runScenario(scenario({ name: 'poweroff', guest: 'poweroff', sets: ['cpu'] }), { ...opts, trials: 1 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/ended with shutdown poweroff, expected debug-exit status 1/);
  });

  test('determinism check: varying counters are flagged unless declared or the scenario is not deterministic', () => {
    const base = { instructions: 1000, exit_io: 10, 'dm.refreshes': 5, 'dm.busy_ns': 7 };
    const vary = (i: number, c: Record<string, number>): void => {
      c.exit_io! += i;
      c['dm.refreshes']! += i;
      c['dm.busy_ns']! += i;
    };
    const strict = summarizeTrials(scenario({ name: 'a', varyingCounters: ['dm.refreshes'] }), trials(base, [1, 1, 1], vary), PROFILES);
    expect(strict.varied).toEqual({ exit_io: { min: 10, max: 12 }, 'dm.refreshes': { min: 5, max: 7 } });
    expect(strict.determinismViolations).toEqual(['exit_io']);
    expect(strict.counters.exit_io).toBe(11); // the median where counters varied
    expect(strict.counters['dm.busy_ns']).toBeUndefined(); // a timing, summarised instead
    expect(strict.timings.dm_busy_ms!.trials).toHaveLength(3);
    const loose = summarizeTrials(scenario({ name: 'b', deterministic: false }), trials(base, [1, 1, 1], vary), PROFILES);
    expect(loose.determinismViolations).toEqual([]);
    const exact = summarizeTrials(scenario({ name: 'c' }), trials(base, [1, 2, 3]), PROFILES);
    expect(exact.varied).toEqual({});
    expect(exact.timings.ratio_to_reference!.trials).toEqual([1, 2, 3]);
  });

  test('frames: exits per frame and frames/s from the scenario, display frames otherwise', () => {
    const c = { instructions: 10, exit_io: 30, 'dm.frames': 4, 'dm.pages_scanned': 100, 'dm.dirty_pages': 25 };
    const declared = summarizeTrials(scenario({ name: 'f', frames: 10 }), trials(c, [1]), PROFILES);
    expect(declared.derived.exits_per_frame).toBe(3);
    expect(declared.timings.frames_per_s!.median).toBeCloseTo(10 / 0.04);
    expect(declared.derived.dirty_fraction).toBe(0.25);
    const display = summarizeTrials(scenario({ name: 'g' }), trials(c, [1]), PROFILES);
    expect(display.derived.exits_per_frame).toBe(7.5);
  });

  test('flattening sums vCPUs and prefixes the device model', () => {
    expect(flattenCounters({ vcpus: [{ instructions: 3, exit_io: 1 }, { instructions: 4, exit_io: 0 }], dm: { pio: 9 } })).toEqual({ instructions: 7, exit_io: 1, 'dm.pio': 9 });
  });
});

describe('hvmsim bench (CLI, end to end)', () => {
  test('one tiny scenario: the table on stdout, plain progress lines, JSON, Markdown and HTML written', async () => {
    const json = path.join(dir, 'out', 'results.json');
    const md = path.join(dir, 'out', 'table.md');
    const html = path.join(dir, 'out', 'index.html');
    const r = await runHvmsim(['bench', 'boot-hello', '--trials', '2', '--warmup', '0', '--json', json, '--md', md, '--html', html], { timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/^\[1\/2\] boot-hello trial 1\/2: [\d.]+ ms$/m);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| boot-hello \| hello \| shared-dirty \|/);
    expect(r.stdout).toMatch(/^report: .*index\.html$/m);
    const results = readResultsFile(json);
    expect(results.scenarios.map((s) => s.name)).toEqual(['boot-hello']);
    expect(results.environment.cores).toBeGreaterThan(0);
    expect(results.environment.gitCommit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    expect(readFileSync(md, 'utf8')).toMatch(/^# hvmsim bench/);
    expect(existsSync(html)).toBe(true);
  });
});
