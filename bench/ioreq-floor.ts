/**
 * The floor under every ioreq round trip: two worker threads ping-ponging one SharedArrayBuffer
 * word, once per wait strategy (docs/architecture.md §4, measured on this project's machine). Nothing else happens per
 * round trip, so no ioreq path can beat these numbers; the ioreq benchmark reports against them.
 *
 * Run: `npm run build && node dist/bench/ioreq-floor.js [batches] [batchMs]`.
 * Import: `measureIoreqFloor()`; it loads the compiled worker next to this file, so call it from dist/.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import { MAX_SPINS } from '../shared/wait.js';

// The shared words (also used by ioreq-floor-worker.ts).
export const FLOOR_WORD = 0;
export const REQUESTER_SLEEPERS = 1;
export const RESPONDER_SLEEPERS = 2;
const FLOOR_WORDS = 4;
/** Written to FLOOR_WORD by the requester when it is done. */
export const STOP = -1;

export interface FloorWorkerData {
  buffer: SharedArrayBuffer;
  role: 'requester' | 'responder';
  spins: number;
  batches: number;
  batchMs: number;
  warmupMs: number;
}

export interface FloorStrategy {
  readonly name: string;
  /** Atomics.loads before Atomics.wait. */
  readonly spins: number;
}

/**
 * "Pure spin" is the longest spin wait.ts allows (2^30 loads, about a second): in a ping-pong the
 * peer always answers long before, so the threads never sleep, yet the spin stays bounded.
 */
export const FLOOR_STRATEGIES: readonly FloorStrategy[] = [
  { name: 'wait/notify', spins: 0 },
  { name: 'spin 200, then wait', spins: 200 },
  { name: 'spin 2000, then wait', spins: 2000 },
  { name: 'spin 20000, then wait', spins: 20000 },
  { name: 'pure spin', spins: MAX_SPINS },
];

export interface FloorOptions {
  strategies?: readonly FloorStrategy[];
  /** Timed batches per strategy; the result is their median. */
  batches?: number;
  batchMs?: number;
  warmupMs?: number;
}

export interface FloorResult {
  strategy: string;
  spins: number;
  /** Median over batches. */
  roundTripsPerSec: number;
  minRoundTripsPerSec: number;
  maxRoundTripsPerSec: number;
  /** 1e9 / the median rate. */
  nsPerRoundTrip: number;
  /** Process CPU time / wall time while timing: ~2 when both threads spin, less when they sleep. */
  cores: number;
  batches: number;
}

const workerUrl = new URL('./ioreq-floor-worker.js', import.meta.url);

export async function measureIoreqFloor(options: FloorOptions = {}): Promise<FloorResult[]> {
  const { strategies = FLOOR_STRATEGIES, batches = 5, batchMs = 300, warmupMs = 100 } = options;
  const results: FloorResult[] = [];
  // One strategy at a time: more busy threads than the machine's 2 cores would measure the scheduler.
  for (const s of strategies) results.push(await measureOne(s, batches, batchMs, warmupMs));
  return results;
}

async function measureOne(strategy: FloorStrategy, batches: number, batchMs: number, warmupMs: number): Promise<FloorResult> {
  const buffer = new SharedArrayBuffer(FLOOR_WORDS * 4);
  const common = { buffer, spins: strategy.spins, batches, batchMs, warmupMs };
  const responder = new Worker(workerUrl, { workerData: { ...common, role: 'responder' } satisfies FloorWorkerData });
  const requester = new Worker(workerUrl, { workerData: { ...common, role: 'requester' } satisfies FloorWorkerData });
  const exited = [requester, responder].map((w) => new Promise((resolve) => w.once('exit', resolve)));
  let cpuStart = process.cpuUsage();
  let wallStart = process.hrtime.bigint();
  const samples = await new Promise<[number, number][]>((resolve, reject) => {
    for (const w of [requester, responder]) {
      w.once('error', reject);
      w.once('exit', (code) => code !== 0 && reject(new Error(`ioreq-floor worker exited with ${code}`)));
    }
    requester.on('message', (m: { phase: string; samples?: [number, number][] }) => {
      if (m.phase === 'timing') {
        cpuStart = process.cpuUsage();
        wallStart = process.hrtime.bigint();
      } else if (m.phase === 'done') resolve(m.samples!);
    });
  });
  const cpu = process.cpuUsage(cpuStart);
  const wallUs = Number(process.hrtime.bigint() - wallStart) / 1000;
  await Promise.all(exited);
  const rates = samples.map(([n, ns]) => (n * 1e9) / ns).sort((a, b) => a - b);
  const median = rates[rates.length >> 1]!;
  return {
    strategy: strategy.name,
    spins: strategy.spins,
    roundTripsPerSec: median,
    minRoundTripsPerSec: rates[0]!,
    maxRoundTripsPerSec: rates[rates.length - 1]!,
    nsPerRoundTrip: 1e9 / median,
    cores: (cpu.user + cpu.system) / wallUs,
    batches: rates.length,
  };
}

export function formatFloorTable(results: readonly FloorResult[]): string {
  const rate = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(1)}k`);
  const lines = ['| strategy | round trips/s, median [min..max] | ns/round trip | cores |', '|---|---|---|---|'];
  for (const r of results) {
    lines.push(
      `| ${r.strategy} | ${rate(r.roundTripsPerSec)} [${rate(r.minRoundTripsPerSec)}..${rate(r.maxRoundTripsPerSec)}] | ${Math.round(r.nsPerRoundTrip)} | ${r.cores.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

// Workers inherit the parent's argv, and the worker imports this file: run only on the main thread.
if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const batches = Number(process.argv[2] ?? 5);
  const batchMs = Number(process.argv[3] ?? 300);
  if (!(Number.isInteger(batches) && batches > 0 && batchMs > 0)) {
    console.error('usage: node dist/bench/ioreq-floor.js [batches] [batchMs]');
    process.exit(2);
  }
  // Other busy processes make spinning collapse (2 cores): print the load so readers can tell.
  const loadBefore = loadavg()[0]!.toFixed(2);
  const results = await measureIoreqFloor({ batches, batchMs });
  console.log(`ioreq floor: two workers ping-ponging one SharedArrayBuffer word, ${batches} x ${batchMs} ms per strategy`);
  console.log(`1-minute load average before/after: ${loadBefore}/${loadavg()[0]!.toFixed(2)}\n`);
  console.log(formatFloorTable(results));
}
