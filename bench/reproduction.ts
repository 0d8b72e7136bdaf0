/**
 * The `history` set's comparison: for a scenario that reproduces a published result, the published
 * figure beside the same figure computed from the cost model (on the profile of the published
 * machine) and from hvmsim's measured wall time. "How close" is modeled − published.
 */
import type { BenchResults, ScenarioResult } from './results-schema.js';

export interface Reproduction {
  scenario: string;
  metric: string;
  relativeTo?: string;
  profile: string;
  published: number;
  modeled?: number;
  measured?: number;
  source: string;
}

function wall(s: ScenarioResult | undefined): number | undefined {
  return s?.status === 'ok' ? s.timings.wall_ms?.median : undefined;
}

function modeledMs(s: ScenarioResult | undefined, profile: string): number | undefined {
  return s?.status === 'ok' ? s.modeled[profile]?.totalMs : undefined;
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
    let modeled: number | undefined;
    let measured: number | undefined;
    switch (r.metric) {
      case 'slowdown':
        modeled = both(modeledMs(s, r.profile), modeledMs(rel, r.profile), (x, y) => x / y - 1);
        measured = both(wall(s), wall(rel), (x, y) => x / y - 1);
        break;
      case 'throughput-loss':
        modeled = both(modeledMs(s, r.profile), modeledMs(rel, r.profile), (x, y) => 1 - y / x);
        measured = both(wall(s), wall(rel), (x, y) => 1 - y / x);
        break;
      case 'dm-cpu-share': {
        // The device model's CPU per second of the guest's (wall-clock driven) run.
        const w = wall(s);
        const dm = s.status === 'ok' ? s.modeled[r.profile]?.dmMs : undefined;
        modeled = both(dm, w, (x, y) => x / y);
        measured = both(s.timings.dm_busy_ms?.median, w, (x, y) => x / y);
        break;
      }
    }
    out.push({ scenario: s.name, metric: r.metric, relativeTo: r.relativeTo, profile: r.profile, published: r.published, modeled, measured, source: r.source });
  }
  return out;
}
