/**
 * Order statistics over benchmark trials (median, quartiles, IQR) and a bootstrap confidence
 * interval for the ratio of two medians, which is how wall-clock figures from two runs are judged:
 * few trials and skewed noise make a t-test a poor fit, a percentile bootstrap of medians does not
 * assume a distribution. The resampling is seeded so the same inputs always give the same verdict.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Interquartile range (Q3 − Q1, linear interpolation between order statistics). */
  iqr: number;
  /** Every trial, in the order measured. */
  trials: number[];
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Quantile q in [0, 1] with linear interpolation (type 7, as R and NumPy default). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function summarize(trials: readonly number[]): Summary {
  // No trials: zeros, not NaN, so the summary survives a JSON round trip.
  if (trials.length === 0) return { median: 0, min: 0, max: 0, iqr: 0, trials: [] };
  return {
    median: median(trials),
    min: Math.min(...trials),
    max: Math.max(...trials),
    iqr: quantile(trials, 0.75) - quantile(trials, 0.25),
    trials: [...trials],
  };
}

/** A small seeded PRNG (mulberry32): 32-bit outputs, reproducible, no global state. */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same generator as fractions in [0, 1): reproducible resampling. */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}

function resampleMedian(xs: readonly number[], rand: () => number): number {
  const r = new Array<number>(xs.length);
  for (let i = 0; i < xs.length; i++) r[i] = xs[Math.floor(rand() * xs.length)]!;
  return median(r);
}

export interface RatioInterval {
  /** median(after) / median(before). */
  ratio: number;
  low: number;
  high: number;
  confidence: number;
}

/**
 * Percentile bootstrap interval for median(after) / median(before), resampling each side's trials
 * independently. With only a handful of trials the interval is honestly wide.
 */
export function bootstrapRatioOfMedians(
  before: readonly number[],
  after: readonly number[],
  opts: { resamples?: number; confidence?: number; seed?: number } = {},
): RatioInterval {
  const resamples = opts.resamples ?? 4000;
  const confidence = opts.confidence ?? 0.95;
  const ratio = median(after) / median(before);
  if (before.length === 0 || after.length === 0) return { ratio: NaN, low: NaN, high: NaN, confidence };
  const rand = seededRandom(opts.seed ?? 0x5eed);
  const ratios = new Array<number>(resamples);
  for (let i = 0; i < resamples; i++) ratios[i] = resampleMedian(after, rand) / resampleMedian(before, rand);
  const tail = (1 - confidence) / 2;
  return { ratio, low: quantile(ratios, tail), high: quantile(ratios, 1 - tail), confidence };
}
