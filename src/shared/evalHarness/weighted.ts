/** Metrics under per-example weights (one bootstrap resample), equal to the exact ones with all weights 1. */
import { brier, confusionMatrix, confusionMetrics, logLoss, rankMetrics, rankMetricsInOrder, regressionMetrics } from './metrics';
import type { Prepared } from './prepare';

/**
 * The metrics under per-example weights from the precomputed terms: one pass for the confusion
 * counts, log loss and Brier score, one pass over the score ordering for AUC and average precision.
 * Equal to computeMetrics (tested); used for every bootstrap resample and slice.
 */
export function weightedMetrics(p: Prepared, weights: Float64Array, errorOrder?: Int32Array): Record<string, number | null> {
  if (p.task === 'regression') return regressionWithWeights(p, weights, errorOrder);
  const k = p.k;
  const cm = new Float64Array(k * k);
  const cell = p.cell!;
  const loss = p.lossTerm;
  const brierTerm = p.brierTerm;
  let total = 0;
  let lossSum = 0;
  let brierSum = 0;
  for (let i = 0; i < p.n; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    cm[cell[i]!]! += w;
    total += w;
    if (loss) lossSum += w * loss[i]!;
    if (brierTerm) brierSum += w * brierTerm[i]!;
  }
  const out: Record<string, number | null> = confusionMetrics(cm, k, k === 2 ? p.positive : null);
  if (loss) out.log_loss = lossSum / total;
  if (p.groupEnds && p.sortedPositive) {
    const ranks = rankMetricsInOrder(p.groupEnds, p.sortedPositive, weights);
    out.roc_auc = ranks.rocAuc;
    out.average_precision = ranks.averagePrecision;
    out.brier = brierSum / total;
  } else if (p.ovr) {
    const aucs = p.ovr.map((c) => rankMetrics(c.order, c.score, c.flags, weights).rocAuc);
    out.roc_auc = aucs.some((a) => a === null) ? null : aucs.reduce<number>((sum, a) => sum + (a as number), 0) / k;
  }
  return out;
}

/** Every scalar metric of the whole input, by the functions checked against scikit-learn. */
export function computeMetrics(p: Prepared, weights?: Float64Array, errorOrder?: Int32Array): Record<string, number | null> {
  if (p.task === 'regression') return regressionWithWeights(p, weights, errorOrder);
  const out: Record<string, number | null> = confusionMetrics(confusionMatrix(p.y, p.yhat, p.k, weights), p.k, p.k === 2 ? p.positive : null);
  if (p.proba) {
    out.log_loss = logLoss(p.y, p.proba, p.k, weights);
    if (p.score && p.order && p.isPositive) {
      const ranks = rankMetrics(p.order, p.score, p.isPositive, weights);
      out.roc_auc = ranks.rocAuc;
      out.average_precision = ranks.averagePrecision;
      out.brier = brier(p.score, p.isPositive, weights);
    } else if (p.ovr) {
      const aucs = p.ovr.map((c) => rankMetrics(c.order, c.score, c.flags, weights).rocAuc);
      out.roc_auc = aucs.some((a) => a === null) ? null : aucs.reduce<number>((s, a) => s + (a as number), 0) / p.k;
    }
  }
  return out;
}

function regressionWithWeights(p: Prepared, weights?: Float64Array, errorOrder?: Int32Array): Record<string, number | null> {
  const out: Record<string, number | null> = regressionMetrics(p.yReg, p.yhatReg, weights);
  if (weights && errorOrder) {
    // Weighted median of |error|: the middle of the expanded multiset, from one ordering.
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    const lowRank = Math.floor((total - 1) / 2);
    const highRank = Math.floor(total / 2);
    let seen = 0;
    let low: number | null = null;
    let high: number | null = null;
    for (let r = 0; r < errorOrder.length && high === null; r++) {
      const i = errorOrder[r]!;
      const w = weights[i]!;
      if (w === 0) continue;
      const e = Math.abs(p.yReg[i]! - p.yhatReg[i]!);
      if (low === null && seen + w > lowRank) low = e;
      if (seen + w > highRank) high = e;
      seen += w;
    }
    out.median_ae = low === null || high === null ? null : (low + high) / 2;
  }
  return out;
}
