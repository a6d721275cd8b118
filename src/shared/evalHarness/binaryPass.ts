/**
 * One bootstrap resample of a binary task with scores, in a single pass over the examples (stored in
 * score order): the confusion counts, log loss and Brier sums, and the ROC/PR accumulation over tied
 * score groups — for the whole set and for every slice at once. A slice costs a few additions per
 * example it holds, not a pass of its own: before, each slice re-read all n examples per resample
 * (4 slices of 50,000 cost more than the whole evaluation). Hand-written for speed (measured: the
 * bench's 200,000 × 1,000 evaluation); tests check it against weightedMetrics resample by resample.
 */
import { confusionMetrics } from './metrics';
import type { Prepared } from './prepare';

/** Slice membership in the prepared (score) order: per attribute, each position's slice number, or -1. */
export interface SliceIndex {
  count: number;
  byAttribute: Int32Array[];
}

/** Running sums of one group of examples (the whole set, or a slice). */
class Sums {
  /** Integer counts (weights are counts): integer adds chain faster than float ones in the per-example loop. */
  cm = new Int32Array(4);
  total = 0;
  pos = 0;
  neg = 0;
  tp = 0;
  fp = 0;
  auc = 0;
  /** Σ dtp · precision over the groups with positives (average precision × positives). */
  apSum = 0;
  /** Within the current tie group. */
  dtp = 0;
  dfp = 0;

  reset(): void {
    this.cm.fill(0);
    this.total = this.pos = this.neg = this.tp = this.fp = this.auc = this.apSum = this.dtp = this.dfp = 0;
  }

  /** Closes the current tie group (the trapezoid between (fp, tp) and (fp + dfp, tp + dtp)). */
  closeGroup(): void {
    const dtp = this.dtp;
    const dfp = this.dfp;
    this.auc += dfp * (this.tp + dtp / 2);
    this.tp += dtp;
    this.fp += dfp;
    if (dtp > 0) this.apSum += dtp * (this.tp / (this.tp + this.fp));
    this.dtp = this.dfp = 0;
  }
}

export class BinaryPass {
  private readonly all = new Sums();
  /** Per slice, in flat arrays: confusion cells s·4 + c; positives and negatives seen by the last group end (sDtp, sDfp); running sums. */
  private readonly sCm: Int32Array;
  private readonly sDtp: Float64Array;
  private readonly sDfp: Float64Array;
  private readonly sTp: Float64Array;
  private readonly sFp: Float64Array;
  private readonly sAuc: Float64Array;
  private readonly sAp: Float64Array;
  /** Slices touched in the current tie group (closed at its end). */
  private readonly touched: Int32Array;
  private readonly isTouched: Uint8Array;
  private lossSum = 0;
  private brierSum = 0;
  /** The confusion cell of each position, as bytes (the pass reads n of them per resample). */
  private readonly cells: Uint8Array;
  /**
   * Per tie group, the log-loss and Brier terms of a positive and of a negative example: both depend
   * only on the score and the label, so a resample's sums are Σ over groups of (weight of positives ×
   * the positive term + weight of negatives × the negative term) — the per-example arrays (3.2 MB at
   * 200,000 examples) are no longer read once per resample.
   */
  private readonly groupTerms: Float64Array;
  /**
   * With at most one slice attribute of at most MAX_SLOTTED slices: per position, its slice and
   * confusion cell in one byte ((slice + 1) · 4 + cell, slice −1 for none), so the per-example work
   * is one addition whatever the slices — the whole set's counts are the sum over slices and the
   * rest. Null otherwise (the general loop).
   */
  private readonly slot: Uint8Array | null;
  /** Counts per slot of the slotted pass. */
  private readonly slotCounts: Int32Array;

  constructor(
    private readonly p: Prepared,
    private readonly sliceIndex: SliceIndex,
  ) {
    this.cells = Uint8Array.from(p.cell!);
    const ends = p.groupEnds!;
    this.groupTerms = new Float64Array(ends.length * 4);
    let start = 0;
    for (let g = 0; g < ends.length; g++) {
      for (let i = start; i < ends[g]!; i++) {
        const side = p.sortedPositive![i] ? 0 : 1;
        this.groupTerms[g * 4 + side] = p.lossTerm ? p.lossTerm[i]! : 0;
        this.groupTerms[g * 4 + 2 + side] = p.brierTerm ? p.brierTerm[i]! : 0;
      }
      start = ends[g]!;
    }
    const count = sliceIndex.count;
    this.sCm = new Int32Array(count * 4);
    this.sDtp = new Float64Array(count);
    this.sDfp = new Float64Array(count);
    this.sTp = new Float64Array(count);
    this.sFp = new Float64Array(count);
    this.sAuc = new Float64Array(count);
    this.sAp = new Float64Array(count);
    this.touched = new Int32Array(count);
    this.isTouched = new Uint8Array(count);
    const attributes = sliceIndex.byAttribute.length;
    this.slot = null;
    this.slotCounts = new Int32Array((count + 1) * 4);
    if (attributes === 0 || (attributes === 1 && count <= MAX_SLOTTED)) {
      const slot = new Uint8Array(p.n);
      const sliceOf = attributes === 1 ? sliceIndex.byAttribute[0]! : null;
      for (let i = 0; i < p.n; i++) slot[i] = ((sliceOf ? sliceOf[i]! : -1) + 1) * 4 + this.cells[i]!;
      this.slot = slot;
    }
  }

  /**
   * Accumulates one resample's weights (in the prepared order). Per example only the confusion cell
   * is added to (for the whole set and each of its slices); a tie group's positives and negatives
   * are the growth of the positive and negative rows since the group before. Weights are counts, so
   * every sum is an exact integer and the order of additions changes nothing.
   */
  run(weights: Float64Array | Uint8Array): void {
    if (this.slot) {
      this.runSlotted(weights, this.slot);
      return;
    }
    const p = this.p;
    const cell = this.cells;
    const terms = this.groupTerms;
    const ends = p.groupEnds!;
    const all = this.all;
    const cm = all.cm;
    const byAttribute = this.sliceIndex.byAttribute;
    const attributes = byAttribute.length;
    const count = this.sliceIndex.count;
    const { sCm, sDtp, sDfp, sTp, sFp, sAuc, sAp, touched, isTouched } = this;
    // Rows of the confusion matrix (cell = label · 2 + prediction): the positive class's and the other's.
    const pos0 = p.positive! * 2;
    const neg0 = (1 - p.positive!) * 2;
    // Few slices: close every one at each group end; many: only those the group touched.
    const closeAll = count <= 32;
    all.reset();
    sCm.fill(0);
    for (const a of [sDtp, sDfp, sTp, sFp, sAuc, sAp]) a.fill(0);
    let touchedCount = 0;
    let lossSum = 0;
    let brierSum = 0;
    let start = 0;
    let seenPos = 0;
    let seenNeg = 0;
    for (let g = 0; g < ends.length; g++) {
      const end = ends[g]!;
      if (attributes === 0) {
        for (let i = start; i < end; i++) cm[cell[i]!]! += weights[i]!;
      } else if (attributes === 1 && closeAll) {
        // The common case, one slice attribute and few values: nothing but the two cells per example.
        const sliceOf = byAttribute[0]!;
        for (let i = start; i < end; i++) {
          const w = weights[i]!;
          const c = cell[i]!;
          cm[c]! += w;
          const s = sliceOf[i]!;
          if (s >= 0) sCm[s * 4 + c]! += w;
        }
      } else {
        for (let i = start; i < end; i++) {
          const w = weights[i]!;
          const c = cell[i]!;
          cm[c]! += w;
          for (let a = 0; a < attributes; a++) {
            const s = byAttribute[a]![i]!;
            if (s < 0) continue;
            sCm[s * 4 + c]! += w;
            if (!closeAll && isTouched[s] === 0) {
              isTouched[s] = 1;
              touched[touchedCount++] = s;
            }
          }
        }
      }
      start = end;
      const posNow = cm[pos0]! + cm[pos0 + 1]!;
      const negNow = cm[neg0]! + cm[neg0 + 1]!;
      if (posNow === seenPos && negNow === seenNeg) continue;
      const dtp = posNow - seenPos;
      const dfp = negNow - seenNeg;
      lossSum += dtp * terms[g * 4]! + dfp * terms[g * 4 + 1]!;
      brierSum += dtp * terms[g * 4 + 2]! + dfp * terms[g * 4 + 3]!;
      all.dtp = dtp;
      all.dfp = dfp;
      seenPos = posNow;
      seenNeg = negNow;
      all.closeGroup();
      const closing = closeAll ? count : touchedCount;
      for (let t = 0; t < closing; t++) {
        const s = closeAll ? t : touched[t]!;
        isTouched[s] = 0;
        const base = s * 4;
        const sPos = sCm[base + pos0]! + sCm[base + pos0 + 1]!;
        const sNeg = sCm[base + neg0]! + sCm[base + neg0 + 1]!;
        // sDtp/sDfp hold the slice's positives and negatives seen up to the previous group.
        const sdtp = sPos - sDtp[s]!;
        const sdfp = sNeg - sDfp[s]!;
        if (sdtp === 0 && sdfp === 0) continue;
        sDtp[s] = sPos;
        sDfp[s] = sNeg;
        sAuc[s]! += sdfp * (sTp[s]! + sdtp / 2);
        sTp[s]! += sdtp;
        sFp[s]! += sdfp;
        if (sdtp > 0) sAp[s]! += sdtp * (sTp[s]! / (sTp[s]! + sFp[s]!));
      }
      touchedCount = 0;
    }
    this.lossSum = lossSum;
    this.brierSum = brierSum;
  }

  /**
   * run() with one byte per example for its slice and cell. A tie group of one example (every group,
   * when scores are distinct) changes only the whole set and that example's slice: it is added
   * directly, and skipped when its weight is 0. A larger group adds its examples' weights to their
   * slots, then closes every slice and the whole set from the slots' growth. The sums are the
   * general loop's, added in the same order, so the results are identical. (Drawing each Poisson
   * weight inside this loop instead of in a pass of its own was tried: slower by a third, measured.)
   */
  private runSlotted(weights: Float64Array | Uint8Array, slot: Uint8Array): void {
    const p = this.p;
    const terms = this.groupTerms;
    const ends = p.groupEnds!;
    const all = this.all;
    const count = this.sliceIndex.count;
    const counts = this.slotCounts;
    const { sTp, sFp, sAuc, sAp } = this;
    const positive = p.positive!;
    const pos0 = positive * 2;
    const neg0 = (1 - positive) * 2;
    all.reset();
    counts.fill(0);
    for (const a of [sTp, sFp, sAuc, sAp]) a.fill(0);
    let lossSum = 0;
    let brierSum = 0;
    let start = 0;
    // Positives and negatives of the whole set so far (the running tp and fp of its ROC sums).
    let tp = 0;
    let fp = 0;
    let auc = 0;
    let apSum = 0;
    for (let g = 0; g < ends.length; g++) {
      const end = ends[g]!;
      let dtp: number;
      let dfp: number;
      if (end - start === 1) {
        const w = weights[start]!;
        const at = slot[start]!;
        start = end;
        if (w === 0) continue;
        counts[at]! += w;
        const isPositive = (at & 3) >> 1 === positive;
        dtp = isPositive ? w : 0;
        dfp = isPositive ? 0 : w;
        const s = (at >> 2) - 1;
        if (s >= 0) {
          // The same steps as closing a slice below, for a change in this slice only.
          const tpBefore = sTp[s]!;
          sAuc[s]! += dfp * (tpBefore + dtp / 2);
          const tpNow = tpBefore + dtp;
          const fpNow = sFp[s]! + dfp;
          sTp[s] = tpNow;
          sFp[s] = fpNow;
          if (dtp > 0) sAp[s]! += dtp * (tpNow / (tpNow + fpNow));
        }
      } else {
        for (let i = start; i < end; i++) counts[slot[i]!]! += weights[i]!;
        start = end;
        let posNow = counts[pos0]! + counts[pos0 + 1]!;
        let negNow = counts[neg0]! + counts[neg0 + 1]!;
        for (let s = 0; s < count; s++) {
          const base = (s + 1) * 4;
          const sPos = counts[base + pos0]! + counts[base + pos0 + 1]!;
          const sNeg = counts[base + neg0]! + counts[base + neg0 + 1]!;
          posNow += sPos;
          negNow += sNeg;
          // A slice's tp and fp are the positives and negatives it has seen so far.
          const tpBefore = sTp[s]!;
          const sdtp = sPos - tpBefore;
          const sdfp = sNeg - sFp[s]!;
          if (sdtp === 0 && sdfp === 0) continue;
          sAuc[s]! += sdfp * (tpBefore + sdtp / 2);
          sTp[s] = sPos;
          sFp[s] = sNeg;
          if (sdtp > 0) sAp[s]! += sdtp * (sPos / (sPos + sNeg));
        }
        dtp = posNow - tp;
        dfp = negNow - fp;
        if (dtp === 0 && dfp === 0) continue;
      }
      lossSum += dtp * terms[g * 4]! + dfp * terms[g * 4 + 1]!;
      brierSum += dtp * terms[g * 4 + 2]! + dfp * terms[g * 4 + 3]!;
      // Sums.closeGroup's steps.
      auc += dfp * (tp + dtp / 2);
      tp += dtp;
      fp += dfp;
      if (dtp > 0) apSum += dtp * (tp / (tp + fp));
    }
    const cm = all.cm;
    for (let at = 0; at < counts.length; at++) cm[at & 3]! += counts[at]!;
    this.sCm.set(counts.subarray(4)); // slice s's cells, as the general loop leaves them
    all.tp = tp;
    all.fp = fp;
    all.auc = auc;
    all.apSum = apSum;
    this.lossSum = lossSum;
    this.brierSum = brierSum;
  }

  /** The resample's metrics over every example: the keys and values weightedMetrics gives. */
  overall(): Record<string, number | null> {
    const a = this.all;
    const out = this.metricsOf(a.cm, a.tp, a.fp, a.auc, a.apSum);
    const total = a.tp + a.fp;
    const ordered: Record<string, number | null> = {};
    // weightedMetrics' key order: confusion metrics, log_loss, roc_auc, average_precision, brier.
    for (const [key, value] of Object.entries(out)) if (key !== 'roc_auc' && key !== 'average_precision') ordered[key] = value;
    if (this.p.lossTerm) ordered.log_loss = this.lossSum / total;
    ordered.roc_auc = out.roc_auc!;
    ordered.average_precision = out.average_precision!;
    ordered.brier = this.brierSum / total;
    return ordered;
  }

  /** The resample's headline metrics of a slice (null when the resample holds none of its examples). */
  slice(s: number): Record<string, number | null> | null {
    const tp = this.sTp[s]!;
    const fp = this.sFp[s]!;
    return tp + fp === 0 ? null : this.metricsOf(this.sCm.subarray(s * 4, s * 4 + 4), tp, fp, this.sAuc[s]!, this.sAp[s]!);
  }

  private metricsOf(cm: Int32Array, tp: number, fp: number, auc: number, apSum: number): Record<string, number | null> {
    const out: Record<string, number | null> = confusionMetrics(Float64Array.from(cm), 2, this.p.positive);
    out.roc_auc = tp > 0 && fp > 0 ? auc / (tp * fp) : null;
    out.average_precision = tp > 0 ? apSum / tp : null;
    return out;
  }
}

/** Slices of one attribute up to which the slotted pass is used (a slot is one byte: (63 + 1) · 4 < 256 would fit; closing every slice per tie group bounds it lower). */
const MAX_SLOTTED = 16;

/** Whether a prepared input takes the single-pass path: a binary task with one score per example. */
export const hasBinaryPass = (p: Prepared): boolean => p.task === 'classification' && p.k === 2 && p.groupEnds !== null && p.sortedPositive !== null && p.cell !== null;
