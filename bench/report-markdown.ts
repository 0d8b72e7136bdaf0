/**
 * The results as Markdown: what `hvmsim bench` prints and `--md` writes. One row per scenario with
 * measured time beside modeled time per cost profile, the key counters, and whether the counters
 * agreed across trials; then the history reproductions, failures and the environment.
 */
import { modelTime, type CostProfile } from './cost-model.js';
import { distanceFromPublished, publishedText, reproductions } from './reproduction.js';
import type { BenchResults, ScanBenchResults, ScenarioResult } from './results-schema.js';
import { formatCount, formatFineMs, formatMs } from './report-format.js';
import { formatHeadline } from './report-headline.js';
import { STRATEGY_MODE } from './scan-strategies.js';

function pct(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

function vgaOf(s: ScenarioResult): string {
  const d = s.domains[0];
  if (!d) return '-';
  return d.vga === 'shared' ? `shared/${d.scan}` : d.vga;
}

function countersCell(s: ScenarioResult): string {
  if (s.determinismViolations.length) return `VARIED: ${s.determinismViolations.join(', ')}`;
  const v = Object.keys(s.varied);
  if (v.length) return `exact but ${v.length} varying`;
  return s.deterministic ? 'exact' : 'not checked';
}

export function formatResultsTable(r: BenchResults): string {
  const profiles = r.profiles.map((p) => p.name);
  const header = [
    'scenario',
    'guest',
    'vga',
    'wall ms (min-max)',
    'IQR',
    'x ref',
    'instructions',
    'exits',
    'ioreqs sync/buf',
    'exits/frame',
    'frames/s',
    ...profiles.map((p) => `modeled ms ${p}`),
    'counters',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const s of r.scenarios.filter((x) => x.status === 'ok')) {
    const w = s.timings.wall_ms;
    const c = s.counters;
    const neighbours = s.domains.length > 1 ? ` +${s.domains.length - 1}` : '';
    lines.push(
      `| ${[
        s.name,
        `${s.domains[0]?.guest ?? '-'}${neighbours}`,
        vgaOf(s),
        w ? `${formatMs(w.median)} (${formatMs(w.min)}-${formatMs(w.max)})` : '-',
        formatMs(w?.iqr),
        s.timings.ratio_to_reference ? s.timings.ratio_to_reference.median.toFixed(2) : '-',
        formatCount(c.instructions),
        formatCount(s.derived.exits_total),
        `${formatCount(c.ioreq_sync)}/${formatCount(c.ioreq_buffered)}`,
        formatCount(s.derived.exits_per_frame),
        s.timings.frames_per_s ? s.timings.frames_per_s.median.toFixed(2) : '-',
        ...profiles.map((p) => formatMs(s.modeled[p]?.totalMs)),
        countersCell(s),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function formatReproductions(r: BenchResults): string {
  const rows = reproductions(r);
  if (rows.length === 0) return '';
  const lines = [
    '| scenario | metric | against | profile | published | modeled | measured | modeled - published | measured - published |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of rows) {
    lines.push(
      `| ${x.scenario} | ${x.metric} | ${x.relativeTo ?? '-'} | ${x.profile} | ${publishedText(x)} | ${pct(x.modeled)} | ${pct(x.measured)} | ${distanceFromPublished(x, x.modeled)} | ${distanceFromPublished(x, x.measured)} |`,
    );
  }
  return lines.join('\n');
}

export function formatEnvironment(r: BenchResults): string {
  const e = r.environment;
  return [
    `node ${e.node} (V8 ${e.v8}), ${e.platform}`,
    `CPU ${e.cpuModel}, ${e.cores} cores, ${e.memoryGiB} GiB, load average ${e.loadAverage} at start`,
    `commit ${e.gitCommit}${e.gitDirty ? ' (with uncommitted changes)' : ''}, ${e.date}`,
    `${r.trials} trials after ${r.warmup} warm-up per scenario; ${r.reference.description}: median ${formatMs(r.reference.ms.median)} ms`,
  ].join('\n');
}

/** Skipped and failed scenarios, and deterministic scenarios whose counters varied. */
export function formatProblems(r: BenchResults): string {
  const out: string[] = [];
  for (const s of r.scenarios) {
    if (s.status === 'skipped') out.push(`- ${s.name}: skipped (${s.error})`);
    if (s.status === 'failed') out.push(`- ${s.name}: FAILED (${s.error})`);
    if (s.determinismViolations.length) {
      const detail = s.determinismViolations.map((k) => `${k} ${s.varied[k]!.min}..${s.varied[k]!.max}`).join(', ');
      out.push(`- ${s.name}: counters varied between trials of a deterministic scenario: ${detail}`);
    }
  }
  return out.join('\n');
}

/** Milliseconds to three significant digits, for figures from microseconds to seconds. */
function ratio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x`;
}

/** The same guest and command line in `shared` mode with memcmp, alone: what VGA rows are divided by. */
function sharedCounterpart(r: BenchResults, s: ScenarioResult): ScenarioResult | undefined {
  const d = s.domains[0];
  return r.scenarios.find((x) => {
    const e = x.domains[0];
    return x.status === 'ok' && x.domains.length === 1 && e?.guest === d?.guest && e?.cmdline === d?.cmdline && e?.vga === 'shared' && e.scan === 'memcmp';
  });
}

/**
 * The VGA table (`hvmsim bench vga`): every single-domain scenario that declares the frames its
 * guest draws, per frame, and its wall time against the same guest's `shared` run of this run.
 */
export function formatVgaTable(r: BenchResults): string {
  const rows = r.scenarios.filter((s) => s.status === 'ok' && s.frames !== undefined && s.domains.length === 1);
  if (!rows.length) return '';
  const lines = [
    '| scenario | guest | vga | frames | frames/s | exits/frame | ioreqs/frame (sync+buf) | DM ms/frame | wall ms | wall / shared |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of rows) {
    const f = s.frames!;
    const c = s.counters;
    const shared = sharedCounterpart(r, s);
    const w = s.timings.wall_ms?.median;
    const sw = shared?.timings.wall_ms?.median;
    lines.push(
      `| ${[
        s.name,
        s.domains[0]!.guest,
        vgaOf(s),
        String(f),
        s.timings.frames_per_s ? s.timings.frames_per_s.median.toPrecision(3) : '-',
        formatCount(s.derived.exits_per_frame),
        formatCount(((c.ioreq_sync ?? 0) + (c.ioreq_buffered ?? 0)) / f),
        formatFineMs(s.timings.dm_ms_per_frame?.median),
        formatMs(w),
        w !== undefined && sw ? ratio(w / sw) : '-',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The neighbours' mode: "4 x vga-idle shared/memcmp @30 Hz". */
function neighbourLabel(s: ScenarioResult): string {
  const n = s.domains.slice(1);
  const d = n[0];
  if (!d) return '-';
  const kinds = new Set(n.map((x) => `${x.guest} ${x.vga === 'shared' ? `shared/${x.scan}` : x.vga} @${x.refreshHz} Hz`));
  return [...kinds].map((k) => `${n.length} x ${k}`).join(', ');
}

/**
 * Scenarios with neighbours: the measured domain's wall time, its loss against the same guest
 * alone in this run, and what the neighbours cost the host meanwhile (measured: their device
 * models' time per second of the run, in cores) and on the modeled machine.
 */
export function formatNeighbourTable(r: BenchResults): string {
  const rows = r.scenarios.filter((s) => s.status === 'ok' && s.domains.length > 1);
  if (!rows.length) return '';
  const profiles = r.profiles.map((p) => p.name);
  const lines = [
    `| scenario | measured guest | neighbours | wall ms | loss vs alone | neighbours' DM time (cores) | ${profiles.map((p) => `neighbours' modeled share ${p}`).join(' | ')} |`,
    `|---|---|---|---|---|---|${profiles.map(() => '---').join('|')}|`,
  ];
  for (const s of rows) {
    const d = s.domains[0]!;
    const alone = r.scenarios.find((x) => x.status === 'ok' && x.domains.length === 1 && x.domains[0]?.guest === d.guest && x.domains[0]?.cmdline === d.cmdline);
    const w = s.timings.wall_ms?.median;
    const aw = alone?.timings.wall_ms?.median;
    const shares = r.profiles.map((p) => {
      const c = s.neighbours?.counters;
      if (!c || !w) return '-';
      return pct(modelTime(c, p as CostProfile).totalMs / w);
    });
    lines.push(
      `| ${[s.name, d.guest, neighbourLabel(s), formatMs(w), w && aw ? `${pct(1 - aw / w)} (vs ${alone!.name})` : '-', s.timings.neighbour_dm_share ? s.timings.neighbour_dm_share.median.toFixed(3) : '-', ...shares].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The scan benchmark: time per refresh by strategy and dirty fraction, growth, and the floor. */
export function formatScanReport(scan: ScanBenchResults): string {
  const fractions = [...new Set(scan.surfaces.flatMap((s) => s.strategies.flatMap((t) => t.points.map((p) => p.fraction))))].sort((a, b) => a - b);
  const fr = (f: number): string => `${+(f * 100).toFixed(2)}%`;
  const out: string[] = [];
  out.push(`Time per refresh, ms (median of ${scan.repeats}), by the fraction of the surface's pages written since the last refresh:`, '');
  out.push(`| surface | pages | strategy | mode | ${fractions.map(fr).join(' | ')} | ${fr(fractions.at(-1)!)} / ${fr(fractions[0]!)} |`);
  out.push(`|---|---|---|---|${fractions.map(() => '---').join('|')}|---|`);
  for (const s of scan.surfaces) {
    for (const t of s.strategies) {
      const at = (f: number): number | undefined => t.points.find((p) => p.fraction === f)?.medianMs;
      const first = at(fractions[0]!);
      const last = at(fractions.at(-1)!);
      out.push(
        `| ${s.surface} | ${s.pages} | ${t.strategy} | ${STRATEGY_MODE[t.strategy]} | ${fractions.map((f) => formatFineMs(at(f))).join(' | ')} | ${first && last ? ratio(last / first) : '-'} |`,
      );
    }
  }
  const smallest = scan.surfaces[0];
  if (smallest && scan.surfaces.length > 1) {
    out.push('', `Growth with the surface (time ÷ time on ${smallest.surface}, ${smallest.pages} pages):`, '');
    const others = scan.surfaces.slice(1);
    const ends = [fractions[0]!, fractions.at(-1)!];
    out.push(`| strategy | ${others.flatMap((o) => ends.map((f) => `${o.surface} (${ratio(o.pages / smallest.pages)} pages) at ${fr(f)}`)).join(' | ')} |`);
    out.push(`|---|${others.flatMap(() => ends.map(() => '---')).join('|')}|`);
    for (const t of smallest.strategies) {
      const base = (f: number): number | undefined => t.points.find((p) => p.fraction === f)?.medianMs;
      const cells = others.flatMap((o) =>
        ends.map((f) => {
          const v = o.strategies.find((x) => x.strategy === t.strategy)?.points.find((p) => p.fraction === f)?.medianMs;
          const b = base(f);
          return v !== undefined && b ? ratio(v / b) : '-';
        }),
      );
      out.push(`| ${t.strategy} | ${cells.join(' | ')} |`);
    }
  }
  out.push('', 'memcmp against the memory-bandwidth floor measured in the same thread (GB/s = surface bytes / time):', '');
  out.push('| surface | copy floor (TypedArray.set) ms, GB/s | compare floor (Buffer.compare, equal) ms, GB/s | best memcmp refresh ms, GB/s | best memcmp / compare floor |');
  out.push('|---|---|---|---|---|');
  const gbs = (bytes: number, ms: number): string => (ms > 0 ? (bytes / ms / 1e6).toFixed(1) : '-');
  for (const s of scan.surfaces) {
    const memcmp = s.strategies.find((t) => t.strategy === 'memcmp');
    const best = memcmp ? Math.min(...memcmp.points.map((p) => p.medianMs)) : undefined;
    out.push(
      `| ${s.surface} | ${formatFineMs(s.copyFloorMs)}, ${gbs(s.bytes, s.copyFloorMs)} | ${formatFineMs(s.compareFloorMs)}, ${gbs(s.bytes, s.compareFloorMs)} | ${best === undefined ? '-' : `${formatFineMs(best)}, ${gbs(s.bytes, best)}`} | ${best !== undefined && s.compareFloorMs > 0 ? ratio(best / s.compareFloorMs) : '-'} |`,
    );
  }
  return out.join('\n');
}

/** The order every report keeps: the VGA designs side by side, the published results, then the details. */
export function formatMarkdownReport(r: BenchResults): string {
  const parts = ['# hvmsim bench'];
  const headline = formatHeadline(r);
  if (headline) parts.push('', '## The VGA designs side by side', '', headline);
  const repro = formatReproductions(r);
  if (repro) parts.push('', '## Published results reproduced', '', repro);
  parts.push('', '## All scenarios', '', formatResultsTable(r));
  const vga = formatVgaTable(r);
  if (vga) parts.push('', '## VGA: per frame, whole runs', '', vga);
  const neighbours = formatNeighbourTable(r);
  if (neighbours) parts.push('', '## Neighbours', '', neighbours);
  if (r.scan) parts.push('', '## Dirty-scan strategies (synthetic VRAM)', '', formatScanReport(r.scan));
  const problems = formatProblems(r);
  if (problems) parts.push('', '## Problems', '', problems);
  parts.push('', '## Environment', '', formatEnvironment(r));
  return parts.join('\n') + '\n';
}
