/**
 * Runs scenarios in this process: each trial builds every domain of the scenario, starts the
 * neighbours, then the measured domain, waits for the measured one's outcome and destroys the rest.
 * Neighbours with a `readyLine` are waited for (their steady state, e.g. an idle desktop after
 * its first frame) before the measured domain starts; their counters are taken over the measured
 * domain's run. A measured domain with a `readyLine` is measured from that line to its end.
 * Before each measured trial the host reference slice is timed, so every trial carries its own
 * wall-time ratio. Counters must agree across trials of a deterministic scenario; the runner
 * records any that do not.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { RunState } from '../shared/domain-control.js';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain, type DomainOutcome } from '../toolstack/domain.js';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { describeOutcome } from '../toolstack/run-stats.js';
import { modelTime, totalExits, type CostProfile, type Counters } from './cost-model.js';
import { measureReference, type ReferenceTiming } from './host-reference.js';
import { guestImagePath, REPO_ROOT } from './repo-paths.js';
import { readInputScript } from '../device-model/input-script.js';
import type { ScenarioResult } from './results-schema.js';
import type { Scenario } from './scenario-schema.js';
import { summarize } from './statistics.js';

/** Counter names that are host timings or follow host scheduling, never deterministic. */
export function isTimingCounter(name: string): boolean {
  return /_(ns|ms)$/.test(name) || name === 'dm.wakeups';
}

/** A domain's counters as one flat record: vCPU counters summed, device-model ones as `dm.NAME`. */
export function flattenCounters(c: { vcpus: Record<string, number>[]; dm: Record<string, number> }): Counters {
  const flat: Counters = {};
  for (const v of c.vcpus) for (const [k, n] of Object.entries(v)) flat[k] = (flat[k] ?? 0) + n;
  for (const [k, n] of Object.entries(c.dm)) flat[`dm.${k}`] = n;
  return flat;
}

export interface TrialRecord {
  outcome: DomainOutcome;
  wallMs: number;
  /** CPU time of the whole process (every thread) over the measured window. */
  hostCpuMs: number;
  counters: Counters;
  referenceMs: number;
  /** The reference slice's CPU time (0 when unknown, as in old fixtures). */
  referenceCpuMs: number;
  screenshot?: string;
  /** The neighbours' counters over the measured run, summed over neighbours. */
  neighbourCounters?: Counters;
  /** The short run of a steady-state scenario (scenario.steady), taken right after this one. */
  short?: { wallMs: number; hostCpuMs: number; counters: Counters };
}

/** The scenario as its short run: the measured guest's command line and frames from `steady`. */
export function shortRun(s: Scenario): Scenario {
  const steady = s.steady!;
  const [first, ...rest] = s.domains;
  return { ...s, frames: steady.frames, steady: undefined, screenshot: false, domains: [{ ...first!, cmdline: steady.cmdline }, ...rest] };
}

export type ProgressEvent =
  | { kind: 'trial'; scenario: string; trial: number; trials: number; warmup: boolean }
  | { kind: 'trial-done'; scenario: string; trial: number; trials: number; warmup: boolean; wallMs: number }
  | { kind: 'skipped'; scenario: string; reason: string }
  | { kind: 'failed'; scenario: string; reason: string };

export interface RunnerOptions {
  trials: number;
  warmup: number;
  profiles: CostProfile[];
  /** Where VGA scenarios' final frames go (scenario.screenshot); none when absent. */
  screenshotDir?: string;
  onProgress?: (e: ProgressEvent) => void;
  /** Take the short runs of steady-state scenarios (default true; the CI gate judges whole runs only). */
  steady?: boolean;
}

class TrialFailure extends Error {}

/** Several reference slices, fastest kept (wall and CPU apart): the least disturbed measure of the machine's speed now. */
function referenceNow(): ReferenceTiming {
  const runs = [measureReference(), measureReference(), measureReference()];
  return { wallMs: Math.min(...runs.map((r) => r.wallMs)), cpuMs: Math.min(...runs.map((r) => r.cpuMs)) };
}

/** Counters of several domains added up (neighbours). */
function sumCounters(domains: Domain[]): Counters {
  const sum: Counters = {};
  for (const d of domains) for (const [k, v] of Object.entries(flattenCounters(d.counters()))) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

function subtractCounters(end: Counters, start: Counters): Counters {
  const out: Counters = {};
  for (const [k, v] of Object.entries(end)) out[k] = v - (start[k] ?? 0);
  return out;
}

/** Resolves when the domain's console has printed `line`; listen before the domain starts. */
function consoleLine(d: Domain, line: string): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const onConsole = (bytes: Uint8Array): void => {
      // Keep only a tail as long as the line: enough to see it arrive split over two messages.
      text = (text + Buffer.from(bytes).toString('latin1')).slice(-(line.length + 4096));
      if (!text.includes(line)) return;
      d.off('console', onConsole);
      resolve();
    };
    d.on('console', onConsole);
  });
}

/** Refresh periods a neighbour gets after its ready line, for the display to draw what it drew. */
const SETTLE_REFRESHES = 3;

/** One run of every domain of the scenario; the first domain's figures are returned. */
export async function runTrial(scenario: Scenario, screenshot?: string): Promise<TrialRecord> {
  const reference = referenceNow();
  const domains = scenario.domains.map((spec, i) => {
    const image = readGuestImage(guestImagePath(spec.guest), { ramBytes: spec.memoryMiB * 2 ** 20 });
    return new Domain(
      buildDomain(image, {
        domid: i + 1,
        name: `${scenario.name}-${i}`.slice(0, 64),
        memoryMiB: spec.memoryMiB,
        kernelPath: guestImagePath(spec.guest),
        vcpus: spec.vcpus,
        cmdline: spec.cmdline,
        spin: spec.spin,
        vga: spec.vga,
        scan: spec.scan,
        refreshHz: spec.refreshHz,
        screenshot: i === 0 ? screenshot : undefined,
        // The scenario's input script drives the measured domain.
        input: i === 0 && scenario.inputs ? readInputScript(path.resolve(REPO_ROOT, scenario.inputs)) : undefined,
      }),
    );
  });
  const measured = domains[0]!;
  const neighbours = domains.slice(1);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), scenario.timeoutMs)));
  try {
    // Neighbours first, so the measured domain runs beside them in their steady state.
    const ready: Promise<void>[] = [];
    let settleMs = 0;
    for (const [i, d] of neighbours.entries()) {
      const spec = scenario.domains[i + 1]!;
      if (spec.readyLine !== undefined) {
        ready.push(consoleLine(d, spec.readyLine));
        settleMs = Math.max(settleMs, (SETTLE_REFRESHES * 1000) / spec.refreshHz);
      }
      await d.start();
    }
    if (ready.length) {
      if ((await Promise.race([Promise.all(ready), timedOut])) === 'timeout') {
        throw new TrialFailure(`timed out after ${scenario.timeoutMs} ms waiting for the neighbours' ready lines`);
      }
      await new Promise((r) => setTimeout(r, settleMs));
    }
    // The measured window: from the measured domain's start, or from its ready line.
    const window = { wallMs: 0, counters: {} as Counters, neighbours: sumCounters(neighbours), cpu: undefined as NodeJS.CpuUsage | undefined };
    const measuredReady = scenario.domains[0]!.readyLine;
    let windowOpened = measuredReady === undefined;
    if (measuredReady !== undefined) {
      void consoleLine(measured, measuredReady).then(async () => {
        // The window opens when the guest next halts: a vCPU publishes its counters when it
        // leaves its run slice, so a snapshot taken before that would miss its last work.
        while (measured.control.state(0) !== RunState.HALTED && measured.wallMs() < scenario.timeoutMs) await new Promise((r) => setTimeout(r, 1));
        window.wallMs = measured.wallMs();
        window.counters = flattenCounters(measured.counters());
        window.neighbours = sumCounters(neighbours);
        window.cpu = process.cpuUsage();
        windowOpened = true;
      });
    }
    const cpu0 = process.cpuUsage();
    await measured.start();
    const outcome = await Promise.race([measured.outcome(), timedOut]);
    const wallMs = measured.wallMs() - window.wallMs;
    const neighbourCounters = neighbours.length ? subtractCounters(sumCounters(neighbours), window.neighbours) : undefined;
    const cpu = process.cpuUsage(window.cpu ?? cpu0);
    if (outcome === 'timeout') throw new TrialFailure(`timed out after ${scenario.timeoutMs} ms`);
    if (outcome.kind !== 'debug-exit' || outcome.status !== scenario.expectStatus) {
      throw new TrialFailure(`ended with ${describeOutcome(outcome)}, expected debug-exit status ${scenario.expectStatus}`);
    }
    if (!windowOpened) throw new TrialFailure(`the measured domain ended without printing its ready line ${JSON.stringify(measuredReady)}`);
    await Promise.all(domains.map((d) => d.destroy()));
    return {
      outcome,
      wallMs,
      hostCpuMs: (cpu.user + cpu.system) / 1000,
      counters: subtractCounters(flattenCounters(measured.counters()), window.counters),
      referenceMs: reference.wallMs,
      referenceCpuMs: reference.cpuMs,
      screenshot: screenshot && existsSync(screenshot) ? screenshot : undefined,
      ...(neighbourCounters ? { neighbourCounters } : {}),
    };
  } finally {
    clearTimeout(timer);
    await Promise.all(domains.map((d) => d.destroy()));
  }
}

/** Device-model time (ms) in a set of counters: request handling plus display refreshes. */
export function dmMs(c: Counters): number {
  return (c['dm.busy_ns'] ?? 0) / 1e6 + (c['dm.display_ms'] ?? 0);
}

/** The figures per trial that are timings, from the trial's clock and its timing counters. */
function trialTimings(t: TrialRecord, frames: number | undefined): Record<string, number> {
  const c = t.counters;
  const out: Record<string, number> = {
    wall_ms: t.wallMs,
    host_cpu_ms: t.hostCpuMs,
    ratio_to_reference: t.wallMs / t.referenceMs,
    reference_ms: t.referenceMs,
    // The gate's figure: CPU time, which a busy neighbour delays but does not add to (README).
    ...(t.referenceCpuMs > 0 ? { cpu_ratio_to_reference: t.hostCpuMs / t.referenceCpuMs, reference_cpu_ms: t.referenceCpuMs } : {}),
    mips: t.wallMs > 0 ? (c.instructions ?? 0) / t.wallMs / 1000 : 0,
  };
  if ((c.ioreq_sync ?? 0) > 0 && c.ioreq_wait_ns !== undefined) out.ioreq_round_trip_us = c.ioreq_wait_ns / c.ioreq_sync! / 1000;
  if (frames !== undefined && t.wallMs > 0) out.frames_per_s = frames / (t.wallMs / 1000);
  if (c['dm.busy_ns'] !== undefined) out.dm_busy_ms = c['dm.busy_ns'] / 1e6;
  if (c['dm.display_ms'] !== undefined) out.display_ms = c['dm.display_ms'];
  // The device model's whole time: serving requests (busy_ns) and refreshing the display, which
  // its loop runs outside the request handling that busy_ns times.
  if (c['dm.busy_ns'] !== undefined || c['dm.display_ms'] !== undefined) out.dm_ms = dmMs(c);
  if (frames !== undefined && frames > 0 && out.dm_ms !== undefined) out.dm_ms_per_frame = out.dm_ms / frames;
  if (t.neighbourCounters) {
    out.neighbour_dm_ms = dmMs(t.neighbourCounters);
    if (t.wallMs > 0) out.neighbour_dm_share = out.neighbour_dm_ms / t.wallMs;
  }
  if (c['dm.display_ms'] !== undefined && (c['dm.refreshes'] ?? 0) > 0) out.display_ms_per_refresh = c['dm.display_ms'] / c['dm.refreshes']!;
  if (c.halt_ns !== undefined) out.halt_ms = c.halt_ns / 1e6;
  if (c['dm.wakeups'] !== undefined) out.dm_wakeups = c['dm.wakeups'];
  return out;
}

function derivedFigures(c: Counters, frames: number | undefined): Record<string, number> {
  const exits = totalExits(c);
  const d: Record<string, number> = { exits_total: exits };
  if (frames !== undefined && frames > 0) d.exits_per_frame = exits / frames;
  if ((c['dm.pages_scanned'] ?? 0) > 0) d.dirty_fraction = (c['dm.dirty_pages'] ?? 0) / c['dm.pages_scanned']!;
  if ((c['dm.refreshes'] ?? 0) > 0 && c['dm.bytes_compared'] !== undefined) d.bytes_compared_per_refresh = c['dm.bytes_compared'] / c['dm.refreshes']!;
  return d;
}

/** A result for a scenario that did not produce trials. */
export function emptyResult(s: Scenario, status: ScenarioResult['status'], error: string): ScenarioResult {
  return {
    name: s.name,
    description: s.description,
    sets: [...s.sets],
    domains: s.domains,
    deterministic: s.deterministic,
    varyingCounters: s.varyingCounters,
    gateWallTime: s.gateWallTime,
    frames: s.frames,
    reproduces: s.reproduces,
    status,
    error,
    outcome: status,
    counters: {},
    varied: {},
    determinismViolations: [],
    derived: {},
    modeled: {},
    timings: {},
  };
}

/** Fold measured trials into a result: counters checked for agreement, timings summarised. */
export function summarizeTrials(s: Scenario, trials: TrialRecord[], profiles: CostProfile[]): ScenarioResult {
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.counters)))].filter((n) => !isTimingCounter(n)).sort();
  const counters: Counters = {};
  const varied: ScenarioResult['varied'] = {};
  for (const n of names) {
    const values = trials.map((t) => t.counters[n] ?? 0);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    // Where they varied: the lower median, a value some trial really counted.
    counters[n] = lo === hi ? lo : [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]!;
    if (lo !== hi) varied[n] = { min: lo, max: hi };
  }
  const determinismViolations = s.deterministic ? Object.keys(varied).filter((n) => !s.varyingCounters.includes(n)) : [];
  // Display frames when the scenario does not say how many frames the guest draws.
  const frames = s.frames ?? (counters['dm.frames'] ? counters['dm.frames'] : undefined);
  const perTrial = trials.map((t) => trialTimings(t, frames));
  const timingNames = [...new Set(perTrial.flatMap((t) => Object.keys(t)))];
  const timings: ScenarioResult['timings'] = {};
  for (const n of timingNames) timings[n] = summarize(perTrial.map((t) => t[n]).filter((v): v is number => v !== undefined));
  const modeled: ScenarioResult['modeled'] = {};
  for (const p of profiles) modeled[p.name] = modelTime(counters, p);
  const shot = trials.map((t) => t.screenshot).find((x) => x !== undefined);
  const steady = steadyFigures(s, trials, profiles);
  const neighbourTrials = trials.map((t) => t.neighbourCounters).filter((c): c is Counters => c !== undefined);
  const neighbours = neighbourTrials.length ? { domains: s.domains.length - 1, counters: lowerMedians(neighbourTrials) } : undefined;
  return {
    ...emptyResult(s, 'ok', ''),
    error: undefined,
    outcome: describeOutcome(trials[0]!.outcome),
    counters,
    varied,
    determinismViolations,
    derived: derivedFigures(counters, frames),
    modeled,
    timings,
    ...(shot ? { screenshot: shot } : {}),
    ...(steady ? { steady } : {}),
    ...(neighbours ? { neighbours } : {}),
  };
}

/**
 * Per-frame figures of the steady state: (full run − short run) / (frames − short frames), per
 * trial, so that boot, set-up and the final read-back, which both runs share, cancel out.
 */
function steadyFigures(s: Scenario, trials: TrialRecord[], profiles: CostProfile[]): ScenarioResult['steady'] {
  if (!s.steady || s.frames === undefined || !trials.length || trials.some((t) => t.short === undefined)) return undefined;
  const df = s.frames - s.steady.frames;
  const perFrame = trials.map((t) => {
    const c: Counters = {};
    for (const [k, v] of Object.entries(subtractCounters(t.counters, t.short!.counters))) c[k] = v / df;
    return c;
  });
  const counters: Counters = {};
  for (const n of new Set(perFrame.flatMap((c) => Object.keys(c)))) {
    if (isTimingCounter(n)) continue;
    const values = perFrame.map((c) => c[n] ?? 0).sort((a, b) => a - b);
    counters[n] = values[(values.length - 1) >> 1]!;
  }
  const per = trials.map((t, i) => {
    // The vCPUs' own running time where it is counted: the domain's wall time less thread
    // start-up and teardown, whose variance would otherwise swamp a small per-frame difference.
    const runMs = (c: Counters) => (c.run_ns !== undefined ? c.run_ns / 1e6 : undefined);
    const long = runMs(t.counters) ?? t.wallMs;
    const short = runMs(t.short!.counters) ?? t.short!.wallMs;
    const wall = (long - short) / df;
    return {
      wall_ms_per_frame: wall,
      cpu_ms_per_frame: (t.hostCpuMs - t.short!.hostCpuMs) / df,
      dm_ms_per_frame: dmMs(perFrame[i]!),
      frames_per_s: wall > 0 ? 1000 / wall : 0,
    };
  });
  const timings: Record<string, ReturnType<typeof summarize>> = {};
  for (const k of Object.keys(per[0]!) as (keyof (typeof per)[0])[]) timings[k] = summarize(per.map((p) => p[k]));
  const modeledMs: Record<string, number> = {};
  for (const p of profiles) modeledMs[p.name] = modelTime(counters, p).totalMs;
  return { frames: df, counters, modeledMs, timings };
}

/** Per counter, the lower median over trials (a value some trial really counted). */
function lowerMedians(trials: Counters[]): Counters {
  const out: Counters = {};
  for (const n of new Set(trials.flatMap((t) => Object.keys(t)))) {
    const values = trials.map((t) => t[n] ?? 0).sort((a, b) => a - b);
    out[n] = values[(values.length - 1) >> 1]!;
  }
  return out;
}

/** Why a scenario cannot run here (a guest image not built yet), or undefined. */
export function missingGuest(s: Scenario): string | undefined {
  const missing = [...new Set(s.domains.map((d) => d.guest))].filter((g) => !existsSync(guestImagePath(g)));
  return missing.length ? `guest image${missing.length > 1 ? 's' : ''} ${missing.map((g) => `guests/bin/${g}.elf`).join(', ')} not built yet` : undefined;
}

/** One scenario's trials so far; `trial(i)` runs its i-th (warm-ups first). */
class ScenarioTrials {
  readonly records: TrialRecord[] = [];
  failure: string | undefined;

  constructor(
    readonly s: Scenario,
    private readonly opts: RunnerOptions,
  ) {}

  async trial(i: number): Promise<void> {
    const { s, opts } = this;
    const total = opts.warmup + opts.trials;
    const warmup = i < opts.warmup;
    const trial = warmup ? i + 1 : i - opts.warmup + 1;
    const count = warmup ? opts.warmup : opts.trials;
    opts.onProgress?.({ kind: 'trial', scenario: s.name, trial, trials: count, warmup });
    // Only the last trial asks for a screenshot: encoding a PNG would distort the others' timings.
    const shot = !warmup && i === total - 1 && s.screenshot && opts.screenshotDir ? screenshotPath(opts.screenshotDir, s.name) : undefined;
    try {
      const r = await runTrial(s, shot);
      if (s.steady && !warmup && opts.steady !== false) {
        const short = await runTrial(shortRun(s));
        r.short = { wallMs: short.wallMs, hostCpuMs: short.hostCpuMs, counters: short.counters };
      }
      opts.onProgress?.({ kind: 'trial-done', scenario: s.name, trial, trials: count, warmup, wallMs: r.wallMs });
      if (!warmup) this.records.push(r);
    } catch (e) {
      this.failure = e instanceof TrialFailure ? e.message : `error: ${(e as Error).message}`;
      opts.onProgress?.({ kind: 'failed', scenario: s.name, reason: this.failure });
    }
  }

  result(): ScenarioResult {
    return this.failure !== undefined ? emptyResult(this.s, 'failed', this.failure) : summarizeTrials(this.s, this.records, this.opts.profiles);
  }
}

function skipped(s: Scenario, opts: RunnerOptions): ScenarioResult | undefined {
  const missing = missingGuest(s);
  if (!missing) return undefined;
  opts.onProgress?.({ kind: 'skipped', scenario: s.name, reason: missing });
  return emptyResult(s, 'skipped', missing);
}

/** Warm-up trials, then measured trials; a failure ends the scenario with a failed result. */
export async function runScenario(s: Scenario, opts: RunnerOptions): Promise<ScenarioResult> {
  const skip = skipped(s, opts);
  if (skip) return skip;
  const t = new ScenarioTrials(s, opts);
  for (let i = 0; i < opts.warmup + opts.trials && t.failure === undefined; i++) await t.trial(i);
  return t.result();
}

/**
 * Several scenarios, in order. `interleave`: in rounds instead, one trial of every scenario per
 * round, so that a slow spell of a shared machine falls on every scenario alike; for figures
 * that compare scenarios with each other (the history set's slowdowns and losses).
 */
export async function runScenarios(list: Scenario[], opts: RunnerOptions & { interleave?: boolean }): Promise<ScenarioResult[]> {
  if (!opts.interleave) {
    const out: ScenarioResult[] = [];
    for (const s of list) out.push(await runScenario(s, opts));
    return out;
  }
  const skips = list.map((s) => skipped(s, opts));
  const runs = list.map((s, k) => (skips[k] ? undefined : new ScenarioTrials(s, opts)));
  for (let i = 0; i < opts.warmup + opts.trials; i++) {
    for (const t of runs) if (t && t.failure === undefined) await t.trial(i);
  }
  return list.map((_, k) => skips[k] ?? runs[k]!.result());
}

function screenshotPath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
