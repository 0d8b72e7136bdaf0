/**
 * The `history` set's comparison: for a scenario that reproduces a published result, the published
 * figure beside the same figure computed from the cost model (on the profile of the published
 * machine) and from hvmsim's measured wall time. "How close" is modeled − published and
 * measured − published (for a published upper bound such as "under 1%": whether it stays under).
 *
 * The model is serial (cost-model.ts): one CPU, as qemu-dm in dom0 shared it with the guest. Work
 * that arrives at a fixed rate per second of wall-clock time — the display's refreshes and scans,
 * and everything neighbour domains do — is therefore a share u of that CPU, not a fixed amount:
 * measured as its modeled cost per millisecond of measured wall time, it stretches the guest's
 * own modeled work to work / (1 − u). Counting those refreshes as if they were work would charge
 * a slow simulator's extra wall time to the modeled machine.
 */
import { modelTime, type CostProfile } from './cost-model.js';
import type { BenchResults, ScenarioResult } from './results-schema.js';

export interface Reproduction {
  scenario: string;
  metric: string;
  relativeTo?: string;
  profile: string;
  published: number;
  /** The published figure is a bound ("under 1%"), not a value. */
  bound?: 'upper';
  modeled?: number;
  measured?: number;
  source: string;
}

/** Cost-model terms driven by the display's refresh timer (wall-clock time), not by the guest's work. */
export const CLOCK_DRIVEN_TERMS = ['display_refresh', 'scan_byte'] as const;

function wall(s: ScenarioResult | undefined): number | undefined {
  return s?.status === 'ok' ? s.timings.wall_ms?.median : undefined;
}

/**
 * The scenario's modeled run time on `profile` (ms): its work (every term but the clock-driven
 * ones) over the CPU left by its own clock-driven display work and its neighbours' whole cost.
 * Undefined when the scenario did not run, or when that share reaches the whole CPU.
 */
export function modeledRunMs(s: ScenarioResult | undefined, profile: CostProfile | undefined): number | undefined {
  const w = wall(s);
  const m = profile ? s?.modeled[profile.name] : undefined;
  if (!s || !profile || !m || !w) return undefined;
  let clockMs = 0;
  for (const t of CLOCK_DRIVEN_TERMS) clockMs += m.terms[t]?.ms ?? 0;
  let share = clockMs / w;
  if (s.neighbours) share += modelTime(s.neighbours.counters, profile).totalMs / w;
  if (share >= 1) return undefined;
  return (m.totalMs - clockMs) / (1 - share);
}

function both(a: number | undefined, b: number | undefined, f: (a: number, b: number) => number): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : f(a, b);
}

export function reproductions(results: BenchResults): Reproduction[] {
  const by = new Map(results.scenarios.map((s) => [s.name, s]));
  const out: Reproduction[] = [];
  for (const s of results.scenarios) {
    const r = s.reproduces;
    if (!r) continue;
    const rel = r.relativeTo ? by.get(r.relativeTo) : undefined;
    const profile = results.profiles.find((p) => p.name === r.profile) as CostProfile | undefined;
    let modeled: number | undefined;
    let measured: number | undefined;
    switch (r.metric) {
      case 'slowdown':
        modeled = both(modeledRunMs(s, profile), modeledRunMs(rel, profile), (x, y) => x / y - 1);
        measured = both(wall(s), wall(rel), (x, y) => x / y - 1);
        break;
      case 'throughput-loss':
        modeled = both(modeledRunMs(s, profile), modeledRunMs(rel, profile), (x, y) => 1 - y / x);
        measured = both(wall(s), wall(rel), (x, y) => 1 - y / x);
        break;
      case 'dm-cpu-share': {
        // The device model's CPU per second of the guest's (wall-clock driven) run.
        const w = wall(s);
        const dm = s.status === 'ok' ? s.modeled[r.profile]?.dmMs : undefined;
        modeled = both(dm, w, (x, y) => x / y);
        const dmMeasured = s.timings.dm_ms?.median ?? s.timings.dm_busy_ms?.median;
        measured = both(dmMeasured, w, (x, y) => x / y);
        break;
      }
    }
    out.push({
      scenario: s.name,
      metric: r.metric,
      relativeTo: r.relativeTo,
      profile: r.profile,
      published: r.published,
      ...(r.bound ? { bound: r.bound } : {}),
      modeled,
      measured,
      source: r.source,
    });
  }
  return out;
}

/** How far a figure lies from the published one: "2.1 pt", "-0.5 pt", or for a bound "within" / "0.4 pt over". */
export function distanceFromPublished(x: Reproduction, value: number | undefined): string {
  if (value === undefined) return '-';
  const pt = (value - x.published) * 100;
  if (x.bound === 'upper') return value < x.published ? 'within' : `${pt.toFixed(1)} pt over`;
  return `${pt.toFixed(1)} pt`;
}

/** The published figure as printed: "35.0%", or "<1.0%" for a bound. */
export function publishedText(x: Reproduction): string {
  return `${x.bound === 'upper' ? '<' : ''}${(x.published * 100).toFixed(1)}%`;
}
