/**
 * Synthetic `hvmsim bench` results for the compare and report tests: built through the real
 * summarizer and cost model from hand-made trial records, so they have exactly the shape a run
 * writes, without running guests.
 */
import { loadCostProfiles } from '../bench/cost-model.js';
import { COST_MODELS_DIR } from '../bench/repo-paths.js';
import { RESULTS_SCHEMA, type BenchResults, type ScenarioResult } from '../bench/results-schema.js';
import { summarizeTrials, type TrialRecord } from '../bench/scenario-runner.js';
import { parseScenarioFile, type Scenario } from '../bench/scenario-schema.js';
import { summarize } from '../bench/statistics.js';

export const PROFILES = loadCostProfiles(COST_MODELS_DIR);

export function scenario(fields: Record<string, unknown>): Scenario {
  return parseScenarioFile(JSON.stringify([{ description: 'synthetic', sets: ['vga'], guest: 'vga-fill', ...fields }]), 'synthetic.json')[0]!;
}

/**
 * Trials with the given counters (each trial's counters may be tweaked), wall-time ratios and
 * CPU-time ratios to the reference (by default the wall ratios: a quiet machine).
 */
export function trials(
  counters: Record<string, number>,
  ratios: number[],
  tweak?: (i: number, c: Record<string, number>) => void,
  cpuRatios: number[] = ratios,
): TrialRecord[] {
  return ratios.map((ratio, i) => {
    const c = { ...counters };
    tweak?.(i, c);
    return { outcome: { kind: 'debug-exit', status: 1 }, wallMs: ratio * 40, hostCpuMs: cpuRatios[i]! * 40, counters: c, referenceMs: 40, referenceCpuMs: 40 };
  });
}

export function results(scenarios: ScenarioResult[]): BenchResults {
  return {
    schema: RESULTS_SCHEMA,
    environment: {
      node: 'v20.0.0',
      v8: '11',
      platform: 'linux test x64',
      cpuModel: 'Synthetic CPU',
      cores: 2,
      memoryGiB: 8,
      loadAverage: 0.1,
      gitCommit: '0'.repeat(40),
      gitDirty: false,
      date: '2026-01-01T00:00:00.000Z',
    },
    trials: 3,
    warmup: 1,
    reference: { description: 'test reference', ms: summarize([40, 40, 40]) },
    profiles: PROFILES,
    scenarios,
  };
}

/**
 * Counters of a `shared` VGA run: `frames` frames drawn straight into mapped VRAM, `exitsPerFrame`
 * port writes per frame (0 in a well-behaved guest), 60 exits of set-up.
 */
export function vgaCounters(frames: number, exitsPerFrame: number): Record<string, number> {
  const io = 60 + frames * exitsPerFrame;
  return {
    instructions: 5_000_000,
    exit_io: io,
    exit_mmio: 0,
    exit_logdirty: 0,
    exit_hlt: 0,
    ioreq_sync: io,
    ioreq_buffered: 0,
    ioreq_wait_ns: 3e6,
    interrupts_injected: 0,
    'dm.pio': io - 2,
    'dm.mmio': 0,
    'dm.pci_config': 2,
    'dm.buffered_served': 0,
    'dm.busy_ns': 2e6,
    'dm.wakeups': io + 1,
    'dm.frames': frames,
    'dm.refreshes': frames + 2,
    'dm.pages_scanned': 300 * (frames + 2),
    'dm.bytes_compared': 4096 * 300 * (frames + 2),
    'dm.dirty_pages': 150 * frames,
    'dm.display_ms': 1.5 * frames,
  };
}

/** The display counters a VGA scenario declares as varying (they follow the refresh timer). */
export const DISPLAY_VARYING = ['dm.frames', 'dm.refreshes', 'dm.pages_scanned', 'dm.bytes_compared', 'dm.dirty_pages', 'exit_logdirty'];

export function summarized(s: Scenario, t: TrialRecord[]): ScenarioResult {
  return summarizeTrials(s, t, PROFILES);
}
