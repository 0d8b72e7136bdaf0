/**
 * The results as Markdown: what `hvmsim bench` prints and `--md` writes. One row per scenario with
 * measured time beside modeled time per cost profile, the key counters, and whether the counters
 * agreed across trials; then the history reproductions, failures and the environment.
 */
import { reproductions } from './reproduction.js';
import type { BenchResults, ScenarioResult } from './results-schema.js';

export function formatCount(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function formatMs(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3);
}

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
    '| scenario | metric | against | profile | published | modeled | measured | modeled - published |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const x of rows) {
    lines.push(
      `| ${x.scenario} | ${x.metric} | ${x.relativeTo ?? '-'} | ${x.profile} | ${pct(x.published)} | ${pct(x.modeled)} | ${pct(x.measured)} | ${
        x.modeled === undefined ? '-' : `${((x.modeled - x.published) * 100).toFixed(1)} pt`
      } |`,
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

export function formatMarkdownReport(r: BenchResults): string {
  const parts = ['# hvmsim bench', '', formatResultsTable(r)];
  const repro = formatReproductions(r);
  if (repro) parts.push('', '## Published results reproduced', '', repro);
  const problems = formatProblems(r);
  if (problems) parts.push('', '## Problems', '', problems);
  parts.push('', '## Environment', '', formatEnvironment(r));
  return parts.join('\n') + '\n';
}
