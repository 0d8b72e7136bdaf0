/**
 * The results file `hvmsim bench --json` writes and `hvmsim bench compare` reads. Its `schema`
 * field is a version: a reader refuses a version it does not know rather than misread it.
 *
 * Counters are the deterministic part (exact, from the measured domain); timings are summaries
 * over trials; `ratio_to_reference` keeps every trial so two runs can be compared by bootstrap.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const RESULTS_SCHEMA = 'hvmsim-bench-results/1';

const summarySchema = z.object({
  median: z.number(),
  min: z.number(),
  max: z.number(),
  iqr: z.number(),
  trials: z.array(z.number()),
});

const modeledSchema = z.object({
  profile: z.string(),
  totalMs: z.number(),
  vcpuMs: z.number(),
  dmMs: z.number(),
  terms: z.record(z.string(), z.object({ count: z.number(), ms: z.number() })),
});

const domainSpecSchema = z.object({
  guest: z.string(),
  cmdline: z.string(),
  vga: z.string(),
  scan: z.string(),
  vcpus: z.number(),
  memoryMiB: z.number(),
  refreshHz: z.number(),
  spin: z.number().optional(),
  readyLine: z.string().optional(),
});

const scenarioResultSchema = z.object({
  name: z.string(),
  description: z.string(),
  sets: z.array(z.string()),
  domains: z.array(domainSpecSchema),
  deterministic: z.boolean(),
  varyingCounters: z.array(z.string()),
  /** False: wall time is reported but never fails compare. */
  gateWallTime: z.boolean().default(true),
  frames: z.number().optional(),
  reproduces: z
    .object({ metric: z.string(), relativeTo: z.string().optional(), published: z.number(), source: z.string(), profile: z.string(), bound: z.literal('upper').optional() })
    .optional(),
  status: z.enum(['ok', 'failed', 'skipped']),
  error: z.string().optional(),
  outcome: z.string(),
  /** Counter values (the lower median where they varied between trials). */
  counters: z.record(z.string(), z.number()),
  /** Counters that differed between trials: their range. */
  varied: z.record(z.string(), z.object({ min: z.number(), max: z.number() })),
  /** Varied counters of a scenario declared deterministic that were not declared varying. */
  determinismViolations: z.array(z.string()),
  /** Counter-derived figures (exits per frame, ...), deterministic when their counters are. */
  derived: z.record(z.string(), z.number()),
  modeled: z.record(z.string(), modeledSchema),
  timings: z.record(z.string(), summarySchema),
  screenshot: z.string().optional(),
  /**
   * Steady-state figures per frame, from the difference of the full and the short run
   * (scenario.steady): counters (the lower median over trials), modeled ms per profile, and
   * timings (wall, CPU, device-model ms per frame) summarised over trials.
   */
  steady: z
    .object({
      frames: z.number(),
      counters: z.record(z.string(), z.number()),
      modeledMs: z.record(z.string(), z.number()),
      timings: z.record(z.string(), summarySchema),
    })
    .optional(),
  /**
   * The neighbour domains' counters over the measured domain's run (summed over neighbours, the
   * lower median over trials): what they made the host do meanwhile, for the cost model.
   */
  neighbours: z.object({ domains: z.number(), counters: z.record(z.string(), z.number()) }).optional(),
});

const profileSchema = z.object({
  name: z.string(),
  description: z.string(),
  cpuGHz: z.number(),
  parameters: z.record(z.string(), z.object({ value: z.number(), unit: z.string(), source: z.string() })),
});

const scanPointSchema = z.object({
  fraction: z.number(),
  dirtyPages: z.number(),
  found: z.number(),
  medianMs: z.number(),
  minMs: z.number(),
  iqrMs: z.number(),
});

/** bench/scan-bench.ts: time per refresh of each dirty-scan strategy on synthetic VRAM. */
export const scanBenchSchema = z.object({
  repeats: z.number(),
  surfaces: z.array(
    z.object({
      surface: z.string(),
      bytes: z.number(),
      pages: z.number(),
      repeats: z.number(),
      strategies: z.array(z.object({ strategy: z.enum(['memcmp', 'checksum', 'dirty-bitmap', 'device']), points: z.array(scanPointSchema) })),
      copyFloorMs: z.number(),
      compareFloorMs: z.number(),
    }),
  ),
});

export type ScanBenchResults = z.output<typeof scanBenchSchema>;

export const benchResultsSchema = z.object({
  schema: z.literal(RESULTS_SCHEMA),
  environment: z.object({
    node: z.string(),
    v8: z.string(),
    platform: z.string(),
    cpuModel: z.string(),
    cores: z.number(),
    memoryGiB: z.number(),
    loadAverage: z.number(),
    gitCommit: z.string(),
    gitDirty: z.boolean(),
    date: z.string(),
  }),
  trials: z.number(),
  warmup: z.number(),
  reference: z.object({ description: z.string(), ms: summarySchema }),
  profiles: z.array(profileSchema),
  scenarios: z.array(scenarioResultSchema),
  /** The scan-strategy benchmark, when the run included it (`hvmsim bench vga`, `--scan`). */
  scan: scanBenchSchema.optional(),
});

export type BenchResults = z.output<typeof benchResultsSchema>;
export type ScenarioResult = z.output<typeof scenarioResultSchema>;

export class ResultsFileError extends Error {}

/** Read and check a results file; problems come back as one line naming the file. */
export function readResultsFile(file: string): BenchResults {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ResultsFileError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : `not valid JSON (${err.message})`}`);
  }
  const version = (data as { schema?: unknown })?.schema;
  if (version !== RESULTS_SCHEMA) {
    throw new ResultsFileError(`${file}: not a results file of schema ${RESULTS_SCHEMA} (schema: ${JSON.stringify(version ?? null)})`);
  }
  const r = benchResultsSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ResultsFileError(`${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data;
}
