/** Bootstrap resampling: the seeded generator, multinomial and Poisson weights, percentile and BCa intervals. */
import { normalCdf, normalQuantile } from './normal';
import type { Prepared } from './prepare';
import type { Interval } from './types';
import { weightedMetrics } from './weighted';

export const DEFAULT_SEED = 20_240_601;

/** xoshiro128** — small, fast, good enough for resampling, and the same in every JS engine. */
class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = seed >>> 0 || 1;
    this.b = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 2;
    this.c = Math.imul(seed ^ 0x7f4a7c15, 0xc2b2ae35) >>> 0 || 3;
    this.d = (this.a ^ this.b ^ this.c ^ 0x5bd1e995) >>> 0 || 4;
    for (let i = 0; i < 16; i++) this.nextU32(); // mix the seed in
  }

  nextU32(): number {
    const result = Math.imul(((Math.imul(this.b, 5) << 7) | (Math.imul(this.b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = ((this.d << 11) | (this.d >>> 21)) >>> 0;
    return result;
  }

  /**
   * Poisson(1) weights for every position, the same draws as `u = nextU32() / 2³²` compared with
   * POISSON_CDF, with the state in locals and integer thresholds (u ≥ C exactly when the integer
   * ≥ ⌈C · 2³²⌉): the generator was a quarter of an evaluation's time as a closure call per example.
   */
  fillPoisson(weights: Float64Array | Uint8Array): void {
    // All in int32 (| 0 instead of >>> 0: the same bits, but values above 2³¹ stop being doubles);
    // a draw is compared in the signed domain, where x ^ 2³¹ orders as the unsigned x does.
    let a = this.a | 0;
    let b = this.b | 0;
    let c = this.c | 0;
    let d = this.d | 0;
    const byTopBits = POISSON_BY_TOP_BITS;
    for (let i = 0; i < weights.length; i++) {
      const b5 = Math.imul(b, 5);
      const result = Math.imul((b5 << 7) | (b5 >>> 25), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      // The top 16 bits settle the weight except near a threshold (a table lookup instead of
      // unpredictable branches); there, the thresholds decide as before.
      let w = byTopBits[result >>> 16]!;
      if (w === 255) w = poissonNearThreshold(result);
      weights[i] = w;
    }
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
  }
}

/** A uniform [0, 1) generator; `generator` gives the fast bulk draws. */
export type Random = (() => number) & { generator?: Xoshiro128 };

export function rng(seed: number): Random {
  const generator = new Xoshiro128(seed);
  const next: Random = () => generator.nextU32() / 4294967296;
  next.generator = generator;
  return next;
}

/** numpy.percentile with linear interpolation, over sorted finite values. */
export function percentile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Poisson(1) inverse CDF thresholds: weight w while u ≥ CDF(w − 1) (a weight above 12 has probability < 1e-9). */
const POISSON_CDF = (() => {
  const cdf: number[] = [];
  let p = Math.exp(-1);
  let sum = 0;
  for (let w = 0; w < 13; w++) {
    sum += p;
    cdf.push(sum);
    p /= w + 1;
  }
  return Float64Array.from(cdf);
})();
const POISSON_THRESHOLDS = Float64Array.from(POISSON_CDF, (c) => Math.ceil(c * 4294967296));
/** The same thresholds in the signed domain (x − 2³¹), for draws kept as int32. */
const POISSON_THRESHOLDS_SIGNED = Float64Array.from(POISSON_THRESHOLDS, (t) => t - 2147483648);
/** The weight of every 32-bit draw with these top 16 bits, or 255 when a threshold falls inside the range. */
const POISSON_BY_TOP_BITS = (() => {
  const weightOf = (x: number) => {
    let w = 0;
    while (w < 12 && x >= POISSON_THRESHOLDS[w]!) w++;
    return w;
  };
  const table = new Uint8Array(65536);
  for (let top = 0; top < 65536; top++) {
    const low = weightOf(top * 65536);
    table[top] = low === weightOf(top * 65536 + 65535) ? low : 255;
  }
  return table;
})();

/** The weight of a draw (int32) whose top 16 bits leave it undecided: compared with the thresholds themselves. */
function poissonNearThreshold(draw: number): number {
  const key = draw ^ -2147483648;
  let w = 0;
  while (w < 12 && key >= POISSON_THRESHOLDS_SIGNED[w]!) w++;
  return w;
}

/** Up to this many examples, resamples are exact multinomial draws; above, Poisson(1) weights. */
export const MULTINOMIAL_UP_TO = 20_000;

/** Fills `weights` with one bootstrap resample's counts, in resample order (bytes: Poisson weights only, which never exceed 12). */
export function drawWeights(weights: Float64Array | Uint8Array, random: () => number): void {
  const n = weights.length;
  if (n <= MULTINOMIAL_UP_TO) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(random() * n)]!++;
    return;
  }
  // Poisson bootstrap (Hanley & MacGibbon 2006; used at scale by Chamandy et al.): each example's count is
  // Poisson(1), independent, written in order — the multinomial counts' large-n limit, without random access.
  const generator = (random as Random).generator;
  if (generator) {
    generator.fillPoisson(weights);
    return;
  }
  for (let i = 0; i < n; i++) {
    const u = random();
    let w = 0;
    while (w < 12 && u >= POISSON_CDF[w]!) w++;
    weights[i] = w;
  }
}

export function interval(values: Float64Array, count: number, level: number): Interval {
  const finite = values.subarray(0, count).filter(Number.isFinite).sort();
  const alpha = (1 - level) / 2;
  return { lower: percentile(finite, alpha * 100), upper: percentile(finite, (1 - alpha) * 100), level };
}

/** One resample's counts over n examples (multinomial up to MULTINOMIAL_UP_TO, Poisson(1) above). */
export function resampleWeights(n: number, random: () => number, into = new Float64Array(n)): Float64Array {
  drawWeights(into, random);
  return into;
}

/** Up to this many examples the jackknife leaves out one example at a time; above, one of 1,000 groups. */
export const FULL_JACKKNIFE_UP_TO = 2000;

/**
 * The BCa acceleration of every metric from jackknife estimates: a = Σ(θ̄ − θᵢ)³ / (6 (Σ(θ̄ − θᵢ)²)^1.5).
 * Large inputs use a delete-a-group jackknife (1,000 groups by example index) to stay O(1000·n).
 */
export function jackknifeAcceleration(p: Prepared, keys: string[], errorOrder?: Int32Array): Map<string, number> {
  const n = p.n;
  const groups = n <= FULL_JACKKNIFE_UP_TO ? n : 1000;
  // Group of each position in resample order.
  const groupOf = new Int32Array(n);
  for (let j = 0; j < n; j++) groupOf[j] = (p.perm ? p.perm[j]! : j) % groups;
  const members: number[][] = Array.from({ length: groups }, () => []);
  for (let j = 0; j < n; j++) members[groupOf[j]!]!.push(j);
  const weights = new Float64Array(n).fill(1);
  const values = new Map(keys.map((key) => [key, new Float64Array(groups)]));
  for (let g = 0; g < groups; g++) {
    for (const j of members[g]!) weights[j] = 0;
    const m = weightedMetrics(p, weights, errorOrder);
    for (const key of keys) values.get(key)![g] = m[key] ?? NaN;
    for (const j of members[g]!) weights[j] = 1;
  }
  const out = new Map<string, number>();
  for (const key of keys) {
    const v = values.get(key)!;
    let mean = 0;
    for (const x of v) mean += x;
    mean /= groups;
    let num = 0;
    let den = 0;
    for (const x of v) {
      const d = mean - x;
      num += d * d * d;
      den += d * d;
    }
    out.set(key, den === 0 ? 0 : num / (6 * den ** 1.5));
  }
  return out;
}

/** The bias-corrected and accelerated interval (Efron 1987), as scipy.stats.bootstrap computes it. */
export function bcaInterval(samples: Float64Array, value: number, a: number, level: number): Interval {
  const finite = samples.filter(Number.isFinite).sort();
  if (finite.length === 0 || !Number.isFinite(a)) return { lower: null, upper: null, level };
  let below = 0;
  for (const x of finite) if (x < value) below++;
  const z0 = normalQuantile(below / finite.length);
  if (!Number.isFinite(z0)) return { lower: null, upper: null, level }; // every resample on one side: undefined
  const alpha = (1 - level) / 2;
  const adjusted = (z: number) => normalCdf(z0 + (z0 + z) / (1 - a * (z0 + z)));
  return {
    lower: percentile(finite, adjusted(normalQuantile(alpha)) * 100),
    upper: percentile(finite, adjusted(normalQuantile(1 - alpha)) * 100),
    level,
  };
}
