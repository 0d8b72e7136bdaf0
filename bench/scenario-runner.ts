/**
 * Runs scenarios in this process: each trial builds every domain of the scenario, starts the
 * neighbours, then the measured domain, waits for the measured one's outcome and destroys the rest.
 * Before each measured trial the host reference slice is timed, so every trial carries its own
 * wall-time ratio. Counters must agree across trials of a deterministic scenario; the runner
 * records any that do not.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain, type DomainOutcome } from '../toolstack/domain.js';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { describeOutcome } from '../toolstack/run-stats.js';
import { modelTime, totalExits, type CostProfile, type Counters } from './cost-model.js';
import { measureReference } from './host-reference.js';
import { guestImagePath } from './repo-paths.js';
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
  hostCpuMs: number;
  counters: Counters;
  referenceMs: number;
  screenshot?: string;
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
}

class TrialFailure extends Error {}

/** Several reference slices, fastest kept: the least disturbed measure of the machine's speed now. */
function referenceNow(): number {
  return Math.min(measureReference(), measureReference(), measureReference());
}

/** One run of every domain of the scenario; the first domain's figures are returned. */
export async function runTrial(scenario: Scenario, screenshot?: string): Promise<TrialRecord> {
  const referenceMs = referenceNow();
  const domains = scenario.domains.map((spec, i) => {
    const image = readGuestImage(guestImagePath(spec.guest), { ramBytes: spec.memoryMiB * 2 ** 20 });
    return new Domain(
      buildDomain(image, {
        domid: i + 1,
        name: `${scenario.name}-${i}`.slice(0, 64),
        memoryMiB: spec.memoryMiB,
        vcpus: spec.vcpus,
        cmdline: spec.cmdline,
        spin: spec.spin,
        vga: spec.vga,
        scan: spec.scan,
        refreshHz: spec.refreshHz,
        screenshot: i === 0 ? screenshot : undefined,
      }),
    );
  });
  const measured = domains[0]!;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Neighbours first, so the measured domain runs beside them in their steady state.
    for (const d of domains.slice(1)) await d.start();
    const cpu0 = process.cpuUsage();
    await measured.start();
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), scenario.timeoutMs)));
    const outcome = await Promise.race([measured.outcome(), timedOut]);
    const wallMs = measured.wallMs();
    const cpu = process.cpuUsage(cpu0);
    if (outcome === 'timeout') throw new TrialFailure(`timed out after ${scenario.timeoutMs} ms`);
    if (outcome.kind !== 'debug-exit' || outcome.status !== scenario.expectStatus) {
      throw new TrialFailure(`ended with ${describeOutcome(outcome)}, expected debug-exit status ${scenario.expectStatus}`);
    }
    await Promise.all(domains.map((d) => d.destroy()));
    return {
      outcome,
      wallMs,
      hostCpuMs: (cpu.user + cpu.system) / 1000,
      counters: flattenCounters(measured.counters()),
      referenceMs,
      screenshot: screenshot && existsSync(screenshot) ? screenshot : undefined,
    };
  } finally {
    clearTimeout(timer);
    await Promise.all(domains.map((d) => d.destroy()));
  }
}

/** The figures per trial that are timings, from the trial's clock and its timing counters. */
function trialTimings(t: TrialRecord, frames: number | undefined): Record<string, number> {
  const c = t.counters;
  const out: Record<string, number> = {
    wall_ms: t.wallMs,
    host_cpu_ms: t.hostCpuMs,
    ratio_to_reference: t.wallMs / t.referenceMs,
    reference_ms: t.referenceMs,
    mips: t.wallMs > 0 ? (c.instructions ?? 0) / t.wallMs / 1000 : 0,
  };
  if ((c.ioreq_sync ?? 0) > 0 && c.ioreq_wait_ns !== undefined) out.ioreq_round_trip_us = c.ioreq_wait_ns / c.ioreq_sync! / 1000;
  if (frames !== undefined && t.wallMs > 0) out.frames_per_s = frames / (t.wallMs / 1000);
  if (c['dm.busy_ns'] !== undefined) out.dm_busy_ms = c['dm.busy_ns'] / 1e6;
  if (c['dm.display_ms'] !== undefined) out.display_ms = c['dm.display_ms'];
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
  };
}

/** Why a scenario cannot run here (a guest image not built yet), or undefined. */
export function missingGuest(s: Scenario): string | undefined {
  const missing = [...new Set(s.domains.map((d) => d.guest))].filter((g) => !existsSync(guestImagePath(g)));
  return missing.length ? `guest image${missing.length > 1 ? 's' : ''} ${missing.map((g) => `guests/bin/${g}.elf`).join(', ')} not built yet` : undefined;
}

/** Warm-up trials, then measured trials; a failure ends the scenario with a failed result. */
export async function runScenario(s: Scenario, opts: RunnerOptions): Promise<ScenarioResult> {
  const missing = missingGuest(s);
  if (missing) {
    opts.onProgress?.({ kind: 'skipped', scenario: s.name, reason: missing });
    return emptyResult(s, 'skipped', missing);
  }
  const records: TrialRecord[] = [];
  const total = opts.warmup + opts.trials;
  try {
    for (let i = 0; i < total; i++) {
      const warmup = i < opts.warmup;
      const trial = warmup ? i + 1 : i - opts.warmup + 1;
      const count = warmup ? opts.warmup : opts.trials;
      opts.onProgress?.({ kind: 'trial', scenario: s.name, trial, trials: count, warmup });
      // Only the last trial asks for a screenshot: encoding a PNG would distort the others' timings.
      const shot = !warmup && i === total - 1 && s.screenshot && opts.screenshotDir ? screenshotPath(opts.screenshotDir, s.name) : undefined;
      const r = await runTrial(s, shot);
      opts.onProgress?.({ kind: 'trial-done', scenario: s.name, trial, trials: count, warmup, wallMs: r.wallMs });
      if (!warmup) records.push(r);
    }
  } catch (e) {
    const reason = e instanceof TrialFailure ? e.message : `error: ${(e as Error).message}`;
    opts.onProgress?.({ kind: 'failed', scenario: s.name, reason });
    return emptyResult(s, 'failed', reason);
  }
  return summarizeTrials(s, records, opts.profiles);
}

function screenshotPath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
