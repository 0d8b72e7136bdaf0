/**
 * The random-code fuzz: guests whose code is seeded random bytes, each run as `hvmsim run` runs
 * a guest (the elf loader, the domain builder, a Domain with its device model and vCPU threads,
 * the crash paragraph the CLI prints), with a wall-clock limit so an endless loop or an idle
 * HLT ends as a timeout. Threads are reused from case to case (random-code-fuzz-threads.ts).
 *
 * What it checks: no host crash (a worker that fails or has to be terminated, a case that
 * throws), and every crash report one readable paragraph: one line, no stack frame, no
 * "[object Object]", no "hypervisor error" (an exception that escaped the vCPU loop).
 */
import { EXIT_CRASH } from '../toolstack/exit-status.js';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain, type DomainOutcome } from '../toolstack/domain.js';
import { parseGuestImage } from '../toolstack/elf-loader.js';
import { crashParagraph } from '../toolstack/run-command.js';
import { FuzzThreads } from './random-code-fuzz-threads.js';
import { caseSeed, randomCodeGuest } from './random-code-guest.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Random code bytes per guest. */
  bytes: number;
  /** Wall-clock limit per case, ms: past it the domain is destroyed and the case is a timeout. */
  limitMs: number;
  /** Cases run at once. */
  jobs: number;
  /** The first case's index (to rerun one case: --first I --cases 1). */
  first: number;
  memoryMiB: number;
}

/** Whether case `index` runs with --strict-memory (the odd ones). */
export function strictCase(index: number): boolean {
  return index % 2 === 1;
}

export const DEFAULT_FUZZ_OPTIONS: FuzzOptions = { cases: 10_000, seed: 1, bytes: 1024, limitMs: 100, jobs: 2, first: 0, memoryMiB: 64 };

export interface CaseResult {
  index: number;
  /** Outcome class: `crash: triple fault`, `debug-exit`, `shutdown poweroff`, `timeout`, `host: …`. */
  kind: string;
  /** The paragraph `hvmsim run` would print on stderr (crashes only). */
  report?: string;
  /** What is wrong with the report or the run, if anything. */
  problem?: string;
  /** The exit status `hvmsim run` would return for this outcome. */
  status?: number;
  instructions: number;
}

export interface FuzzTally {
  cases: number;
  byKind: Map<string, { count: number; firstIndex: number }>;
  hostCrashes: number;
  badReports: number;
  problems: CaseResult[];
  wallMs: number;
  threadsStarted: number;
}

/** Why a crash paragraph is not one readable paragraph, or null. */
export function reportProblem(report: string): string | null {
  if (!report.endsWith('\n') || report.indexOf('\n') !== report.length - 1) return 'the report is not one line';
  if (report.includes('[object Object]')) return 'the report prints [object Object]';
  if (/\bat .+:\d+:\d+\)?/.test(report) || /\(node:internal/.test(report)) return 'the report contains a stack frame';
  if (!/^hvmsim: domain \S+ crashed on vCPU \d+: .+\. EIP 0x[0-9a-f]{8}, instruction bytes (?:[0-9a-f ]+|unreadable)\. /.test(report)) return 'the report does not have the paragraph shape';
  return null;
}

/** The class of a crash reason: its words up to the first detail (address, colon, parenthesis). */
export function crashKind(reason: string): string {
  if (reason.startsWith('triple fault')) return reason.includes('instruction fetch from') ? 'triple fault (after a fetch from non-RAM)' : 'triple fault';
  const head = reason.split(/[:(]| 0x/)[0]!.trim();
  return head || reason.slice(0, 40);
}

/** The status `hvmsim run` exits with for an outcome (run-command.ts). */
function statusOf(o: DomainOutcome): number | undefined {
  if (o.kind === 'crash') return EXIT_CRASH;
  if (o.kind === 'shutdown') return o.reason === 'crash' ? EXIT_CRASH : 0;
  if (o.kind === 'debug-exit') return o.status & 0xff;
  return undefined;
}

export async function runCase(threads: FuzzThreads, opts: FuzzOptions, index: number): Promise<CaseResult> {
  const name = `fuzz-${opts.seed}-${index}`;
  const elf = randomCodeGuest(caseSeed(opts.seed, index), opts.bytes);
  const image = parseGuestImage(elf, { ramBytes: opts.memoryMiB << 20 });
  // Odd cases run with --strict-memory, so both answers to memory with nothing behind it are fuzzed.
  const config = buildDomain(image, { domid: 1 + (index % 30000), name, memoryMiB: opts.memoryMiB, strictMemory: strictCase(index) });
  const domain = new Domain(config, threads.starter);
  let timer: NodeJS.Timeout | undefined;
  try {
    await domain.start();
    const limit = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.limitMs)));
    const outcome = await Promise.race([domain.outcome(), limit]);
    clearTimeout(timer);
    await domain.destroy();
    const instructions = domain.counters().vcpus.reduce((n, v) => n + (v.instructions ?? 0), 0);
    const result: CaseResult = { index, kind: 'timeout', instructions };
    if (domain.forcedTerminations > 0) return { ...result, kind: 'host: a thread had to be terminated', problem: `${domain.forcedTerminations} thread(s) did not stop when destroyed` };
    if (outcome === 'timeout') return result;
    result.status = statusOf(outcome);
    switch (outcome.kind) {
      case 'crash': {
        const reason = outcome.report.reason;
        result.report = crashParagraph(name, outcome.report);
        if (reason.startsWith('worker failed')) return { ...result, kind: 'host: worker failed', problem: reason };
        if (reason.startsWith('hypervisor error')) return { ...result, kind: 'host: hypervisor error', problem: reason };
        if (reason.startsWith('device model fault')) return { ...result, kind: 'host: device model fault', problem: reason };
        result.kind = `crash: ${crashKind(reason)}`;
        const bad = reportProblem(result.report);
        if (bad) result.problem = bad;
        return result;
      }
      case 'debug-exit':
        return { ...result, kind: 'debug-exit' };
      case 'shutdown':
        return { ...result, kind: `shutdown ${outcome.reason}` };
      default:
        return { ...result, kind: 'destroyed' };
    }
  } catch (e) {
    clearTimeout(timer);
    await domain.destroy().catch(() => undefined);
    return { index, kind: 'host: the case threw', problem: e instanceof Error ? `${e.name}: ${e.message}` : String(e), instructions: 0 };
  }
}

export function isHostCrash(r: CaseResult): boolean {
  return r.kind.startsWith('host:');
}

/** Run the cases, `jobs` at a time; `onCase` sees each result as it comes. */
export async function runFuzz(opts: FuzzOptions, onCase?: (r: CaseResult, done: number) => void): Promise<FuzzTally> {
  const threads = new FuzzThreads();
  const tally: FuzzTally = { cases: 0, byKind: new Map(), hostCrashes: 0, badReports: 0, problems: [], wallMs: 0, threadsStarted: 0 };
  const t0 = performance.now();
  let next = opts.first;
  const end = opts.first + opts.cases;
  const lane = async (): Promise<void> => {
    while (next < end) {
      const r = await runCase(threads, opts, next++);
      tally.cases++;
      const k = tally.byKind.get(r.kind);
      if (k) k.count++;
      else tally.byKind.set(r.kind, { count: 1, firstIndex: r.index });
      if (isHostCrash(r)) tally.hostCrashes++;
      else if (r.problem) tally.badReports++;
      if (r.problem) tally.problems.push(r);
      onCase?.(r, tally.cases);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, lane));
  } finally {
    await threads.close();
  }
  tally.wallMs = performance.now() - t0;
  tally.threadsStarted = threads.started;
  return tally;
}
