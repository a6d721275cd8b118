/**
 * Latency statistics from samples: exact percentiles by linear interpolation (numpy's default), a
 * histogram whose counts sum to the sample count, and a percentile curve for a log-scale plot. Pure.
 */
export interface LatencyStats {
  min: number;
  mean: number;
  /** Population standard deviation (ddof = 0, as numpy's default and HDR histograms). */
  stdDev: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

export interface LatencyResult {
  count: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Requests per second over the measured phase; null for samples measured elsewhere. */
  throughput: number | null;
  durationMs: number | null;
  latency: LatencyStats;
  histogram: { fromMs: number; toMs: number; count: number }[];
  percentiles: { percentile: number; ms: number }[];
  config: Record<string, unknown>;
}

/** numpy.percentile(sorted, q) with linear interpolation. */
export function interpolatedPercentile(sorted: Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The percentile curve's points: 0, 50, 75, 87.5, … (halving the rest each time) up to 99.999, then 100. */
export const CURVE_PERCENTILES = (() => {
  const out = [0];
  for (let k = 1; k <= 17; k++) out.push(Number((100 * (1 - 2 ** -k)).toFixed(6)));
  return [...out.filter((p) => p < 99.999), 99.9, 99.99, 99.999, 100].sort((a, b) => a - b).filter((p, i, all) => i === 0 || p !== all[i - 1]);
})();

export function histogramOf(sorted: Float64Array, bins = 30): { fromMs: number; toMs: number; count: number }[] {
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (min === max) return [{ fromMs: min, toMs: max, count: sorted.length }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of sorted) counts[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
  return counts.map((count, i) => ({ fromMs: min + i * width, toMs: i === bins - 1 ? max : min + (i + 1) * width, count }));
}

/**
 * Statistics of latencies measured elsewhere (e.g. around model.predict in Python, or by the CLI).
 * With the measured phase's duration the throughput is count / duration; errorsByKind says how many
 * of the samples were failures (they are timed like the rest).
 */
export function summarizeSamples(
  samplesMs: ArrayLike<number>,
  config: Record<string, unknown> = { source: 'client samples' },
  load: { durationMs?: number; errorsByKind?: Record<string, number> } = {},
): LatencyResult {
  if (samplesMs.length === 0) throw new Error('no samples');
  const sorted = Float64Array.from(samplesMs).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) ** 2;
  const p = (q: number) => interpolatedPercentile(sorted, q);
  const errorsByKind = load.errorsByKind ?? {};
  return {
    count: n,
    errors: Object.values(errorsByKind).reduce((sum, k) => sum + k, 0),
    errorsByKind,
    throughput: load.durationMs ? n / (load.durationMs / 1000) : null,
    durationMs: load.durationMs ?? null,
    latency: { min: sorted[0]!, mean, stdDev: Math.sqrt(sq / n), max: sorted[n - 1]!, p50: p(50), p90: p(90), p95: p(95), p99: p(99), p999: p(99.9) },
    histogram: histogramOf(sorted),
    percentiles: CURVE_PERCENTILES.map((percentile) => ({ percentile, ms: p(percentile) })),
    config,
  };
}
