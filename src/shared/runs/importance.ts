/**
 * Which hyperparameters matter in a sweep (issue 19): for each one, its Spearman rank correlation
 * with the metric (numeric parameters), and its importance in a random forest fitted to predict the
 * metric from all parameters — the share of the forest's total variance reduction its splits make
 * (as W&B's parameter importance and scikit-learn's `feature_importances_` define it).
 *
 * The forest is hand-written (no dependency does this in the browser and the server alike), kept
 * small and deterministic: FOREST.trees trees on bootstrap samples, √p candidate parameters per
 * split, splits found on at most FOREST.bins quantile bins of each parameter, a fixed seed.
 * Categorical parameters split by one category against the rest.
 */
import { rng } from '../evalHarness';

export const FOREST = { trees: 64, maxDepth: 8, minLeaf: 2, bins: 32, seed: 7 } as const;
export const IMPORTANCE_MODEL = `random forest regressor (${FOREST.trees} trees, depth ≤ ${FOREST.maxDepth}, √p parameters per split; importance = share of the variance reduction)`;

export interface ImportanceItem {
  param: string;
  /** Spearman's ρ with the metric over the runs that have both (null: not numeric, or constant). */
  spearman: number | null;
  /** Share of the forest's variance reduction, in [0, 1]; the items' importances sum to 1 (0 when nothing splits). */
  importance: number;
}

/** Ranks 1..n, ties given their average rank (as scipy.stats.rankdata). */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]!] = rank;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson's r of the ranks); null below 3 pairs or for a constant side. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 3) return null;
  const rx = ranks(x);
  const ry = ranks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

type Column = { kind: 'numeric'; values: Float64Array; cuts: number[] } | { kind: 'categorical'; codes: Int32Array; levels: number };

/** A parameter as the forest sees it: numbers with their quantile cut points, or category codes (missing: its own). */
function columnOf(values: readonly unknown[]): Column {
  const numeric = values.every((v) => v === null || v === undefined || (typeof v === 'number' && Number.isFinite(v)));
  if (numeric) {
    const filled = Float64Array.from(values, (v) => (typeof v === 'number' ? v : Number.NEGATIVE_INFINITY));
    const sorted = [...new Set(filled)].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / FOREST.bins));
    const cuts: number[] = [];
    for (let i = step; i < sorted.length; i += step) cuts.push((sorted[i - 1]! + sorted[i]!) / 2);
    return { kind: 'numeric', values: filled, cuts };
  }
  const index = new Map<string, number>();
  const codes = Int32Array.from(values, (v) => {
    const key = JSON.stringify(v ?? null);
    if (!index.has(key)) index.set(key, index.size);
    return index.get(key)!;
  });
  return { kind: 'categorical', codes, levels: index.size };
}

/** Grows one tree on `rows` (indices, with repeats), adding each split's variance reduction to `gain`. */
function grow(columns: Column[], y: Float64Array, rows: Int32Array, depth: number, random: () => number, gain: Float64Array): void {
  const n = rows.length;
  if (depth >= FOREST.maxDepth || n < 2 * FOREST.minLeaf) return;
  let sum = 0;
  let sumSq = 0;
  for (const r of rows) {
    sum += y[r]!;
    sumSq += y[r]! * y[r]!;
  }
  const sse = sumSq - (sum * sum) / n;
  if (sse <= 1e-12) return;
  const p = columns.length;
  const tries = Math.max(1, Math.round(Math.sqrt(p)));
  const candidates = columns.map((_, i) => i);
  for (let i = 0; i < tries; i++) {
    const j = i + Math.floor(random() * (p - i));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  let best = { reduction: 0, feature: -1, goesLeft: (_r: number) => false };
  for (const f of candidates.slice(0, tries)) {
    const column = columns[f]!;
    const slots = column.kind === 'numeric' ? column.cuts.length + 1 : column.levels;
    const count = new Float64Array(slots);
    const total = new Float64Array(slots);
    const slotOf =
      column.kind === 'numeric'
        ? (r: number) => {
            const v = column.values[r]!;
            let lo = 0;
            let hi = column.cuts.length;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (v > column.cuts[mid]!) lo = mid + 1;
              else hi = mid;
            }
            return lo;
          }
        : (r: number) => column.codes[r]!;
    for (const r of rows) {
      const s = slotOf(r);
      count[s]!++;
      total[s]! += y[r]!;
    }
    // Numeric: every cut between bins (left = bins up to it); categorical: each category against the rest.
    let leftCount = 0;
    let leftSum = 0;
    for (let s = 0; s < slots - (column.kind === 'numeric' ? 1 : 0); s++) {
      const lc = column.kind === 'numeric' ? (leftCount += count[s]!) : count[s]!;
      const ls = column.kind === 'numeric' ? (leftSum += total[s]!) : total[s]!;
      const rc = n - lc;
      if (lc < FOREST.minLeaf || rc < FOREST.minLeaf) continue;
      const reduction = (ls * ls) / lc + ((sum - ls) * (sum - ls)) / rc - (sum * sum) / n;
      if (reduction > best.reduction + 1e-12) {
        const at = s;
        best = { reduction, feature: f, goesLeft: column.kind === 'numeric' ? (r) => slotOf(r) <= at : (r) => slotOf(r) === at };
      }
    }
  }
  if (best.feature < 0) return;
  gain[best.feature]! += best.reduction;
  const left: number[] = [];
  const right: number[] = [];
  for (const r of rows) (best.goesLeft(r) ? left : right).push(r);
  grow(columns, y, Int32Array.from(left), depth + 1, random, gain);
  grow(columns, y, Int32Array.from(right), depth + 1, random, gain);
}

/**
 * Each parameter's Spearman ρ with the metric and its importance in the forest. `params`: one
 * value list per parameter, aligned with `metric` (runs without the metric left out by the caller).
 */
export function parameterImportance(params: Record<string, readonly unknown[]>, metric: readonly number[]): ImportanceItem[] {
  const names = Object.keys(params).sort();
  const n = metric.length;
  const columns = names.map((name) => columnOf(params[name]!));
  const gain = new Float64Array(names.length);
  if (n >= 2 * FOREST.minLeaf && names.length > 0) {
    const y = Float64Array.from(metric);
    const random = rng(FOREST.seed);
    for (let t = 0; t < FOREST.trees; t++) {
      const sample = Int32Array.from({ length: n }, () => Math.floor(random() * n));
      grow(columns, y, sample, 0, random, gain);
    }
  }
  const totalGain = gain.reduce((a, b) => a + b, 0);
  return names
    .map((param, i) => {
      const column = columns[i]!;
      let rho: number | null = null;
      if (column.kind === 'numeric') {
        const pairs = params[param]!.map((v, j) => [v, metric[j]!] as const).filter(([v]) => typeof v === 'number');
        rho = spearman(
          pairs.map(([v]) => v as number),
          pairs.map(([, m]) => m),
        );
      }
      return { param, spearman: rho, importance: totalGain > 0 ? gain[i]! / totalGain : 0 };
    })
    .sort((a, b) => b.importance - a.importance || (a.param < b.param ? -1 : 1));
}
