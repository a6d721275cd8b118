/**
 * What the metric charts do to a curve before drawing it (issue 19): exponential smoothing, the x
 * axis (step, time since the run's first point, wall-clock time) and the point nearest a cursor.
 * Pure, so it is unit-tested against hand-computed values.
 */

export interface CurvePoint {
  step: number;
  value: number;
  /** Milliseconds since the epoch, as logged. */
  timestamp: number;
}

export const X_AXES = ['step', 'relative', 'wall'] as const;
/** step; relative: seconds since the run's first point; wall: the clock time of each point. */
export type XAxis = (typeof X_AXES)[number];

/**
 * Exponential moving average with bias correction, as TensorBoard and W&B smooth curves (and as
 * pandas' `ewm(alpha=1 - weight, adjust=True).mean()` computes): s_i = Σ w^(i-j) v_j / Σ w^(i-j).
 * `weight` 0 leaves the values as they are; near 1 smooths heavily. Non-finite values are carried
 * through and skipped by the average.
 */
export function ema(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return [...values];
  const w = Math.min(weight, 0.999);
  const out: number[] = [];
  let numerator = 0;
  let denominator = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    numerator = numerator * w + v;
    denominator = denominator * w + 1;
    out.push(numerator / denominator);
  }
  return out;
}

/** The x value of each point on the chosen axis. */
export function xValues(points: readonly CurvePoint[], axis: XAxis): number[] {
  if (axis === 'step') return points.map((p) => p.step);
  if (axis === 'wall') return points.map((p) => p.timestamp);
  const t0 = points.reduce((min, p) => Math.min(min, p.timestamp), Infinity);
  return points.map((p) => (p.timestamp - t0) / 1000);
}

/** The index of the point whose x is nearest `x` (xs ascending); -1 for no points. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x) ? lo - 1 : lo;
}
