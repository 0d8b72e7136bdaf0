/**
 * `hvmsim bench compare BASE NEW`: the CI gate. Deterministic counters and modeled time are
 * compared exactly: every change is listed and a rise beyond the threshold is a regression (from
 * zero, any rise is). Wall-clock figures are compared only as each run's ratio to its own host
 * reference slice, and judged by a bootstrap interval of the ratio of medians: slower only when
 * the whole interval lies beyond the threshold. A scenario or counter of the base that the new
 * run lacks fails too: the gate must not lose coverage silently.
 */
import { COST_TERMS, termReads } from './cost-model.js';
import type { BenchResults, ScenarioResult } from './results-schema.js';
import { bootstrapRatioOfMedians, type RatioInterval } from './statistics.js';

export type Verdict = 'regression' | 'improvement' | 'changed' | 'varies' | 'same' | 'note';

export interface CompareRow {
  scenario: string;
  metric: string;
  base?: number;
  new?: number;
  /** Relative change (new / base − 1), when both exist and base ≠ 0. */
  change?: number;
  interval?: RatioInterval;
  verdict: Verdict;
  detail?: string;
}

export interface CompareOptions {
  /** Counters and modeled time: a rise beyond this fraction fails (0.05 = 5%). */
  threshold: number;
  /** Wall-clock ratios: slower beyond this fraction, with the whole interval past it, fails. */
  timeThreshold: number;
}

export interface CompareReport {
  rows: CompareRow[];
  regressions: CompareRow[];
}

/** "5%", "5", "0.05" → 0.05; undefined for anything else. */
export function parseThreshold(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const fraction = m[2] === '%' || n >= 1 ? n / 100 : n;
  return fraction >= 0 && fraction < 10 ? fraction : undefined;
}

function relChange(b: number, n: number): number | undefined {
  return b === 0 ? undefined : n / b - 1;
}

/** A deterministic quantity where more is worse: any change listed, a rise past the threshold fails. */
function exactRow(scenario: string, metric: string, b: number, n: number, threshold: number, detail?: string): CompareRow | undefined {
  if (b === n) return undefined;
  const change = relChange(b, n);
  const rose = n > b && (b === 0 || n > b * (1 + threshold));
  const verdict: Verdict = rose ? 'regression' : n < b ? 'improvement' : 'changed';
  return { scenario, metric, base: b, new: n, change, verdict, detail };
}

function compareScenario(b: ScenarioResult, n: ScenarioResult, o: CompareOptions): CompareRow[] {
  const rows: CompareRow[] = [];
  const s = n.name;
  if (n.status !== 'ok') {
    const failed = n.status === 'failed' || b.status === 'ok';
    rows.push({ scenario: s, metric: 'status', verdict: failed && n.status === 'failed' ? 'regression' : 'note', detail: `${n.status}: ${n.error ?? ''}`.trim() });
    return rows;
  }
  if (b.status !== 'ok') {
    rows.push({ scenario: s, metric: 'status', verdict: 'note', detail: `base ${b.status}, now ok: nothing to compare` });
    return rows;
  }
  // Time, as a ratio to the host reference measured in the same run. The judged figure is CPU
  // time when both runs have it: a busy neighbour on a two-core machine stretches wall time by
  // however long it holds the core, but adds little to the CPU our threads use (README, "What the
  // CI gate judges"). Wall time is then listed, not judged.
  const hasCpu = (r: ScenarioResult) => (r.timings.cpu_ratio_to_reference?.trials.length ?? 0) > 0;
  const judgeCpu = hasCpu(b) && hasCpu(n);
  const timeRow = (key: 'ratio_to_reference' | 'cpu_ratio_to_reference', metric: string, judged: boolean): void => {
    const bt = b.timings[key]?.trials ?? [];
    const nt = n.timings[key]?.trials ?? [];
    if (!bt.length || !nt.length) return;
    const iv = bootstrapRatioOfMedians(bt, nt);
    let verdict: Verdict = iv.low > 1 + o.timeThreshold ? 'regression' : iv.high < 1 / (1 + o.timeThreshold) ? 'improvement' : 'same';
    const gated = b.gateWallTime && n.gateWallTime;
    let detail: string | undefined;
    if (!gated) detail = 'time not gated for this scenario';
    else if (!judged) detail = 'listed: CPU time is judged';
    if (detail !== undefined && verdict === 'regression') verdict = 'note';
    rows.push({ detail, scenario: s, metric, base: b.timings[key]!.median, new: n.timings[key]!.median, change: iv.ratio - 1, interval: iv, verdict });
  };
  timeRow('cpu_ratio_to_reference', 'CPU time / host reference', true);
  timeRow('ratio_to_reference', 'wall time / host reference', !judgeCpu);
  if (n.determinismViolations.length) {
    rows.push({ scenario: s, metric: 'determinism', verdict: 'note', detail: `counters varied between trials: ${n.determinismViolations.join(', ')}` });
  }
  // Counters: exact where deterministic. Counters declared varying (timer-driven) are listed, not
  // judged; counters that merely happened to vary are judged by their ranges: a regression only
  // when every trial now lies beyond the threshold of every trial before.
  const declared = new Set([...b.varyingCounters, ...n.varyingCounters]);
  if (!b.deterministic || !n.deterministic) for (const k of [...Object.keys(b.counters), ...Object.keys(n.counters)]) declared.add(k);
  const observed = new Set([...Object.keys(b.varied), ...Object.keys(n.varied)]);
  const varying = new Set([...declared, ...observed]);
  const names = [...new Set([...Object.keys(b.counters), ...Object.keys(n.counters)])].sort();
  for (const k of names) {
    const bv = b.counters[k];
    const nv = n.counters[k];
    if (bv === undefined || nv === undefined) {
      // A counter that disappears would silently stop being gated: that fails until the baseline is refreshed.
      rows.push(
        bv === undefined
          ? { scenario: s, metric: k, base: bv, new: nv, verdict: 'note', detail: 'new counter' }
          : { scenario: s, metric: k, base: bv, new: nv, verdict: 'regression', detail: 'counter missing from the new run (refresh the baseline to drop it)' },
      );
      continue;
    }
    if (bv === nv && !observed.has(k)) continue;
    if (declared.has(k)) {
      if (bv !== nv) rows.push({ scenario: s, metric: k, base: bv, new: nv, change: relChange(bv, nv), verdict: 'varies', detail: 'declared varying: not judged' });
      continue;
    }
    if (observed.has(k)) {
      const br = b.varied[k] ?? { min: bv, max: bv };
      const nr = n.varied[k] ?? { min: nv, max: nv };
      if (bv === nv && br.min === nr.min && br.max === nr.max) continue;
      const row = exactRow(s, k, br.max, nr.min, o.threshold);
      const verdict: Verdict =
        row?.verdict === 'regression' ? 'regression' : nr.max < br.min ? 'improvement' : nr.min > br.max ? 'changed' : 'varies';
      const range = (r: { min: number; max: number }): string => (r.min === r.max ? String(r.min) : `${r.min}..${r.max}`);
      rows.push({ scenario: s, metric: k, base: bv, new: nv, change: relChange(bv, nv), verdict, detail: `varied between trials: ${range(br)} -> ${range(nr)}` });
      continue;
    }
    rows.push(exactRow(s, k, bv, nv, o.threshold)!);
  }
  // Modeled time follows from the counters, so it is exact too, per profile both runs have; only
  // its terms made of deterministic counters are judged (varying ones are caught by nothing here).
  const termVaries = (t: string): boolean => {
    const term = COST_TERMS.find((x) => x.parameter === t);
    return !term || [...varying].some((k) => termReads(term, k));
  };
  for (const p of Object.keys(n.modeled).filter((p) => p in b.modeled).sort()) {
    const bm = b.modeled[p]!;
    const nm = n.modeled[p]!;
    const r = exactRow(s, `modeled ms (${p})`, bm.totalMs, nm.totalMs, o.threshold);
    if (!r) continue;
    const fixedPart = (m: typeof bm): number => Object.entries(m.terms).reduce((a, [t, v]) => a + (termVaries(t) ? 0 : v.ms), 0);
    const fb = fixedPart(bm);
    const fn = fixedPart(nm);
    // The deterministic terms' rise, measured against the whole modeled time.
    const fixedRose = fn > fb && (bm.totalMs === 0 || fn - fb > bm.totalMs * o.threshold);
    if (fixedRose) r.verdict = 'regression';
    else if (fn === fb) {
      r.verdict = 'varies';
      r.detail = 'only terms made of counters that vary between trials changed';
    } else r.verdict = fn < fb ? 'improvement' : 'changed';
    rows.push(r);
  }
  return rows;
}

export function compareResults(base: BenchResults, next: BenchResults, o: CompareOptions): CompareReport {
  const rows: CompareRow[] = [];
  const baseBy = new Map(base.scenarios.map((s) => [s.name, s]));
  const nextBy = new Map(next.scenarios.map((s) => [s.name, s]));
  for (const n of next.scenarios) {
    const b = baseBy.get(n.name);
    if (!b) rows.push({ scenario: n.name, metric: 'scenario', verdict: 'note', detail: 'not in the base: nothing to compare' });
    else rows.push(...compareScenario(b, n, o));
  }
  for (const b of base.scenarios) {
    if (!nextBy.has(b.name)) {
      rows.push({ scenario: b.name, metric: 'scenario', verdict: 'regression', detail: 'in the base but missing from the new run (refresh the baseline to drop it)' });
    }
  }
  return { rows, regressions: rows.filter((r) => r.verdict === 'regression') };
}

function fmtNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

function fmtChange(r: CompareRow): string {
  if (r.change === undefined) return r.base === 0 && (r.new ?? 0) > 0 ? 'from 0' : '';
  const pct = r.change * 100;
  let text = `${pct >= 0 ? '+' : ''}${Math.abs(pct) < 0.01 && pct !== 0 ? pct.toExponential(1) : pct.toFixed(2)}%`;
  if (r.interval) text += ` [${((r.interval.low - 1) * 100).toFixed(1)}%, ${((r.interval.high - 1) * 100).toFixed(1)}%]`;
  return text;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  regression: 'REGRESSION',
  improvement: 'better',
  changed: 'changed (within threshold)',
  varies: 'varies',
  same: 'no significant change',
  note: 'note',
};

/** A plain-text table (aligned columns) and a summary line. */
export function formatCompareReport(r: CompareReport, o: CompareOptions, baseLabel: string, newLabel: string): string {
  const header = ['scenario', 'metric', 'base', 'new', 'change', 'verdict'];
  const body = r.rows.map((x) => [
    x.scenario,
    x.metric,
    fmtNumber(x.base),
    fmtNumber(x.new),
    fmtChange(x),
    VERDICT_TEXT[x.verdict] + (x.detail ? `: ${x.detail}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i >= 2 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `compare ${baseLabel} -> ${newLabel} (counters and modeled time: exact, a rise over ${(o.threshold * 100).toFixed(1)}% fails; ` +
      `wall time: ratio to the host reference, 95% bootstrap interval beyond ${(o.timeThreshold * 100).toFixed(1)}% fails)`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  if (r.regressions.length === 0) out.push('', 'compare: no regression');
  else {
    out.push('', `compare: ${r.regressions.length} regression${r.regressions.length > 1 ? 's' : ''}:`);
    for (const x of r.regressions) out.push(`  ${x.scenario}: ${x.metric} ${fmtNumber(x.base)} -> ${fmtNumber(x.new)} ${fmtChange(x)}`.trimEnd() + (x.detail ? ` (${x.detail})` : ''));
  }
  return out.join('\n') + '\n';
}
