/**
 * The rates of .ci/gate-experiment: for each time threshold, how often `bench compare` against
 * the experiment's baseline fails for the unchanged build (false alarms) and for the slower build
 * (detections), and how much slower the slower build measured, per scenario.
 *   node dist/bench/gate-experiment-report.js DIR RUNS
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { compareResults } from './compare.js';
import { readResultsFile, type BenchResults } from './results-schema.js';
import { median } from './statistics.js';

const THRESHOLDS = [0.1, 0.15, 0.2, 0.25];

function load(dir: string, kind: 'same' | 'slow', runs: number): BenchResults[] {
  const out: BenchResults[] = [];
  for (let i = 1; i <= runs; i++) {
    const f = path.join(dir, `${kind}-${i}.json`);
    if (existsSync(f)) out.push(readResultsFile(f));
  }
  return out;
}

function main(): void {
  const [dir, runsText] = process.argv.slice(2);
  if (!dir || !runsText) {
    process.stderr.write('usage: gate-experiment-report DIR RUNS\n');
    process.exitCode = 2;
    return;
  }
  const runs = Number(runsText);
  const base = readResultsFile(path.join(dir, 'baseline.json'));
  const same = load(dir, 'same', runs);
  const slow = load(dir, 'slow', runs);
  const lines: string[] = [`gate experiment: ${same.length} unchanged and ${slow.length} slower runs against ${path.join(dir, 'baseline.json')}`, ''];
  lines.push('| time threshold | false alarms (unchanged build) | detected (slower build) | scenarios flagged in the slower runs |');
  lines.push('|---|---|---|---|');
  for (const t of THRESHOLDS) {
    const opts = { threshold: 0.05, timeThreshold: t };
    const failed = (r: BenchResults) => compareResults(base, r, opts).regressions;
    const alarms = same.filter((r) => failed(r).length > 0).length;
    const flagged = new Map<string, number>();
    let caught = 0;
    for (const r of slow) {
      const reg = failed(r);
      if (reg.length) caught++;
      for (const x of new Set(reg.map((x) => x.scenario))) flagged.set(x, (flagged.get(x) ?? 0) + 1);
    }
    const names = [...flagged].sort((a, b) => b[1] - a[1]).map(([n, k]) => `${n} ${k}`).join(', ');
    lines.push(`| ${t * 100}% | ${alarms} of ${same.length} | ${caught} of ${slow.length} | ${names || '-'} |`);
  }
  lines.push('', 'What the slower build cost, per scenario: median over runs of the CPU-time ratio (slower / unchanged run of the same round), and of wall time:', '');
  lines.push('| scenario | CPU time | wall time |', '|---|---|---|');
  const pairs = Math.min(same.length, slow.length);
  for (const s of base.scenarios) {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const a = same[i]!.scenarios.find((x) => x.name === s.name);
      const b = slow[i]!.scenarios.find((x) => x.name === s.name);
      const ac = a?.timings.cpu_ratio_to_reference?.median;
      const bc = b?.timings.cpu_ratio_to_reference?.median;
      if (ac && bc) cpu.push(bc / ac);
      const aw = a?.timings.ratio_to_reference?.median;
      const bw = b?.timings.ratio_to_reference?.median;
      if (aw && bw) wall.push(bw / aw);
    }
    const pct = (v: number[]) => (v.length ? `${((median(v) - 1) * 100).toFixed(1)}%` : '-');
    lines.push(`| ${s.name}${s.gateWallTime ? '' : ' (time not gated)'} | ${pct(cpu)} | ${pct(wall)} |`);
  }
  const loads = [...same, ...slow].map((r) => r.environment.loadAverage);
  if (loads.length) lines.push('', `load average at the runs' start: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)})`);
  process.stdout.write(lines.join('\n') + '\n');
}

main();
