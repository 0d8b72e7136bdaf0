/**
 * The self-contained HTML report (`hvmsim bench --html`): one file with Chart.js inlined, the
 * results as embedded JSON, and the final screenshot of each VGA scenario as a data URI, so it can
 * be opened anywhere (CI artifacts, mail) without a network or the files next to it.
 *
 * Charts: exits per frame, frames per second, measured vs modeled time, and the device model's
 * scan cost against the fraction of pages found dirty. Each chart draws with animation off and
 * the page counts them in `data-charts-rendered`, so a headless browser can check them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { distanceFromPublished, publishedText, reproductions } from './reproduction.js';
import { formatCount, formatMs } from './report-format.js';
import { formatHeadline } from './report-headline.js';
import { formatEnvironment, formatNeighbourTable, formatScanReport, formatVgaTable } from './report-markdown.js';
import type { BenchResults, ScenarioResult } from './results-schema.js';

const require = createRequire(import.meta.url);

/** Chart.js's UMD build (it defines the global `Chart`), read from the installed package. */
function chartJsSource(): string {
  const main = require.resolve('chart.js');
  return readFileSync(path.join(path.dirname(main), 'chart.umd.min.js'), 'utf8');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Text safe inside a <script> element. */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function modeLabel(s: ScenarioResult): string {
  const d = s.domains[0];
  if (!d) return '-';
  return d.vga === 'shared' ? `shared/${d.scan}` : d.vga;
}

export interface ChartData {
  exitsPerFrame: { labels: string[]; values: number[] };
  framesPerSecond: { labels: string[]; values: number[] };
  measuredVsModeled: { labels: string[]; measured: number[]; modeled: { profile: string; values: number[] }[] };
  /**
   * Display ms per refresh against the dirty fraction: one point per VGA scenario (by mode), and
   * with the scan benchmark one line per strategy and surface (synthetic VRAM); `log` asks for a
   * logarithmic time axis (the benchmark spans microseconds to milliseconds).
   */
  scanVsDirty: { series: { label: string; points: { x: number; y: number; scenario: string }[]; line?: boolean }[]; log?: boolean };
}

export function chartData(r: BenchResults): ChartData {
  const ok = r.scenarios.filter((s) => s.status === 'ok');
  const withFrames = ok.filter((s) => s.derived.exits_per_frame !== undefined);
  const withFps = ok.filter((s) => s.timings.frames_per_s !== undefined);
  const series = new Map<string, { x: number; y: number; scenario: string }[]>();
  for (const s of ok) {
    const x = s.derived.dirty_fraction;
    const y = s.timings.display_ms_per_refresh?.median;
    if (x === undefined || y === undefined) continue;
    const key = modeLabel(s);
    if (!series.has(key)) series.set(key, []);
    series.get(key)!.push({ x, y, scenario: s.name });
  }
  return {
    exitsPerFrame: { labels: withFrames.map((s) => s.name), values: withFrames.map((s) => s.derived.exits_per_frame!) },
    framesPerSecond: { labels: withFps.map((s) => s.name), values: withFps.map((s) => s.timings.frames_per_s!.median) },
    measuredVsModeled: {
      labels: ok.map((s) => s.name),
      measured: ok.map((s) => s.timings.wall_ms?.median ?? 0),
      modeled: r.profiles.map((p) => ({ profile: p.name, values: ok.map((s) => s.modeled[p.name]?.totalMs ?? 0) })),
    },
    scanVsDirty: scanSeries(r, [...series.entries()].map(([label, points]) => ({ label, points }))),
  };
}

/** The scenarios' display points, then the scan benchmark's lines (strategy x surface) when the run has it. */
function scanSeries(r: BenchResults, scenarios: ChartData['scanVsDirty']['series']): ChartData['scanVsDirty'] {
  if (!r.scan) return { series: scenarios };
  const lines = r.scan.surfaces.flatMap((s) =>
    s.strategies.map((t) => ({
      label: `${t.strategy} ${s.surface}`,
      points: t.points.map((p) => ({ x: p.fraction, y: p.medianMs, scenario: `scan benchmark, ${p.dirtyPages} of ${s.pages} pages dirty` })),
      line: true,
    })),
  );
  return { series: [...scenarios, ...lines], log: true };
}

function screenshotDataUri(file: string | undefined): string | undefined {
  if (!file || !existsSync(file)) return undefined;
  return `data:image/png;base64,${readFileSync(file).toString('base64')}`;
}

function resultsTable(r: BenchResults): string {
  const profiles = r.profiles.map((p) => p.name);
  const head = ['scenario', 'guest', 'vga', 'wall ms (median)', 'min-max', 'IQR', 'x ref', 'instructions', 'exits', 'ioreqs sync/buf', 'exits/frame', 'frames/s', ...profiles.map((p) => `modeled ms ${p}`), 'counters'];
  const rows = r.scenarios.map((s) => {
    if (s.status !== 'ok') return `<tr class="${s.status}"><td>${esc(s.name)}</td><td colspan="${head.length - 1}">${esc(s.status)}: ${esc(s.error ?? '')}</td></tr>`;
    const w = s.timings.wall_ms;
    const cells = [
      s.name,
      `${s.domains[0]?.guest ?? '-'}${s.domains.length > 1 ? ` +${s.domains.length - 1}` : ''}`,
      modeLabel(s),
      formatMs(w?.median),
      w ? `${formatMs(w.min)}-${formatMs(w.max)}` : '-',
      formatMs(w?.iqr),
      s.timings.ratio_to_reference?.median.toFixed(2) ?? '-',
      formatCount(s.counters.instructions),
      formatCount(s.derived.exits_total),
      `${formatCount(s.counters.ioreq_sync)}/${formatCount(s.counters.ioreq_buffered)}`,
      formatCount(s.derived.exits_per_frame),
      s.timings.frames_per_s?.median.toFixed(2) ?? '-',
      ...profiles.map((p) => formatMs(s.modeled[p]?.totalMs)),
      s.determinismViolations.length ? `VARIED: ${s.determinismViolations.join(', ')}` : s.deterministic ? 'exact' : 'not checked',
    ];
    return `<tr${s.determinismViolations.length ? ' class="varied"' : ''}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function reproductionTable(r: BenchResults): string {
  const rows = reproductions(r);
  if (!rows.length) return '<p class="note">No scenario of this run reproduces a published result (the <code>history</code> set does).</p>';
  const p = (v: number | undefined): string => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
  const head = ['scenario', 'metric', 'against', 'profile', 'published', 'modeled', 'measured', 'modeled - published', 'measured - published', 'source'];
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((x) => {
      const cells = [x.scenario, x.metric, x.relativeTo ?? '-', x.profile, publishedText(x), p(x.modeled), p(x.measured), distanceFromPublished(x, x.modeled), distanceFromPublished(x, x.measured)];
      return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}<td style="text-align:left">${esc(x.source)}</td></tr>`;
    })
    .join('')}</tbody></table>`;
}

/** The Markdown report's tables and their lead-in lines as HTML (the VGA, neighbour and scan sections). */
export function markdownTablesToHtml(md: string): string {
  const out: string[] = [];
  let table: string[][] = [];
  const flush = (): void => {
    if (!table.length) return;
    const [head, ...body] = table;
    out.push(
      `<table><thead><tr>${head!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
    );
    table = [];
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      const cells = line.slice(1, -1).split('|').map((c) => c.trim());
      if (!cells.every((c) => /^-+$/.test(c))) table.push(cells);
      continue;
    }
    flush();
    // Lead-in lines keep their **bold** and `code` spans.
    if (line.trim()) out.push(`<p>${esc(line).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/`(.+?)`/g, '<code>$1</code>')}</p>`);
  }
  flush();
  return out.join('\n');
}

function extraSections(r: BenchResults): string {
  const parts: string[] = [];
  const vga = formatVgaTable(r);
  if (vga) parts.push(`<h2>VGA: per frame, whole runs</h2>\n${markdownTablesToHtml(vga)}`);
  const neighbours = formatNeighbourTable(r);
  if (neighbours) parts.push(`<h2>Neighbours</h2>\n${markdownTablesToHtml(neighbours)}`);
  if (r.scan) parts.push(`<h2>Dirty-scan strategies (synthetic VRAM)</h2>\n${markdownTablesToHtml(formatScanReport(r.scan))}`);
  return parts.join('\n');
}

function headline(r: BenchResults): string {
  const md = formatHeadline(r);
  if (!md) return '<p class="note">No VGA scenario with a frame count in this run (the default and vga sets have them).</p>';
  return markdownTablesToHtml(md);
}

function screenshots(r: BenchResults): string {
  const shots = r.scenarios
    .map((s) => ({ s, uri: screenshotDataUri(s.screenshot) }))
    .filter((x): x is { s: ScenarioResult; uri: string } => x.uri !== undefined);
  if (!shots.length) return '<p class="note">No screenshots in this run (VGA scenarios take one on their last trial).</p>';
  return `<div class="shots">${shots
    .map(({ s, uri }) => `<figure><img alt="final frame of ${esc(s.name)}" src="${uri}"><figcaption>${esc(s.name)}</figcaption></figure>`)
    .join('')}</div>`;
}

const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var colors = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
  var base = { animation: false, responsive: false, plugins: { legend: { display: true } } };
  function opts(extra) { return Object.assign({}, base, extra); }
  var made = 0;
  function chart(id, config) {
    var canvas = document.getElementById(id);
    new Chart(canvas, config);
    made++;
  }
  var logY = function (title) { return { y: { type: 'logarithmic', title: { display: true, text: title } } }; };
  chart('chart-exits-per-frame', { type: 'bar', data: { labels: data.exitsPerFrame.labels,
    datasets: [{ label: 'exits per frame', data: data.exitsPerFrame.values, backgroundColor: colors[0] }] },
    options: opts({ scales: logY('exits per frame (log)') }) });
  chart('chart-frames-per-second', { type: 'bar', data: { labels: data.framesPerSecond.labels,
    datasets: [{ label: 'frames/s (median)', data: data.framesPerSecond.values, backgroundColor: colors[1] }] },
    options: opts({ scales: { y: { beginAtZero: true, title: { display: true, text: 'frames per second' } } } }) });
  var mm = data.measuredVsModeled;
  chart('chart-measured-vs-modeled', { type: 'bar', data: { labels: mm.labels,
    datasets: [{ label: 'measured wall ms (hvmsim)', data: mm.measured, backgroundColor: colors[2] }].concat(
      mm.modeled.map(function (m, i) { return { label: 'modeled ms: ' + m.profile, data: m.values, backgroundColor: colors[3 + i % 5] }; })) },
    options: opts({ scales: logY('ms (log)') }) });
  var scan = data.scanVsDirty;
  var dashes = [[], [6, 3], [2, 2]];
  chart('chart-scan-vs-dirty', { type: 'scatter', data: {
    datasets: scan.series.map(function (s, i) {
      var c = colors[i % colors.length];
      return { label: s.label, data: s.points, backgroundColor: c, borderColor: c, showLine: !!s.line,
        borderDash: dashes[Math.floor(i / colors.length) % dashes.length] };
    }) },
    options: opts({ scales: { x: { min: 0, max: 1, title: { display: true, text: 'dirty pages / pages scanned' } },
      y: scan.log ? { type: 'logarithmic', title: { display: true, text: 'ms per refresh (median, log)' } }
        : { beginAtZero: true, title: { display: true, text: 'display ms per refresh (median)' } } } }) });
  document.body.setAttribute('data-charts-rendered', String(made));
})();
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.failed td, tr.varied td { background: #fde2e2; }
tr.skipped td { color: #888; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
.charts figure { margin: 0; }
.shots { display: flex; flex-wrap: wrap; gap: 1em; }
.shots img { width: 320px; image-rendering: pixelated; border: 1px solid #ccc; }
.note { color: #666; }
pre { background: #f6f6f6; padding: 0.6em; }
`;

export function renderHtmlReport(r: BenchResults): string {
  const data = chartData(r);
  const chart = (id: string, title: string, note: string): string =>
    `<figure><figcaption><b>${esc(title)}</b>${note ? ` <span class="note">${esc(note)}</span>` : ''}</figcaption><canvas id="${id}" width="560" height="320"></canvas></figure>`;
  const empty = (n: number, what: string): string => (n ? '' : `(no ${what} in this run)`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hvmsim bench report</title><style>${STYLE}</style></head>
<body>
<h1>hvmsim bench</h1>
<p>${esc(`${r.scenarios.filter((s) => s.status === 'ok').length} scenarios, ${r.trials} trials each after ${r.warmup} warm-up; ${r.environment.date}`)}</p>
<h2 id="headline">The VGA designs side by side</h2>
${headline(r)}
<h2>Published results reproduced</h2>
${reproductionTable(r)}
<h2>All scenarios</h2>
${resultsTable(r)}
${extraSections(r)}
<h2>Charts</h2>
<div class="charts">
${chart('chart-exits-per-frame', 'Exits per frame', empty(data.exitsPerFrame.labels.length, 'scenario with a frame count'))}
${chart('chart-frames-per-second', 'Frames per second', empty(data.framesPerSecond.labels.length, 'scenario with a frame count'))}
${chart('chart-measured-vs-modeled', 'Measured vs modeled time', 'hvmsim wall time beside Σ counters x costs per profile')}
${chart('chart-scan-vs-dirty', 'Scan cost against dirty fraction', data.scanVsDirty.log ? 'points: VGA scenarios; lines: scan benchmark on synthetic VRAM' : empty(data.scanVsDirty.series.length, 'scenario with display counters'))}
</div>
<h2>Final frames</h2>
${screenshots(r)}
<h2>Cost models</h2>
${r.profiles
  .map(
    (p) =>
      `<h3>${esc(p.name)} (${p.cpuGHz} GHz)</h3><p>${esc(p.description)}</p><table><thead><tr><th>parameter</th><th>cycles</th><th>source</th></tr></thead><tbody>${Object.entries(p.parameters)
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v.value}</td><td style="text-align:left">${esc(v.source)}</td></tr>`)
        .join('')}</tbody></table>`,
  )
  .join('\n')}
<h2>Environment</h2>
<pre>${esc(formatEnvironment(r))}</pre>
<script>${scriptSafe(chartJsSource())}</script>
<script type="application/json" id="chart-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
