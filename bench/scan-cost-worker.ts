/**
 * One surface of the scan benchmark in a thread of its own: a fresh V8 isolate per surface, so
 * the scans are compiled for that size only (measured on this project's machine: reusing the loops for
 * a second size deoptimised them by 2-3x). Posts the SurfaceScanCost, or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measureSurface, type SurfaceOptions } from './scan-cost.js';
import type { SurfaceSpec } from './scan-strategies.js';

const { surface, options } = workerData as { surface: SurfaceSpec; options: SurfaceOptions };
try {
  parentPort!.postMessage({ result: measureSurface(surface, options) });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
