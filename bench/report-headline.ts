/**
 * The headline of every report: the four VGA designs side by side, per guest. For each guest
 * drawing a known number of frames, one row per design (trap, buffered, shared, shared-dirty,
 * and shared with the checksum scan when run): exits and ioreqs per frame, modeled time per
 * frame on each named machine (bench/cost-models), and measured time per frame on this one.
 *
 * Per-frame figures come from the steady state where the scenario has one (the difference of a
 * full and a short run, scenario.steady), else from the whole run divided by its frames, which
 * includes boot and read-back — the table says which.
 */
import { modelTime, type CostProfile } from './cost-model.js';
import type { BenchResults, ScenarioResult } from './results-schema.js';
import { formatCount, formatFineMs } from './report-format.js';

const DESIGN_ORDER = ['trap', 'buffered', 'shared/memcmp', 'shared-dirty', 'shared/checksum'];

function design(s: ScenarioResult): string {
  const d = s.domains[0]!;
  return d.vga === 'shared' ? `shared/${d.scan}` : d.vga;
}

export interface HeadlineRow {
  scenario: string;
  design: string;
  basis: 'steady' | 'whole run';
  frames: number;
  exitsPerFrame: number;
  ioreqsPerFrame: number;
  modeledMsPerFrame: Record<string, number>;
  wallMsPerFrame: number | undefined;
  dmMsPerFrame: number | undefined;
}

export interface HeadlineGroup {
  guest: string;
  cmdline: string;
  rows: HeadlineRow[];
}

function exits(c: Record<string, number>): number {
  let n = 0;
  for (const [k, v] of Object.entries(c)) if (k.startsWith('exit_')) n += v;
  return n;
}

function row(s: ScenarioResult, profiles: readonly CostProfile[]): HeadlineRow {
  const st = s.steady;
  if (st) {
    return {
      scenario: s.name,
      design: design(s),
      basis: 'steady',
      frames: st.frames,
      exitsPerFrame: exits(st.counters),
      ioreqsPerFrame: (st.counters.ioreq_sync ?? 0) + (st.counters.ioreq_buffered ?? 0),
      modeledMsPerFrame: st.modeledMs,
      wallMsPerFrame: st.timings.wall_ms_per_frame?.median,
      dmMsPerFrame: st.timings.dm_ms_per_frame?.median,
    };
  }
  const f = s.frames!;
  const modeled: Record<string, number> = {};
  for (const p of profiles) modeled[p.name] = (s.modeled[p.name]?.totalMs ?? modelTime(s.counters, p).totalMs) / f;
  const wall = s.timings.wall_ms?.median;
  return {
    scenario: s.name,
    design: design(s),
    basis: 'whole run',
    frames: f,
    exitsPerFrame: exits(s.counters) / f,
    ioreqsPerFrame: ((s.counters.ioreq_sync ?? 0) + (s.counters.ioreq_buffered ?? 0)) / f,
    modeledMsPerFrame: modeled,
    wallMsPerFrame: wall === undefined ? undefined : wall / f,
    dmMsPerFrame: s.timings.dm_ms_per_frame?.median,
  };
}

/** Single-domain scenarios that declare their frames, grouped by guest and command line, designs in order. */
export function headlineGroups(r: BenchResults): HeadlineGroup[] {
  const groups = new Map<string, HeadlineGroup>();
  for (const s of r.scenarios) {
    if (s.status !== 'ok' || s.frames === undefined || s.domains.length !== 1) continue;
    const d = s.domains[0]!;
    const key = `${d.guest}\u0000${d.cmdline}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { guest: d.guest, cmdline: d.cmdline, rows: [] }));
    g.rows.push(row(s, r.profiles as CostProfile[]));
  }
  const rank = (x: HeadlineRow) => {
    const i = DESIGN_ORDER.indexOf(x.design);
    return i < 0 ? DESIGN_ORDER.length : i;
  };
  for (const g of groups.values()) g.rows.sort((a, b) => rank(a) - rank(b));
  return [...groups.values()];
}

/**
 * A measured difference per frame: one that comes out at or below zero was smaller than the
 * run-to-run noise of the two runs it is taken from, and says so rather than print a negative time.
 */
function measured(v: number | undefined): string {
  if (v === undefined) return '-';
  return v > 0 ? formatFineMs(v) : 'below noise';
}

/** Markdown: one small table per guest, designs as rows. */
export function formatHeadline(r: BenchResults): string {
  const groups = headlineGroups(r);
  if (!groups.length) return '';
  const profiles = r.profiles.map((p) => p.name);
  const out: string[] = [];
  for (const g of groups) {
    const basis = g.rows.every((x) => x.basis === 'steady') ? `steady state over ${g.rows[0]!.frames} frames` : g.rows.some((x) => x.basis === 'steady') ? 'mixed' : 'whole run / frames (includes boot and read-back)';
    out.push(`**${g.guest}** \`${g.cmdline || '(no command line)'}\` — per frame, ${basis}:`, '');
    out.push(`| design | exits | ioreqs | ${profiles.map((p) => `modeled ms ${p}`).join(' | ')} | measured ms | DM ms | x trap (measured) |`);
    out.push(`|---|---|---|${profiles.map(() => '---').join('|')}|---|---|---|`);
    const trap = g.rows.find((x) => x.design === 'trap')?.wallMsPerFrame;
    for (const x of g.rows) {
      const vs = trap && trap > 0 && x.wallMsPerFrame !== undefined && x.wallMsPerFrame > 0 ? `${(x.wallMsPerFrame / trap).toFixed(2)}x` : '-';
      out.push(
        `| ${x.design} | ${formatCount(x.exitsPerFrame)} | ${formatCount(x.ioreqsPerFrame)} | ${profiles.map((p) => formatFineMs(x.modeledMsPerFrame[p])).join(' | ')} | ${measured(x.wallMsPerFrame)} | ${measured(x.dmMsPerFrame)} | ${vs} |`,
      );
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}
