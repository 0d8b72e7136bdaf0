/**
 * The scan-strategy benchmark (`npm run bench:scan`; also part of `hvmsim bench vga`): the four
 * ways the display finds changed pages, at 0, 1, 10 and 100% dirty pages on 640x480x32,
 * 1024x768x32 and 8 MiB surfaces, each surface in its own worker thread, one after another (two
 * cores: nothing else of ours runs meanwhile), with the memory-bandwidth floor of each size.
 * `bench:scan` then times track_dirty_vram's flush handshake with 0, 1 and 2 vCPU threads
 * running (flush-cost.ts), which the dirty-bitmap figures above do not include.
 *
 * Run: `npm run build && node dist/bench/scan-bench.js [--repeats N] [--json FILE]`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Command, InvalidArgumentError } from 'commander';
import { parseBenchArgs } from './bench-cli.js';
import { compiledModule } from '../toolstack/worker-urls.js';
import { formatFlushReport, measureFlushCost } from './flush-cost.js';
import { formatScanReport } from './report-markdown.js';
import type { ScanBenchResults } from './results-schema.js';
import type { SurfaceOptions, SurfaceScanCost } from './scan-cost.js';
import { SURFACES, type SurfaceSpec } from './scan-strategies.js';

export const SCAN_COST_WORKER = compiledModule('bench/scan-cost-worker.js');

/** Median of this many timed refreshes per point (the whole benchmark takes a few seconds). */
export const DEFAULT_SCAN_REPEATS = 101;

function surfaceInWorker(surface: SurfaceSpec, options: SurfaceOptions): Promise<SurfaceScanCost> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SCAN_COST_WORKER, { workerData: { surface, options } });
    let settled = false;
    w.once('message', (m: { result?: SurfaceScanCost; error?: string }) => {
      settled = true;
      if (m.result) resolve(m.result);
      else reject(new Error(m.error ?? 'scan worker sent nothing'));
    });
    w.once('error', (e) => ((settled = true), reject(e)));
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`scan worker exited with status ${code} before answering`));
    });
  });
}

export interface ScanBenchOptions {
  repeats?: number;
  surfaces?: readonly SurfaceSpec[];
  onSurface?: (name: string) => void;
}

export async function runScanBench(o: ScanBenchOptions = {}): Promise<ScanBenchResults> {
  const repeats = o.repeats ?? DEFAULT_SCAN_REPEATS;
  const options: SurfaceOptions = { repeats, warmup: Math.max(3, Math.ceil(repeats / 2)) };
  const surfaces: SurfaceScanCost[] = [];
  for (const s of o.surfaces ?? SURFACES) {
    o.onSurface?.(s.name);
    surfaces.push(await surfaceInWorker(s, options));
  }
  return { repeats, surfaces };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench:scan')
    .description('time the four dirty-scan strategies per refresh on synthetic VRAM, beside the memory-bandwidth floor')
    .option('--repeats <n>', 'timed refreshes per point (median)', (v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 10_000) throw new InvalidArgumentError('--repeats must be an integer in 1..10000');
      return n;
    }, DEFAULT_SCAN_REPEATS)
    .option('--json <file>', 'also write the figures as JSON');
  if (!parseBenchArgs(program, argv)) return;
  const o = program.opts<{ repeats: number; json?: string }>();
  const results = await runScanBench({ repeats: o.repeats, onSurface: (name) => process.stderr.write(`scan: ${name}\n`) });
  process.stdout.write(formatScanReport(results) + '\n');
  process.stderr.write('scan: flush handshake\n');
  const handshake = await measureFlushCost(o.repeats);
  process.stdout.write('\n' + formatFlushReport(handshake) + '\n');
  if (o.json) writeFileSync(o.json, JSON.stringify({ ...results, handshake }, null, 2) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((e: unknown) => {
    process.stderr.write(`bench:scan: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
