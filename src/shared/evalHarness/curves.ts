/**
 * The evaluation's curves (issue 19), as scikit-learn 1.2 computes them, for `evaluations/curves.json`:
 * ROC (`roc_curve`, intermediate collinear thresholds dropped, a first point at (0, 0) with threshold
 * max + 1), precision–recall (`precision_recall_curve`), a reliability curve (`calibration_curve`,
 * 10 uniform bins) with the expected calibration error; one-vs-rest per class for a multiclass task;
 * residuals and predicted-vs-actual for a regression. Every curve is kept to MAX_CURVE_POINTS points
 * (its first and last kept, the rest thinned evenly), so the document stays small for any n.
 */

export const MAX_CURVE_POINTS = 1000;
export const CALIBRATION_BINS = 10;

export interface BinaryCurves {
  /** The class taken as positive. */
  positive: string | number;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  calibration: { probTrue: number[]; probPred: number[]; counts: number[]; ece: number };
}

export interface CurvesDocument {
  taskType: 'classification' | 'regression';
  /** Binary: one entry (the positive class); multiclass: one per class, one-vs-rest. */
  classes: BinaryCurves[];
  /** Regression: predicted against actual, and residual (actual − predicted) against predicted. */
  regression: { predicted: number[]; actual: number[]; residual: number[] } | null;
  /** Whether some curve had more than MAX_CURVE_POINTS points and was thinned. */
  downsampled: boolean;
}

/** sklearn's _binary_clf_curve: for each distinct score (descending), the true and false positives at or above it. */
export function binaryClfCurve(isPositive: ArrayLike<number>, score: ArrayLike<number>): { fps: number[]; tps: number[]; thresholds: number[] } {
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    tp += isPositive[i]!;
    const last = k === order.length - 1 || score[order[k + 1]!] !== score[i];
    if (last) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(score[i]!);
    }
  }
  return { fps, tps, thresholds };
}

export function rocCurve(isPositive: ArrayLike<number>, score: ArrayLike<number>): BinaryCurves['roc'] {
  let { fps, tps, thresholds } = binaryClfCurve(isPositive, score);
  if (fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const corner = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
      if (corner) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]!);
    tps = keep.map((i) => tps[i]!);
    thresholds = keep.map((i) => thresholds[i]!);
  }
  fps = [0, ...fps];
  tps = [0, ...tps];
  thresholds = [thresholds[0]! + 1, ...thresholds];
  const fpLast = fps[fps.length - 1]!;
  const tpLast = tps[tps.length - 1]!;
  return { fpr: fps.map((f) => (fpLast > 0 ? f / fpLast : Number.NaN)), tpr: tps.map((t) => (tpLast > 0 ? t / tpLast : Number.NaN)), thresholds };
}

export function precisionRecallCurve(isPositive: ArrayLike<number>, score: ArrayLike<number>): BinaryCurves['pr'] {
  const { fps, tps, thresholds } = binaryClfCurve(isPositive, score);
  const tpLast = tps[tps.length - 1]!;
  const precision = tps.map((t, i) => (t + fps[i]! === 0 ? 0 : t / (t + fps[i]!)));
  const recall = tps.map((t) => (tpLast === 0 ? 1 : t / tpLast));
  return { precision: [...precision.reverse(), 1], recall: [...recall.reverse(), 0], thresholds: [...thresholds].reverse() };
}

/** sklearn's calibration_curve(strategy='uniform'): per non-empty bin the fraction of positives and the mean predicted probability; ECE weights their gaps by the bin's share. */
export function calibrationCurve(isPositive: ArrayLike<number>, prob: ArrayLike<number>, bins = CALIBRATION_BINS): BinaryCurves['calibration'] {
  const edges = Array.from({ length: bins + 1 }, (_, i) => i / bins);
  const inner = edges.slice(1, -1);
  const sums = new Float64Array(bins);
  const trues = new Float64Array(bins);
  const totals = new Float64Array(bins);
  for (let i = 0; i < prob.length; i++) {
    // np.searchsorted(edges[1:-1], p) (side='left'): the number of inner edges below p.
    let b = 0;
    while (b < inner.length && inner[b]! < prob[i]!) b++;
    sums[b]! += prob[i]!;
    trues[b]! += isPositive[i]!;
    totals[b]!++;
  }
  const probTrue: number[] = [];
  const probPred: number[] = [];
  const counts: number[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (totals[b] === 0) continue;
    probTrue.push(trues[b]! / totals[b]!);
    probPred.push(sums[b]! / totals[b]!);
    counts.push(totals[b]!);
    ece += (totals[b]! / prob.length) * Math.abs(trues[b]! / totals[b]! - sums[b]! / totals[b]!);
  }
  return { probTrue, probPred, counts, ece };
}

/** Indices of at most `max` of n points: the first and the last, the rest evenly spaced. */
export function thinned(n: number, max = MAX_CURVE_POINTS): number[] | null {
  if (n <= max) return null;
  return Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
}

const thin = <T extends Record<string, number[]>>(curve: T, length: number, flag: { downsampled: boolean }): T => {
  const keep = thinned(length);
  if (!keep) return curve;
  flag.downsampled = true;
  // (A precision–recall curve has one threshold fewer than points: its last index is clipped.)
  return Object.fromEntries(Object.entries(curve).map(([k, v]) => [k, keep.map((i) => v[Math.min(i, v.length - 1)]!)])) as T;
};

/**
 * The curves of a classification: `probability(i, c)` is example i's probability (or score) of
 * class index c, `label[i]` its true class index. Without probabilities there are no curves.
 */
export function classificationCurves(classes: readonly (string | number)[], label: ArrayLike<number>, probability: ((i: number, c: number) => number) | null, positive: number | null): CurvesDocument {
  const flag = { downsampled: false };
  const out: BinaryCurves[] = [];
  if (probability) {
    const n = label.length;
    const targets = classes.length === 2 ? [positive ?? 1] : classes.map((_, c) => c);
    for (const c of targets) {
      const isPositive = Float64Array.from({ length: n }, (_, i) => (label[i] === c ? 1 : 0));
      const score = Float64Array.from({ length: n }, (_, i) => probability(i, c));
      const roc = rocCurve(isPositive, score);
      const pr = precisionRecallCurve(isPositive, score);
      out.push({ positive: classes[c]!, roc: thin(roc, roc.fpr.length, flag), pr: thin(pr as unknown as Record<string, number[]>, pr.precision.length, flag) as unknown as BinaryCurves['pr'], calibration: calibrationCurve(isPositive, score) });
    }
  }
  return { taskType: 'classification', classes: out, regression: null, downsampled: flag.downsampled };
}

export function regressionCurves(actual: ArrayLike<number>, predicted: ArrayLike<number>): CurvesDocument {
  const n = actual.length;
  const keep = thinned(n) ?? Array.from({ length: n }, (_, i) => i);
  return {
    taskType: 'regression',
    classes: [],
    regression: { predicted: keep.map((i) => predicted[i]!), actual: keep.map((i) => actual[i]!), residual: keep.map((i) => actual[i]! - predicted[i]!) },
    downsampled: n > MAX_CURVE_POINTS,
  };
}
