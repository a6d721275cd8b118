/**
 * Significance for comparing runs: paired and unpaired bootstrap differences of every metric,
 * McNemar's exact test for accuracy, Holm–Bonferroni across the metrics of one comparison. Pure.
 */
import { percentile, resampleWeights, rng } from '../evalHarness';

/** Anything whose metrics can be recomputed under per-example weights (an Evaluator, or a slice of one). */
export interface MetricSource {
  readonly n: number;
  metrics(weights?: Float64Array): Record<string, number | null>;
}

/** ln Γ(x) (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const logChoose = (n: number, k: number) => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/**
 * McNemar's exact test: b = examples only run A got right, c = only run B. Under H0 the discordant
 * pairs split Binomial(b + c, ½); two-sided p = min(1, 2·P(X ≤ min(b, c))).
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** Holm–Bonferroni step-down adjusted p-values (nulls are left out of the family and stay null). */
export function holmAdjust(pValues: (number | null)[]): (number | null)[] {
  const present = pValues.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null).sort((a, b) => a.p - b.p);
  const m = present.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 0;
  present.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

export interface Difference {
  /** run − baseline on the full data. */
  diff: number | null;
  ci: { lower: number | null; upper: number | null; level: number };
  /** Two-sided bootstrap p-value: 2·min(P(δ* ≤ 0), P(δ* ≥ 0)), capped at 1. */
  pValue: number | null;
}

/**
 * Bootstrap distribution of (run − baseline) for every metric. Paired: the same resample weights for
 * both (the runs were evaluated on the same examples). Unpaired: each run resampled on its own.
 */
export function bootstrapDifferences(
  baseline: MetricSource,
  run: MetricSource,
  options: { paired: boolean; resamples: number; seed: number; level: number },
): Map<string, Difference> {
  if (options.paired && baseline.n !== run.n) throw new Error('a paired comparison needs the same examples');
  const full = { a: baseline.metrics(), b: run.metrics() };
  const keys = Object.keys(full.a).filter((k) => k in full.b);
  const R = options.resamples;
  const draws = new Map(keys.map((k) => [k, new Float64Array(R)]));
  const random = rng(options.seed);
  const wa = new Float64Array(baseline.n);
  const wb = options.paired ? wa : new Float64Array(run.n);
  for (let r = 0; r < R; r++) {
    resampleWeights(baseline.n, random, wa);
    if (!options.paired) resampleWeights(run.n, random, wb);
    const ma = baseline.metrics(wa);
    const mb = run.metrics(wb);
    for (const k of keys) draws.get(k)![r] = (mb[k] ?? NaN) - (ma[k] ?? NaN);
  }
  const alpha = (1 - options.level) / 2;
  const out = new Map<string, Difference>();
  for (const k of keys) {
    const a = full.a[k] ?? null;
    const b = full.b[k] ?? null;
    if (a === null || b === null) {
      out.set(k, { diff: null, ci: { lower: null, upper: null, level: options.level }, pValue: null });
      continue;
    }
    const sorted = draws.get(k)!.filter(Number.isFinite).sort();
    let atOrBelow = 0;
    let atOrAbove = 0;
    for (const d of sorted) {
      if (d <= 0) atOrBelow++;
      if (d >= 0) atOrAbove++;
    }
    const count = sorted.length;
    out.set(k, {
      diff: b - a,
      ci: { lower: percentile(sorted, alpha * 100), upper: percentile(sorted, (1 - alpha) * 100), level: options.level },
      pValue: count === 0 ? null : Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / count),
    });
  }
  return out;
}
