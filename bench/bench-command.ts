/**
 * `hvmsim bench [SCENARIO|SET…]`: run benchmark scenarios over several trials, print a Markdown
 * table, write the results JSON and the HTML report; `--ci` runs the quick set and gates on
 * bench/baseline.json; `hvmsim bench compare BASE NEW` compares two result files. Bad scenario
 * data, an unknown scenario or a bad option: one line on stderr, status 2, nothing run or written.
 * A regression or a failed scenario: status 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compareResults, formatCompareReport, parseThreshold, type CompareOptions } from './compare.js';
import { CostModelError, loadCostProfiles, type CostProfile } from './cost-model.js';
import { captureEnvironment } from './environment.js';
import { REFERENCE_DESCRIPTION } from './host-reference.js';
import { createProgressDisplay } from './progress-display.js';
import { BASELINE_FILE, COST_MODELS_DIR, REPO_ROOT, SCENARIOS_DIR } from './repo-paths.js';
import { renderHtmlReport } from './report-html.js';
import { formatMarkdownReport } from './report-markdown.js';
import { RESULTS_SCHEMA, readResultsFile, ResultsFileError, type BenchResults, type ScenarioResult } from './results-schema.js';
import { missingGuest, runScenarios } from './scenario-runner.js';
import { loadScenarios, ScenarioError, selectScenarios, type Scenario } from './scenario-schema.js';
import { runScanBench } from './scan-bench.js';
import { summarize } from './statistics.js';
import { EXIT_OK, EXIT_USAGE } from '../toolstack/exit-status.js';

/** A regression, or a scenario that failed to run. */
export const EXIT_BENCH_FAILED = 1;

export const DEFAULT_REPORT_DIR = 'hvmsim-report';

interface BenchOptions {
  list?: boolean;
  trials: number;
  warmup: number;
  json: string;
  md?: string;
  html: string | false;
  ci?: boolean;
  updateBaseline?: boolean;
  baseline: string;
  threshold: number;
  timeThreshold: number;
  scenarios: string;
  /** The scan-strategy benchmark: true / false as asked, undefined = with the vga set. */
  scan?: boolean;
  interleave?: boolean;
}

function integerArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

function thresholdArg(name: string) {
  return (value: string): number => {
    const t = parseThreshold(value);
    if (t === undefined) throw new InvalidArgumentError(`${name} must be a percentage such as 5%`);
    return t;
  };
}

class UsageError extends Error {}

function writeFileMakingDir(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

function listScenarios(all: Scenario[]): string {
  const width = Math.max(...all.map((s) => s.name.length));
  const setWidth = Math.max(...all.map((s) => s.sets.join(',').length));
  return (
    all
      .map((s) => {
        const missing = missingGuest(s) ? ' (guest not built yet)' : '';
        return `${s.name.padEnd(width)}  ${s.sets.join(',').padEnd(setWidth)}  ${s.description}${missing}`;
      })
      .join('\n') + '\n'
  );
}

/** The scenarios a selection needs: the chosen ones, plus what their reproductions compare against. */
function withDependencies(chosen: Scenario[], all: Scenario[]): Scenario[] {
  const out = [...chosen];
  for (const s of chosen) {
    const rel = s.reproduces?.relativeTo;
    if (rel && !out.some((x) => x.name === rel)) out.unshift(all.find((x) => x.name === rel)!);
  }
  return out;
}

function checkRunnable(chosen: Scenario[], words: string[], profiles: CostProfile[]): void {
  for (const s of chosen) {
    const missing = missingGuest(s);
    if (missing && words.includes(s.name)) throw new UsageError(`scenario ${s.name}: ${missing}`);
    const p = s.reproduces?.profile;
    if (p && !profiles.some((x) => x.name === p)) throw new UsageError(`scenario ${s.name}: reproduces.profile: no cost model named "${p}" in bench/cost-models`);
  }
}

async function runBench(words: string[], o: BenchOptions, out: NodeJS.WriteStream, err: NodeJS.WriteStream): Promise<number> {
  const all = loadScenarios(o.scenarios);
  const profiles = loadCostProfiles(COST_MODELS_DIR);
  if (o.list) {
    out.write(listScenarios(all));
    return EXIT_OK;
  }
  if (o.updateBaseline && !o.ci) throw new UsageError('--update-baseline only goes with --ci');
  if (o.ci && words.length) throw new UsageError('--ci runs the ci set: give no scenarios with it');
  const selection = o.ci ? ['ci'] : words;
  const chosen = withDependencies(selectScenarios(all, selection), all);
  checkRunnable(chosen, words, profiles);
  if (chosen.length === 0) throw new UsageError(`no scenarios in ${selection.join(', ')}`);

  const environment = captureEnvironment();
  const steps = chosen.length * (o.trials + o.warmup);
  // The bar only on a terminal; it goes to stderr so stdout keeps just the table.
  const tty = process.stdout.isTTY === true && err.isTTY === true;
  const progress = createProgressDisplay(err, tty, steps, () => o.trials + o.warmup);
  const reportDir = path.dirname(path.resolve(o.html || o.json));
  let results: ScenarioResult[];
  try {
    results = await runScenarios(chosen, {
      trials: o.trials,
      warmup: o.warmup,
      profiles,
      screenshotDir: path.join(reportDir, 'screenshots'),
      onProgress: (e) => progress.onProgress(e),
      interleave: o.interleave === true,
      steady: !o.ci,
    });
  } finally {
    progress.stop();
  }
  // The scan strategies on synthetic VRAM go with the VGA comparison (issue 4), after the
  // scenarios so their threads do not share the cores with a domain.
  const scan = (o.scan ?? selection.includes('vga')) ? await runScanBench({ onSurface: (name) => err.write(`scan benchmark: ${name}\n`) }) : undefined;
  const referenceTrials = results.flatMap((r) => r.timings.reference_ms?.trials ?? []);
  const bench: BenchResults = {
    schema: RESULTS_SCHEMA,
    environment,
    trials: o.trials,
    warmup: o.warmup,
    reference: { description: REFERENCE_DESCRIPTION, ms: summarize(referenceTrials) },
    profiles,
    scenarios: results,
    ...(scan ? { scan } : {}),
  };

  const markdown = formatMarkdownReport(bench);
  out.write('\n' + markdown);
  const json = JSON.stringify(bench, null, 2) + '\n';
  writeFileMakingDir(o.json, json);
  out.write(`\nresults: ${path.relative(process.cwd(), path.resolve(o.json)) || o.json}\n`);
  if (o.md) {
    writeFileMakingDir(o.md, markdown);
    out.write(`markdown: ${o.md}\n`);
  }
  if (o.html) {
    writeFileMakingDir(o.html, renderHtmlReport(bench));
    out.write(`report: ${path.resolve(o.html)}\n`);
  }
  let status = results.some((r) => r.status === 'failed') ? EXIT_BENCH_FAILED : EXIT_OK;
  if (o.ci && o.updateBaseline) {
    writeFileMakingDir(o.baseline, json);
    out.write(`baseline written: ${path.relative(REPO_ROOT, path.resolve(o.baseline))}\n`);
  } else if (o.ci) {
    const base = readResultsFile(o.baseline);
    const opts: CompareOptions = { threshold: o.threshold, timeThreshold: o.timeThreshold };
    const report = compareResults(base, bench, opts);
    out.write('\n' + formatCompareReport(report, opts, path.relative(process.cwd(), o.baseline) || o.baseline, 'this run'));
    if (report.regressions.length) status = EXIT_BENCH_FAILED;
  }
  return status;
}

function runCompare(baseFile: string, newFile: string, opts: CompareOptions, out: NodeJS.WriteStream): number {
  const base = readResultsFile(baseFile);
  const next = readResultsFile(newFile);
  const report = compareResults(base, next, opts);
  out.write(formatCompareReport(report, opts, baseFile, newFile));
  return report.regressions.length ? EXIT_BENCH_FAILED : EXIT_OK;
}

/** Errors the user can fix: one line, status 2. */
function usageFailure(e: unknown): string | undefined {
  if (e instanceof UsageError || e instanceof ScenarioError || e instanceof CostModelError || e instanceof ResultsFileError) return e.message;
  return undefined;
}

export function benchCommand(): Command {
  const bench = new Command('bench')
    .description('run benchmark scenarios (default: the default set), print a table, write results JSON and an HTML report')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .argument('[scenario...]', 'scenario or set names (hvmsim bench --list)')
    .option('--list', 'list the scenarios, one line each')
    .option('--trials <n>', 'measured trials per scenario', integerArg('--trials', 1, 100), 3)
    .option('--warmup <n>', 'warm-up trials per scenario (not measured)', integerArg('--warmup', 0, 20), 1)
    .option('--json <file>', 'results JSON', path.join(DEFAULT_REPORT_DIR, 'results.json'))
    .option('--md <file>', 'also write the Markdown table here')
    .option('--html <file>', 'self-contained HTML report', path.join(DEFAULT_REPORT_DIR, 'index.html'))
    .option('--no-html', 'write no HTML report')
    .option('--ci', 'run the quick ci set and compare with the baseline (status 1 on a regression)')
    .option('--update-baseline', 'with --ci: write the results as the new baseline instead of comparing')
    .option('--baseline <file>', 'baseline results for --ci', BASELINE_FILE)
    .option('--threshold <pct>', 'counters and modeled time: a rise beyond this fails', thresholdArg('--threshold'), 0.05)
    .option('--time-threshold <pct>', 'wall time (ratio to the host reference): slower beyond this, with confidence, fails', thresholdArg('--time-threshold'), 0.1)
    .option('--scenarios <path>', 'scenario file or folder', SCENARIOS_DIR)
    .option('--scan', 'also run the dirty-scan strategy benchmark (synthetic VRAM; on by default with the vga set)')
    .option('--no-scan', 'do not run the dirty-scan strategy benchmark, even with the vga set')
    .option('--interleave', 'run the trials in rounds, one of each scenario per round (for comparisons between scenarios on a busy machine)')
    .action(async (words: string[], o: BenchOptions) => {
      try {
        process.exitCode = await runBench(words, o, process.stdout, process.stderr);
      } catch (e) {
        const msg = usageFailure(e);
        if (msg === undefined) throw e;
        process.stderr.write(`hvmsim bench: ${msg}\n`);
        process.exitCode = EXIT_USAGE;
      }
    });

  bench
    .command('compare')
    .description('compare two results files; status 1 on a regression')
    .argument('<base.json>', 'results to compare against (e.g. bench/baseline.json)')
    .argument('<new.json>', 'results of the change')
    .option('--threshold <pct>', 'counters and modeled time: a rise beyond this fails', thresholdArg('--threshold'), 0.05)
    .option('--time-threshold <pct>', 'wall time (ratio to the host reference): slower beyond this, with confidence, fails', thresholdArg('--time-threshold'), 0.1)
    .action((baseFile: string, newFile: string, o: { threshold: number; timeThreshold: number }) => {
      try {
        process.exitCode = runCompare(baseFile, newFile, { threshold: o.threshold, timeThreshold: o.timeThreshold }, process.stdout);
      } catch (e) {
        const msg = usageFailure(e);
        if (msg === undefined) throw e;
        process.stderr.write(`hvmsim bench compare: ${msg}\n`);
        process.exitCode = EXIT_USAGE;
      }
    });
  return bench;
}
