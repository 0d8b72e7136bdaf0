/**
 * The VGA measurements as data (issues 4 and 5): the vga set covers every VGA guest in every
 * mode with frame counts that match what the command line makes the guest draw, the history set
 * has one reproduction per published result, and idle-neighbours runs 0/4/8 idle 8 MiB
 * neighbours with memcmp and with the dirty bitmap, waiting for a line vga-idle really prints.
 */
import { describe, expect, test } from 'vitest';
import { busyKnobs, busyRedraws } from '../guests/vga-models/busy-model.js';
import { cmdlineUint } from '../guests/vga-models/model-frame.js';
import { idleKnobs, idleSerial } from '../guests/vga-models/idle-model.js';
import { VGA_GUEST_NAMES } from '../guests/vga-models/vga-guest-models.js';
import { SCENARIOS_DIR } from '../bench/repo-paths.js';
import { loadScenarios, selectScenarios, type Scenario } from '../bench/scenario-schema.js';
import { VGA_MODES } from '../shared/vga-config.js';

const all = loadScenarios(SCENARIOS_DIR);
const vga = selectScenarios(all, ['vga']);
const history = selectScenarios(all, ['history']);
const byName = (n: string): Scenario => all.find((s) => s.name === n)!;
const modeOf = (s: Scenario): string => (s.domains[0]!.vga === 'shared' ? `shared/${s.domains[0]!.scan}` : s.domains[0]!.vga);

/** What each VGA guest's command line makes it draw, as the scenario's `frames` should say. */
function framesDrawn(guest: string, cmdline: string): number {
  switch (guest) {
    case 'vga-fill':
      return cmdlineUint(cmdline, 'frames', 3);
    case 'vga-sparse':
      return cmdlineUint(cmdline, 'frames', 20);
    case 'vga-busy':
      return busyRedraws(busyKnobs(cmdline));
    default:
      return cmdlineUint(cmdline, 'passes', 1); // one picture per pass (vga-blit: its one picture)
  }
}

describe('the vga set', () => {
  test('every picture guest and vga-busy in all four modes plus checksum, one command line per guest, exact frame counts', () => {
    for (const guest of [...VGA_GUEST_NAMES, 'vga-busy']) {
      const runs = vga.filter((s) => s.domains.length === 1 && s.domains[0]!.guest === guest && !s.name.startsWith('history-'));
      expect(runs.map(modeOf).sort(), guest).toEqual([...VGA_MODES.map((m) => (m === 'shared' ? 'shared/memcmp' : m)), 'shared/checksum'].sort());
      const cmdlines = new Set(runs.map((s) => s.domains[0]!.cmdline));
      expect(cmdlines.size, `${guest}: the modes must run the same work`).toBe(1);
      for (const s of runs) expect(s.frames, s.name).toBe(framesDrawn(guest, s.domains[0]!.cmdline));
    }
  });

  test('trap-mode runs stay small: at most ~70,000 LFB stores per run', () => {
    const stores = (s: Scenario): number => {
      const c = s.domains[0]!.cmdline;
      if (s.domains[0]!.guest === 'vga-fill') return cmdlineUint(c, 'frames', 3) * cmdlineUint(c, 'rows', 480) * 640;
      if (s.domains[0]!.guest === 'vga-busy') return busyRedraws(busyKnobs(c)) * busyKnobs(c).rows * 640;
      return 0;
    };
    for (const s of vga.filter((x) => x.domains[0]!.vga === 'trap')) expect(stores(s), s.name).toBeLessThanOrEqual(70_000);
  });

  test('vga-idle: 8 MiB visible, refreshed at 30 Hz, measured from a line the guest prints, never in the trapping modes', () => {
    const idle = vga.filter((s) => s.domains[0]!.guest === 'vga-idle');
    expect(idle.map(modeOf).sort()).toEqual(['shared-dirty', 'shared/checksum', 'shared/memcmp']);
    for (const s of idle) {
      const d = s.domains[0]!;
      expect(d.refreshHz).toBe(30);
      expect(s.deterministic).toBe(false);
      expect(idleSerial(idleKnobs(d.cmdline)).split('\n')).toContain(d.readyLine);
    }
  });
});

describe('the history set', () => {
  test('one reproduction per published VGA result, each against a scenario of the set, on the 2006 profile', () => {
    const repro = history.filter((s) => s.reproduces).map((s) => [s.name, s.reproduces!.metric, s.reproduces!.published, s.reproduces!.bound ?? '']);
    expect(repro).toEqual(
      expect.arrayContaining([
        ['history-busy-trap', 'slowdown', 0.35, ''],
        ['history-busy-shared', 'slowdown', 0.04, ''],
        ['vga-idle-shared', 'dm-cpu-share', 0.07, ''],
        ['vga-idle-shared-dirty', 'dm-cpu-share', 0.003, ''],
        ['idle-neighbours-4-memcmp', 'throughput-loss', 0.34, ''],
        ['idle-neighbours-8-memcmp', 'throughput-loss', 0.49, ''],
        ['idle-neighbours-4-shared-dirty', 'throughput-loss', 0.01, 'upper'],
        ['idle-neighbours-8-shared-dirty', 'throughput-loss', 0.02, 'upper'],
      ]),
    );
    for (const s of history.filter((x) => x.reproduces)) {
      expect(s.reproduces!.profile).toBe('xen-3.0-vtx-2006');
      const rel = s.reproduces!.relativeTo;
      if (rel) expect(history.map((x) => x.name), `${s.name} against ${rel}`).toContain(rel);
    }
  });

  test('vga-busy: each redraw run is measured against the same work without redraws; the work is the same', () => {
    for (const name of ['history-busy-trap', 'history-busy-shared']) {
      const s = byName(name);
      const ref = byName(s.reproduces!.relativeTo!);
      const k = busyKnobs(s.domains[0]!.cmdline);
      const q = busyKnobs(ref.domains[0]!.cmdline);
      expect(q.iterations).toBe(k.iterations);
      expect(busyRedraws(q)).toBe(0);
      expect(busyRedraws(k)).toBe(s.frames);
    }
    // The trap reference traps too (its frame read-back costs the same); the shared one scans nothing.
    expect(byName('history-busy-quiet-trap').domains[0]!.vga).toBe('trap');
    expect(byName('history-busy-quiet-shared-dirty').domains[0]!.vga).toBe('shared-dirty');
  });
});

describe('idle-neighbours', () => {
  const set = selectScenarios(all, ['idle-neighbours']);

  test('compute beside 0, 4 and 8 idle vga-idle domains at 30 Hz, memcmp and then the dirty bitmap', () => {
    const shape = set.map((s) => {
      const n = s.domains.slice(1);
      return [s.domains[0]!.guest, n.length, n.length ? modeOf({ ...s, domains: n }) : '-'];
    });
    expect(shape).toEqual([
      ['compute', 0, '-'],
      ['compute', 4, 'shared/memcmp'],
      ['compute', 8, 'shared/memcmp'],
      ['compute', 4, 'shared-dirty'],
      ['compute', 8, 'shared-dirty'],
    ]);
    for (const s of set) {
      for (const d of s.domains.slice(1)) {
        expect(d.guest).toBe('vga-idle');
        expect(d.refreshHz).toBe(30);
        // Idle for the whole measured run (10,000 s of ticks), entered before it starts.
        expect(idleKnobs(d.cmdline).ticks).toBeGreaterThanOrEqual(100_000);
        expect(idleSerial(idleKnobs(d.cmdline)).split('\n')).toContain(d.readyLine);
      }
      if (s.domains.length > 1) expect(s.reproduces?.relativeTo).toBe('idle-neighbours-0');
    }
  });
});
