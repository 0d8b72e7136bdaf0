/**
 * Benchmark scenarios are data (bench/scenarios/*.json, each file an array of scenarios); this
 * module is their schema, their defaults and their loader. A bad file is reported in one line that
 * names the file, the scenario and the field, so `hvmsim bench` can exit with status 2 before
 * running anything.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SCAN_STRATEGIES, VGA_MODES } from '../shared/vga-config.js';
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB } from '../shared/domain-limits.js';
import { REPO_ROOT } from './repo-paths.js';

/** Named sets a scenario can belong to; a typo in `sets` is an error, not a new set. */
export const SET_NAMES = ['default', 'ci', 'history', 'cpu', 'ioreq', 'idle', 'vga', 'idle-neighbours', 'input', 'smp'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** What a `reproduces` entry compares with a published figure (report-markdown.ts computes them). */
export const REPRODUCED_METRICS = ['slowdown', 'throughput-loss', 'dm-cpu-share'] as const;

const name = z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots and dashes');

/** Per-domain settings; at the top level of a scenario they are the defaults of every domain. */
const domainFields = {
  cmdline: z.string().max(1000).optional(),
  vga: z.enum(VGA_MODES).optional(),
  scan: z.enum(SCAN_STRATEGIES).optional(),
  vcpus: z.int().min(1).max(8).optional(),
  memoryMiB: z.int().min(MIN_MEMORY_MIB).max(MAX_MEMORY_MIB).optional(),
  refreshHz: z.int().min(1).max(1000).optional(),
  spin: z.int().min(0).max(1_000_000).optional(),
  /**
   * Console text after which the domain idles (e.g. "vga-idle: idling"): its steady state. A
   * neighbour: the measured domain starts only once every such neighbour printed it (and a few
   * refreshes passed). The measured domain: counters and wall time cover only what follows its
   * first HLT after the line.
   */
  readyLine: z.string().min(1).max(200).optional(),
};

const domainSchema = z.strictObject({
  guest: name,
  ...domainFields,
  /** How many identical domains this entry starts (neighbours); the very first domain is measured. */
  count: z.int().min(1).max(16).optional(),
});

const reproducesSchema = z.strictObject({
  metric: z.enum(REPRODUCED_METRICS),
  /** The scenario this one is measured against (e.g. the same guest without redraws). */
  relativeTo: name.optional(),
  /** The published figure as a fraction (0.35 = 35%). */
  published: z.number().min(0).max(100),
  source: z.string().min(1),
  /** The cost-model profile (bench/cost-models/NAME.json) the published machine corresponds to. */
  profile: name,
  /** "upper": the published figure is a bound ("under 1%"), not a value. */
  bound: z.literal('upper').optional(),
});

export const scenarioSchema = z
  .strictObject({
    name,
    description: z.string().min(1).max(300),
    sets: z.array(z.enum(SET_NAMES)).min(1),
    /** A guest in guests/bin (without .elf); alternatively `domains`. */
    guest: name.optional(),
    ...domainFields,
    domains: z.array(domainSchema).min(1).max(16).optional(),
    /** Frames the (VGA) guest draws, for per-frame figures; display frames are used when absent. */
    frames: z.int().min(1).optional(),
    /**
     * Steady-state per-frame figures: each trial also runs the measured guest with this shorter
     * command line (drawing `frames` frames), and per-frame figures are the difference of the two
     * runs divided by the difference in frames, so boot, set-up and read-back cancel out.
     */
    steady: z.strictObject({ cmdline: z.string().max(1000), frames: z.int().min(0) }).optional(),
    /** An input script (mouse/keyboard) for a later issue: accepted and checked to exist now. */
    inputs: z.string().min(1).optional(),
    /** Ask the device model for a PNG of the final frame (VGA scenarios), shown in the report. */
    screenshot: z.boolean().default(false),
    /** False for scenarios driven by wall-clock time, whose counters legitimately vary. */
    deterministic: z.boolean().default(true),
    /** Counters known to vary between trials (e.g. display refreshes, which follow wall time). */
    varyingCounters: z.array(z.string().min(1)).default([]),
    /**
     * Whether compare may fail on this scenario's wall time. Off for scenarios whose speed is
     * bimodal on a small machine (an ioreq ping-pong spins or sleeps depending on free cores).
     */
    gateWallTime: z.boolean().default(true),
    /** The isa-debug-exit status a successful run ends with (the guests' exit(0) gives 1). */
    expectStatus: z.int().min(0).max(255).default(1),
    /** Per-trial limit; a domain still running then is destroyed and the scenario fails. */
    timeoutMs: z.int().min(100).max(600_000).default(120_000),
    reproduces: reproducesSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.guest === undefined) === (s.domains === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give either "guest" or "domains" (exactly one)' });
    }
    if (s.domains?.[0]?.count !== undefined && s.domains[0].count !== 1) {
      ctx.addIssue({ code: 'custom', path: ['domains', 0, 'count'], message: 'the first domain is the measured one: its count must be 1' });
    }
    if (s.steady && (s.frames === undefined || s.steady.frames >= s.frames)) {
      ctx.addIssue({ code: 'custom', path: ['steady', 'frames'], message: 'the short run must draw fewer frames than "frames"' });
    }
    if (s.reproduces?.metric !== 'dm-cpu-share' && s.reproduces && !s.reproduces.relativeTo) {
      ctx.addIssue({ code: 'custom', path: ['reproduces', 'relativeTo'], message: `metric ${s.reproduces.metric} needs "relativeTo"` });
    }
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;

/** One domain of a scenario with every default applied. */
export interface DomainSpec {
  guest: string;
  cmdline: string;
  vga: (typeof VGA_MODES)[number];
  scan: (typeof SCAN_STRATEGIES)[number];
  vcpus: number;
  memoryMiB: number;
  refreshHz: number;
  spin?: number;
  readyLine?: string;
}

export type Scenario = Omit<ParsedScenario, 'guest' | 'domains' | keyof typeof domainFields> & {
  /** Every domain to start, neighbours expanded (count); domains[0] is measured. */
  domains: DomainSpec[];
  /** The file the scenario came from, relative to the repository. */
  file: string;
};

/**
 * Counters that follow the display's refresh timer (docs/architecture.md §6), so wall-clock time, in every
 * scenario: they are always treated as varying, whatever the data says. External-interrupt exits
 * include the kicks of track_dirty_vram's flush (shared/p2m-flush.ts), one per refresh that
 * re-protected pages while the vCPU ran.
 */
export const CLOCK_DRIVEN_COUNTERS = [
  'dm.refreshes',
  'dm.frames',
  'dm.pages_scanned',
  'dm.bytes_compared',
  'dm.dirty_pages',
  'dm.vram_flush_kicks',
  'dm.vram_flush_timeouts',
  'exit_logdirty',
  'exit_external_interrupt',
] as const;

export const SCENARIO_DEFAULTS = { cmdline: '', vga: 'shared-dirty', scan: 'memcmp', vcpus: 1, memoryMiB: 32, refreshHz: 60 } as const;

export class ScenarioError extends Error {}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** One issue as a short phrase: the field, what is wrong, and the value found. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') + ': ' : '';
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `${where}must be one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describeValue(input)}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `${where}must have at least ${issue.minimum} ${issue.origin === 'array' ? 'entries' : 'characters'}`
        : `${where}must be at least ${issue.minimum}, got ${describeValue(input)}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `${where}must have at most ${issue.maximum} ${issue.origin === 'array' ? 'entries' : 'characters'}`
        : `${where}must be at most ${issue.maximum}, got ${describeValue(input)}`;
    case 'invalid_type':
      return `${where}must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}, got ${describeValue(input)}`;
    case 'invalid_format':
      return `${where}${issue.message}, got ${describeValue(input)}`;
    default:
      return `${where}${issue.message}`;
  }
}

function normalize(s: ParsedScenario, file: string): Scenario {
  const { guest, domains, cmdline, vga, scan, vcpus, memoryMiB, refreshHz, spin, readyLine, ...rest } = s;
  const top = { cmdline, vga, scan, vcpus, memoryMiB, refreshHz, spin, readyLine };
  const entries = domains ?? [{ guest: guest! }];
  const expanded: DomainSpec[] = [];
  for (const d of entries) {
    const spec: DomainSpec = {
      guest: d.guest,
      cmdline: ('cmdline' in d ? d.cmdline : undefined) ?? top.cmdline ?? SCENARIO_DEFAULTS.cmdline,
      vga: ('vga' in d ? d.vga : undefined) ?? top.vga ?? SCENARIO_DEFAULTS.vga,
      scan: ('scan' in d ? d.scan : undefined) ?? top.scan ?? SCENARIO_DEFAULTS.scan,
      vcpus: ('vcpus' in d ? d.vcpus : undefined) ?? top.vcpus ?? SCENARIO_DEFAULTS.vcpus,
      memoryMiB: ('memoryMiB' in d ? d.memoryMiB : undefined) ?? top.memoryMiB ?? SCENARIO_DEFAULTS.memoryMiB,
      refreshHz: ('refreshHz' in d ? d.refreshHz : undefined) ?? top.refreshHz ?? SCENARIO_DEFAULTS.refreshHz,
    };
    const sp = ('spin' in d ? d.spin : undefined) ?? top.spin;
    if (sp !== undefined) spec.spin = sp;
    const ready = ('readyLine' in d ? d.readyLine : undefined) ?? top.readyLine;
    if (ready !== undefined) spec.readyLine = ready;
    const count = 'count' in d ? (d.count ?? 1) : 1;
    for (let i = 0; i < count; i++) expanded.push({ ...spec });
  }
  const varyingCounters = [...new Set([...rest.varyingCounters, ...CLOCK_DRIVEN_COUNTERS])];
  return { ...rest, varyingCounters, domains: expanded, file };
}

/** Parse one file's text; `label` names it in errors. */
export function parseScenarioFile(text: string, label: string): Scenario[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw new ScenarioError(`${label}: must be a JSON array of scenarios`);
  return data.map((raw, i) => {
    const which = typeof (raw as { name?: unknown })?.name === 'string' ? `scenario "${(raw as { name: string }).name}"` : `scenario #${i + 1}`;
    const r = scenarioSchema.safeParse(raw, { reportInput: true });
    if (!r.success) throw new ScenarioError(`${label}: ${which}: ${describeIssue(r.error.issues[0]!)}`);
    return normalize(r.data, label);
  });
}

/** Cross-scenario checks: unique names, `relativeTo` targets, input scripts that exist. */
export function checkScenarioSet(scenarios: Scenario[]): void {
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const prev = seen.get(s.name);
    if (prev) throw new ScenarioError(`${s.file}: scenario "${s.name}": name already used in ${prev}`);
    seen.set(s.name, s.file);
  }
  for (const s of scenarios) {
    const rel = s.reproduces?.relativeTo;
    if (rel && !seen.has(rel)) throw new ScenarioError(`${s.file}: scenario "${s.name}": reproduces.relativeTo: no scenario named "${rel}"`);
    if (s.inputs && !existsSync(path.resolve(REPO_ROOT, s.inputs))) {
      throw new ScenarioError(`${s.file}: scenario "${s.name}": inputs: file ${s.inputs} does not exist`);
    }
  }
}

/** Load every *.json of a folder (or one file), in name order, and check them together. */
export function loadScenarios(source: string): Scenario[] {
  let files: string[];
  try {
    files = statSync(source).isDirectory()
      ? readdirSync(source)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => path.join(source, f))
      : [source];
  } catch {
    throw new ScenarioError(`${source}: no such scenario file or folder`);
  }
  const all: Scenario[] = [];
  for (const f of files) {
    const label = path.relative(REPO_ROOT, f).startsWith('..') ? f : path.relative(REPO_ROOT, f);
    all.push(...parseScenarioFile(readFileSync(f, 'utf8'), label));
  }
  checkScenarioSet(all);
  return all;
}

/**
 * Pick scenarios by name or set name (a word that names both is the scenario); no selection
 * means the `default` set. An unknown word is an error naming it.
 */
export function selectScenarios(all: Scenario[], words: string[]): Scenario[] {
  if (words.length === 0) words = ['default'];
  const chosen: Scenario[] = [];
  const add = (s: Scenario): void => {
    if (!chosen.includes(s)) chosen.push(s);
  };
  for (const w of words) {
    const byName = all.find((s) => s.name === w);
    if (byName) {
      add(byName);
      continue;
    }
    if ((SET_NAMES as readonly string[]).includes(w)) {
      all.filter((s) => (s.sets as string[]).includes(w)).forEach(add);
      continue;
    }
    throw new ScenarioError(`unknown scenario or set "${w}" (hvmsim bench --list shows them)`);
  }
  return chosen;
}
