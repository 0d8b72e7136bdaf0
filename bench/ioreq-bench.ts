/**
 * `npm run bench:ioreq`: ioreq round trips per second between a vCPU worker and the
 * device-model worker, for each wait strategy, beside the floor measured in the same run (two
 * threads ping-ponging one SharedArrayBuffer word with the same strategy); and the host CPU an
 * idle guest costs (100 Hz timer, HLT between ticks).
 *
 * Usage: node dist/bench/ioreq-bench.js [--iterations N] [--trials N] [--idle-ticks N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { buildDomain } from '../toolstack/domain-builder.js';
import { Domain } from '../toolstack/domain.js';
import { readGuestImage } from '../toolstack/elf-loader.js';
import { FLOOR_STRATEGIES, measureIoreqFloor, type FloorResult } from './ioreq-floor.js';

const GUESTS = new URL('../../guests/bin/', import.meta.url);

export interface GuestRun {
  wallMs: number;
  cpuMs: number;
  ioreqs: number;
  status: string;
}

/** Run a guest from guests/bin to its end in this process; returns wall/CPU time and counters. */
export async function runGuestOnce(guest: string, cmdline: string, spin: number): Promise<GuestRun> {
  const image = readGuestImage(fileURLToPath(new URL(`${guest}.elf`, GUESTS)), { ramBytes: 32 << 20 });
  const domain = new Domain(buildDomain(image, { domid: 1, name: guest, memoryMiB: 32, cmdline, spin }));
  const cpu0 = process.cpuUsage();
  await domain.start();
  const outcome = await domain.outcome();
  const wallMs = domain.wallMs();
  const cpu = process.cpuUsage(cpu0);
  await domain.destroy();
  const { vcpus } = domain.counters();
  if (outcome.kind !== 'debug-exit' || outcome.status !== 1) throw new Error(`${guest} did not finish cleanly: ${JSON.stringify(outcome)}`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ioreqs: vcpus[0]!.ioreq_sync!, status: outcome.kind };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export interface IoreqBenchRow {
  strategy: string;
  spins: number;
  roundTripsPerSec: number;
  nsPerRoundTrip: number;
  floorNsPerRoundTrip: number;
  ratioToFloor: number;
  cores: number;
}

export async function measureIoreq(iterations: number, trials: number): Promise<IoreqBenchRow[]> {
  const floors = await measureIoreqFloor({ batches: 5, batchMs: 300 });
  const rows: IoreqBenchRow[] = [];
  for (const strategy of FLOOR_STRATEGIES) {
    const floor = floors.find((f: FloorResult) => f.spins === strategy.spins)!;
    const rates: number[] = [];
    const cores: number[] = [];
    await runGuestOnce('ioreq-loop', `iterations=${Math.min(iterations, 2000)}`, strategy.spins); // warm-up
    for (let t = 0; t < trials; t++) {
      // Two lengths, and the difference: domain start-up, boot and teardown cancel out, so the
      // rate is the steady state of the round trips alone.
      const short = await runGuestOnce('ioreq-loop', `iterations=${Math.ceil(iterations / 5)}`, strategy.spins);
      const long = await runGuestOnce('ioreq-loop', `iterations=${iterations}`, strategy.spins);
      const dMs = long.wallMs - short.wallMs;
      rates.push((long.ioreqs - short.ioreqs) / (dMs / 1000));
      cores.push((long.cpuMs - short.cpuMs) / dMs);
    }
    const rate = median(rates);
    rows.push({
      strategy: strategy.name,
      spins: strategy.spins,
      roundTripsPerSec: rate,
      nsPerRoundTrip: 1e9 / rate,
      floorNsPerRoundTrip: floor.nsPerRoundTrip,
      ratioToFloor: 1e9 / rate / floor.nsPerRoundTrip,
      cores: median(cores),
    });
  }
  return rows;
}

export interface IdleCost {
  ticks: number;
  wallMs: number;
  cpuMs: number;
  /** Host CPU per wall second, in percent of one core. */
  percentOfCore: number;
}

/**
 * Host CPU of an idle guest in its steady state: CPU time over a window that starts after the
 * domain has booted and ends before it finishes (start-up and teardown are not idling).
 */
export async function measureIdle(ticks: number, spin: number): Promise<IdleCost> {
  const image = readGuestImage(fileURLToPath(new URL('idle.elf', GUESTS)), { ramBytes: 32 << 20 });
  const domain = new Domain(buildDomain(image, { domid: 1, name: 'idle', memoryMiB: 32, cmdline: `ticks=${ticks}`, spin }));
  await domain.start();
  const totalMs = ticks * 10;
  const skipMs = Math.min(500, totalMs / 4);
  const windowMs = totalMs - 2 * skipMs;
  await new Promise((r) => setTimeout(r, skipMs));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const outcome = await domain.outcome();
  await domain.destroy();
  if (outcome.kind !== 'debug-exit' || outcome.status !== 1) throw new Error(`idle did not finish cleanly: ${JSON.stringify(outcome)}`);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { ticks, wallMs, cpuMs, percentOfCore: (100 * cpuMs) / wallMs };
}

function formatRows(rows: IoreqBenchRow[]): string {
  const rate = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(1)}k`);
  const out = [
    '| strategy | ioreq round trips/s | ns/round trip | floor ns/round trip | ratio to floor | cores |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.strategy} | ${rate(r.roundTripsPerSec)} | ${Math.round(r.nsPerRoundTrip)} | ${Math.round(r.floorNsPerRoundTrip)} | ${r.ratioToFloor.toFixed(2)}x | ${r.cores.toFixed(2)} |`,
    );
  }
  return out.join('\n');
}

if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '50000' },
      trials: { type: 'string', default: '3' },
      'idle-ticks': { type: 'string', default: '300' },
    },
  });
  const iterations = Number(values.iterations);
  const trials = Number(values.trials);
  const idleTicks = Number(values['idle-ticks']);
  if (![iterations, trials, idleTicks].every((n) => Number.isInteger(n) && n > 0)) {
    console.error('usage: node dist/bench/ioreq-bench.js [--iterations N] [--trials N] [--idle-ticks N]');
    process.exit(2);
  }
  console.log(
    `ioreq round trips: guest ioreq-loop, ${iterations} vs ${Math.ceil(iterations / 5)} x (OUT + IN) on COM1 scratch (the difference: steady state), median of ${trials} trials per strategy`,
  );
  console.log('floor: two workers ping-ponging one SharedArrayBuffer word with the same wait strategy, same run\n');
  console.log(formatRows(await measureIoreq(iterations, trials)));
  const idle = await measureIdle(idleTicks, 2000);
  console.log(
    `\nidle guest (100 Hz PIT, HLT between ticks; ${idle.ticks} ticks, steady-state window): ${idle.cpuMs.toFixed(1)} ms host CPU over ${idle.wallMs.toFixed(0)} ms wall = ${idle.percentOfCore.toFixed(2)}% of one core (both workers and the toolstack)`,
  );
}
