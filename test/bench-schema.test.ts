/**
 * Scenario data: defaults, neighbours, set selection, and one clear line (status 2, nothing
 * written) for an unknown key or a bad value. The committed scenarios must all load.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { SCENARIOS_DIR } from '../bench/repo-paths.js';
import { checkScenarioSet, loadScenarios, parseScenarioFile, ScenarioError, selectScenarios, SET_NAMES } from '../bench/scenario-schema.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-bench-schema-'));

function parse(...scenarios: Record<string, unknown>[]) {
  return parseScenarioFile(JSON.stringify(scenarios), 'test.json');
}

function parseError(s: Record<string, unknown>): string {
  try {
    parse(s);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

const ok = { name: 'x', description: 'd', sets: ['cpu'], guest: 'compute' };

describe('scenario schema', () => {
  test('defaults fill every domain field', () => {
    const [s] = parse(ok);
    expect(s!.domains).toEqual([{ guest: 'compute', cmdline: '', vga: 'shared-dirty', scan: 'memcmp', vcpus: 1, memoryMiB: 32, refreshHz: 60 }]);
    expect(s!.deterministic).toBe(true);
    expect(s!.expectStatus).toBe(1);
    expect(s!.file).toBe('test.json');
  });

  test('domains: top-level fields are defaults, count expands neighbours, the first is measured', () => {
    const [s] = parse({
      name: 'n',
      description: 'd',
      sets: ['idle'],
      vga: 'shared',
      domains: [{ guest: 'compute' }, { guest: 'idle', cmdline: 'ticks=9', count: 3, vga: 'trap' }],
    });
    expect(s!.domains.map((d) => `${d.guest}/${d.vga}/${d.cmdline}`)).toEqual(['compute/shared/', 'idle/trap/ticks=9', 'idle/trap/ticks=9', 'idle/trap/ticks=9']);
  });

  test('an unknown key is named', () => {
    expect(parseError({ ...ok, vgaa: 'trap' })).toBe('test.json: scenario "x": unknown key "vgaa"');
    expect(parseError({ ...ok, guest: undefined, domains: [{ guest: 'idle', cout: 2 }] })).toBe('test.json: scenario "x": domains[0]: unknown key "cout"');
  });

  test('bad values are named with what was found', () => {
    expect(parseError({ ...ok, vga: 'fast' })).toBe('test.json: scenario "x": vga: must be one of trap, buffered, shared, shared-dirty, got "fast"');
    expect(parseError({ ...ok, vcpus: 0 })).toBe('test.json: scenario "x": vcpus: must be at least 1, got 0');
    expect(parseError({ ...ok, memoryMiB: 1.5 })).toBe('test.json: scenario "x": memoryMiB: must be an integer, got 1.5');
    expect(parseError({ ...ok, sets: ['nightly'] })).toMatch(/^test\.json: scenario "x": sets\[0\]: must be one of default, ci, /);
    expect(parseError({ ...ok, name: 'Bad Name' })).toMatch(/scenario "Bad Name": name: must be lower-case/);
    expect(parseError({ name: 'y', sets: ['cpu'], guest: 'g' })).toBe('test.json: scenario "y": description: must be a string, got nothing');
  });

  test('guest xor domains; the measured domain cannot be counted', () => {
    expect(parseError({ name: 'z', description: 'd', sets: ['cpu'] })).toMatch(/exactly one/);
    expect(parseError({ ...ok, domains: [{ guest: 'idle' }] })).toMatch(/exactly one/);
    expect(parseError({ ...ok, guest: undefined, domains: [{ guest: 'idle', count: 2 }] })).toMatch(/domains\[0\]\.count: the first domain is the measured one/);
  });

  test('file-level problems: not JSON, not an array, duplicate names, unknown relativeTo, missing inputs', () => {
    expect(() => parseScenarioFile('{', 'f.json')).toThrow(/^f\.json: not valid JSON/);
    expect(() => parseScenarioFile('{}', 'f.json')).toThrow('f.json: must be a JSON array of scenarios');
    expect(() => checkScenarioSet(parse(ok, ok))).toThrow(/name already used/);
    const repro = { ...ok, name: 'r', reproduces: { metric: 'slowdown', relativeTo: 'nope', published: 0.35, source: 's', profile: 'p' } };
    expect(() => checkScenarioSet(parse(repro))).toThrow(/relativeTo: no scenario named "nope"/);
    expect(() => checkScenarioSet(parse({ ...ok, inputs: 'bench/no-such-script.txt' }))).toThrow(/inputs: file bench\/no-such-script\.txt does not exist/);
  });

  test('selection: names, sets, default, unknown words', () => {
    const all = parse({ ...ok, name: 'a', sets: ['default', 'ci'] }, { ...ok, name: 'b', sets: ['cpu'] }, { ...ok, name: 'c', sets: ['ci'] });
    expect(selectScenarios(all, []).map((s) => s.name)).toEqual(['a']);
    expect(selectScenarios(all, ['ci']).map((s) => s.name)).toEqual(['a', 'c']);
    expect(selectScenarios(all, ['b', 'ci', 'a']).map((s) => s.name)).toEqual(['b', 'a', 'c']);
    expect(() => selectScenarios(all, ['nope'])).toThrow('unknown scenario or set "nope" (hvmsim bench --list shows them)');
  });

  test('the committed scenarios load, and the default, ci and history sets exist as set names', () => {
    const all = loadScenarios(SCENARIOS_DIR);
    expect(all.length).toBeGreaterThan(5);
    for (const set of ['default', 'ci', 'history'] as const) expect(SET_NAMES).toContain(set);
    expect(selectScenarios(all, ['ci']).length).toBeGreaterThan(0);
    expect(selectScenarios(all, ['default']).length).toBeGreaterThan(0);
  });
});

describe('hvmsim bench: bad scenario data on the command line', () => {
  function expectUsage(r: { stdout: string; stderr: string; status: number | null }, pattern: RegExp): void {
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  }

  test('an unknown key: one line, status 2, nothing written', async () => {
    const f = path.join(dir, 'unknown-key.json');
    writeFileSync(f, JSON.stringify([{ ...ok, vgaa: 'trap' }]));
    const json = path.join(dir, 'never.json');
    expectUsage(await runHvmsim(['bench', '--scenarios', f, '--json', json, '--no-html']), /scenario "x": unknown key "vgaa"/);
    expect(existsSync(json)).toBe(false);
  });

  test('a bad value: one line, status 2', async () => {
    const f = path.join(dir, 'bad-value.json');
    writeFileSync(f, JSON.stringify([{ ...ok, refreshHz: 5000 }]));
    expectUsage(await runHvmsim(['bench', '--scenarios', f]), /refreshHz: must be at most 1000, got 5000/);
  });

  test('an unknown scenario name: one line, status 2', async () => {
    expectUsage(await runHvmsim(['bench', 'no-such-scenario']), /unknown scenario or set "no-such-scenario"/);
  });

  test('--list shows every scenario on one line', async () => {
    const r = await runHvmsim(['bench', '--list']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(loadScenarios(SCENARIOS_DIR).length);
    expect(lines.find((l) => l.startsWith('cpu-compute '))).toMatch(/default,ci,cpu\s+guests\/compute/);
  });
});
