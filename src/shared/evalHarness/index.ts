/**
 * evaluate({predictions, labels, data?, config}) → metrics with bootstrap confidence intervals,
 * slices and failure examples. Pure TypeScript (no Node or DOM APIs): the browser can run it too.
 *
 * Bootstrap: every resample is a vector of multinomial counts over the examples (the same draws a
 * resample of indices would make), and every metric is computed from per-example values with those
 * counts as weights, so nothing is re-sorted per resample (AUC and average precision reuse one
 * ordering by score). The same seed gives identical output.
 */
import {
  brier,
  type ClassValue,
  confusionMatrix,
  confusionMetrics,
  logLoss,
  orderByScoreDesc,
  perClassMetrics,
  type PerClass,
  rankMetrics,
  rankMetricsInOrder,
  regressionMetrics,
  tieGroupEnds,
} from './metrics';
import { normalCdf, normalQuantile } from './normal';
import type { z } from 'zod';
import type { EvaluateBody } from '../contract/schemas';

/** The evaluation request, as the API's schema defines it (one definition: src/shared/contract/schemas.ts). */
export type EvalInput = z.infer<typeof EvaluateBody>;
export type EvalConfig = EvalInput['config'];
export type BootstrapConfig = NonNullable<EvalConfig['bootstrap']>;

export interface Interval {
  lower: number | null;
  upper: number | null;
  level: number;
}

export interface MetricWithCi {
  value: number | null;
  ci: Interval;
}

export interface EvalResult {
  taskType: 'classification' | 'regression';
  n: number;
  metrics: Record<string, MetricWithCi>;
  perClass: PerClass[] | null;
  confusionMatrix: { labels: ClassValue[]; matrix: number[][] } | null;
  bootstrap: Required<BootstrapConfig> & { weights: 'multinomial' | 'poisson' };
  slices: SliceResult[];
  failureExamples: { total: number; examples: Record<string, unknown>[] };
  /** Compact per-example values for paired tests later: class indices or numbers. */
  perExample: PerExample;
}

/**
 * What a later comparison needs to recompute any metric on any resample: per-example labels and
 * predictions (class indices for classification), the positive class's scores (binary) or the
 * probability rows (multiclass, row-major), and each slice's member indices.
 */
export interface PerExample {
  classes: ClassValue[] | null;
  positiveClass: ClassValue | null;
  labels: number[];
  predictions: number[];
  scores: number[] | null;
  probabilities: number[] | null;
  slices: { attribute: string; value: string; members: number[] }[];
}

/** Rebuilds an evaluation input from stored per-example values (predictions.json). */
export function inputFromPerExample(taskType: 'classification' | 'regression', e: PerExample): EvalInput {
  if (taskType === 'regression') return { labels: e.labels, predictions: e.predictions, config: { taskType } };
  const classes = e.classes!;
  const k = classes.length;
  const labels = e.labels.map((i) => classes[i]);
  if (e.scores && e.positiveClass !== null) {
    return { labels, predictions: e.scores, config: { taskType, classes, positiveClass: e.positiveClass, predictionType: 'score' } };
  }
  if (e.probabilities) {
    const rows = Array.from({ length: e.labels.length }, (_, i) => e.probabilities!.slice(i * k, i * k + k));
    return { labels, predictions: rows, config: { taskType, classes, predictionType: 'probabilities', ...(e.positiveClass !== null && { positiveClass: e.positiveClass }) } };
  }
  return { labels, predictions: e.predictions.map((i) => classes[i]), config: { taskType, classes, predictionType: 'label', ...(e.positiveClass !== null && { positiveClass: e.positiveClass }) } };
}

export interface SliceResult {
  attribute: string;
  value: string;
  count: number;
  metrics: Record<string, MetricWithCi>;
  deltaFromOverall: Record<string, { diff: number | null; ci: Interval }>;
  significantlyWorse: boolean;
  small: boolean;
}

export class EvalInputError extends Error {
  constructor(
    message: string,
    readonly index: number | null,
    readonly field: string,
  ) {
    super(message);
    this.name = 'EvalInputError';
  }
}

export const DEFAULT_SEED = 20_240_601;
const LOG_EPS = 2.220446049250313e-16; // numpy.finfo(float64).eps, as evalMetrics.logLoss

/** xoshiro128** — small, fast, good enough for resampling, and the same in every JS engine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  let b = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 2;
  let c = Math.imul(seed ^ 0x7f4a7c15, 0xc2b2ae35) >>> 0 || 3;
  let d = (a ^ b ^ c ^ 0x5bd1e995) >>> 0 || 4;
  const next = () => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    return result / 4294967296;
  };
  for (let i = 0; i < 16; i++) next(); // mix the seed in
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

// ---------------------------------------------------------------- preparing inputs

interface Prepared {
  task: 'classification' | 'regression';
  n: number;
  classes: ClassValue[];
  k: number;
  positive: number | null;
  y: Int32Array;
  yhat: Int32Array;
  proba: Float64Array | null;
  score: Float64Array | null;
  isPositive: Uint8Array | null;
  order: Int32Array | null;
  /** Multiclass: per class, flags and ordering for one-vs-rest AUC. */
  ovr: { score: Float64Array; flags: Uint8Array; order: Int32Array }[] | null;
  yReg: Float64Array;
  yhatReg: Float64Array;
  /** Per-example terms, computed once, that weighted sums turn into metrics per resample. */
  cell: Int32Array | null;
  lossTerm: Float64Array | null;
  brierTerm: Float64Array | null;
  /**
   * Binary tasks with scores: the per-example terms above are stored in score order (descending),
   * with `groupEnds` marking runs of tied scores, so every pass of a resample reads memory in order.
   * Resample weights are drawn directly in this order (they are exchangeable, so nothing changes
   * statistically). `perm[j]` is the original index of position j; null means original order.
   */
  perm: Int32Array | null;
  groupEnds: Int32Array | null;
  sortedPositive: Uint8Array | null;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function prepare(input: EvalInput): Prepared {
  const { predictions, labels, config } = input;
  const n = labels.length;
  if (!Array.isArray(labels) || !Array.isArray(predictions)) throw new EvalInputError('labels and predictions must be arrays', null, 'labels');
  if (n === 0) throw new EvalInputError('labels must not be empty', null, 'labels');
  if (predictions.length !== n) throw new EvalInputError(`predictions has ${predictions.length} entries but labels has ${n}`, null, 'predictions');
  if (input.data && input.data.length !== n) throw new EvalInputError(`data has ${input.data.length} rows but labels has ${n}`, null, 'data');
  if (config.taskType === 'regression') {
    const yReg = new Float64Array(n);
    const yhatReg = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!isNumber(labels[i])) throw new EvalInputError(`labels[${i}] must be a finite number`, i, 'labels');
      if (!isNumber(predictions[i])) throw new EvalInputError(`predictions[${i}] must be a finite number`, i, 'predictions');
      yReg[i] = labels[i] as number;
      yhatReg[i] = predictions[i] as number;
    }
    return { task: 'regression', n, classes: [], k: 0, positive: null, y: new Int32Array(0), yhat: new Int32Array(0), proba: null, score: null, isPositive: null, order: null, ovr: null, yReg, yhatReg, cell: null, lossTerm: null, brierTerm: null, perm: null, groupEnds: null, sortedPositive: null };
  }
  if (config.taskType !== 'classification') throw new EvalInputError(`config.taskType must be classification or regression`, null, 'config.taskType');
  const classes = config.classes;
  if (!Array.isArray(classes) || classes.length < 2) throw new EvalInputError('config.classes must list at least two classes', null, 'config.classes');
  const k = classes.length;
  const index = new Map<string, number>(classes.map((c, i) => [`${typeof c}:${String(c)}`, i]));
  const indexOf = (v: unknown) => index.get(`${typeof v}:${String(v)}`);
  const positiveValue = config.positiveClass ?? (k === 2 ? classes[1] : undefined);
  const positive = positiveValue === undefined ? null : (indexOf(positiveValue) ?? null);
  if (positiveValue !== undefined && positive === null) throw new EvalInputError(`config.positiveClass ${JSON.stringify(positiveValue)} is not one of config.classes`, null, 'config.positiveClass');
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indexOf(labels[i]);
    if (j === undefined) throw new EvalInputError(`labels[${i}] = ${JSON.stringify(labels[i])} is not one of config.classes`, i, 'labels');
    y[i] = j;
  }
  const first = predictions[0];
  const type = config.predictionType ?? (Array.isArray(first) ? 'probabilities' : k === 2 && isNumber(first) && indexOf(first) === undefined ? 'score' : 'label');
  const yhat = new Int32Array(n);
  let proba: Float64Array | null = null;
  if (type === 'label') {
    for (let i = 0; i < n; i++) {
      const j = indexOf(predictions[i]);
      if (j === undefined) throw new EvalInputError(`predictions[${i}] = ${JSON.stringify(predictions[i])} is not one of config.classes`, i, 'predictions');
      yhat[i] = j;
    }
  } else if (type === 'probabilities') {
    proba = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = predictions[i];
      if (!Array.isArray(row) || row.length !== k) throw new EvalInputError(`predictions[${i}] must be an array of ${k} probabilities (one per class)`, i, 'predictions');
      let sum = 0;
      let best = 0;
      for (let j = 0; j < k; j++) {
        const p = row[j];
        if (!isNumber(p) || p < 0 || p > 1) throw new EvalInputError(`predictions[${i}][${j}] must be a probability in [0, 1]`, i, 'predictions');
        proba[i * k + j] = p;
        sum += p;
        if (p > proba[i * k + best]!) best = j;
      }
      if (Math.abs(sum - 1) > 1e-6) throw new EvalInputError(`predictions[${i}] sums to ${Number(sum.toPrecision(12))}, not 1 (±1e-6)`, i, 'predictions');
      yhat[i] = best;
    }
  } else {
    if (k !== 2 || positive === null) throw new EvalInputError('score predictions need a binary task (two classes)', null, 'config.predictionType');
    proba = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const s = predictions[i];
      if (!isNumber(s) || s < 0 || s > 1) throw new EvalInputError(`predictions[${i}] must be a score in [0, 1] (the probability of the positive class)`, i, 'predictions');
      proba[i * 2 + positive] = s;
      proba[i * 2 + (1 - positive)] = 1 - s;
      yhat[i] = s >= 0.5 ? positive : 1 - positive;
    }
  }
  let score: Float64Array | null = null;
  let isPositive: Uint8Array | null = null;
  let order: Int32Array | null = null;
  let ovr: Prepared['ovr'] = null;
  if (proba && k === 2 && positive !== null) {
    score = Float64Array.from({ length: n }, (_, i) => proba![i * 2 + positive]!);
    isPositive = Uint8Array.from(y, (v) => (v === positive ? 1 : 0));
    order = orderByScoreDesc(score);
  } else if (proba) {
    ovr = Array.from({ length: k }, (_, j) => {
      const s = Float64Array.from({ length: n }, (_, i) => proba![i * k + j]!);
      return { score: s, flags: Uint8Array.from(y, (v) => (v === j ? 1 : 0)), order: orderByScoreDesc(s) };
    });
  }
  const cell = Int32Array.from({ length: n }, (_, i) => y[i]! * k + yhat[i]!);
  let lossTerm: Float64Array | null = null;
  if (proba) {
    lossTerm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // The same clipping to [eps, 1 − eps] and renormalisation as logLoss(), per example.
      let rowSum = 0;
      for (let j = 0; j < k; j++) rowSum += Math.min(Math.max(proba[i * k + j]!, LOG_EPS), 1 - LOG_EPS);
      lossTerm[i] = -Math.log(Math.min(Math.max(proba[i * k + y[i]!]!, LOG_EPS), 1 - LOG_EPS) / rowSum);
    }
  }
  let brierTerm = score && isPositive ? Float64Array.from(score, (s, i) => (s - isPositive![i]!) ** 2) : null;
  let permCell = cell;
  let perm: Int32Array | null = null;
  let groupEnds: Int32Array | null = null;
  let sortedPositive: Uint8Array | null = null;
  if (order && score && isPositive) {
    perm = order;
    permCell = Int32Array.from(order, (i) => cell[i]!);
    if (lossTerm) lossTerm = Float64Array.from(order, (i) => lossTerm![i]!);
    brierTerm = Float64Array.from(order, (i) => brierTerm![i]!);
    sortedPositive = Uint8Array.from(order, (i) => isPositive![i]!);
    groupEnds = tieGroupEnds(order, score);
  }
  return {
    task: 'classification', n, classes, k, positive, y, yhat, proba, score, isPositive, order, ovr,
    yReg: new Float64Array(0), yhatReg: new Float64Array(0), cell: permCell, lossTerm, brierTerm, perm, groupEnds, sortedPositive,
  };
}

/**
 * The metrics under per-example weights from the precomputed terms: one pass for the confusion
 * counts, log loss and Brier score, one pass over the score ordering for AUC and average precision.
 * Equal to computeMetrics (tested); used for every bootstrap resample and slice.
 */
function weightedMetrics(p: Prepared, weights: Float64Array, errorOrder?: Int32Array): Record<string, number | null> {
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

/** Up to this many examples, resamples are exact multinomial draws; above, Poisson(1) weights. */
export const MULTINOMIAL_UP_TO = 20_000;

/** Fills `weights` with one bootstrap resample's counts, in resample order. */
function drawWeights(weights: Float64Array, random: () => number): void {
  const n = weights.length;
  if (n <= MULTINOMIAL_UP_TO) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(random() * n)]!++;
    return;
  }
  // Poisson bootstrap (Hanley & MacGibbon 2006; used at scale by Chamandy et al.): each example's count is
  // Poisson(1), independent, written in order — the multinomial counts' large-n limit, without random access.
  for (let i = 0; i < n; i++) {
    const u = random();
    let w = 0;
    while (w < 12 && u >= POISSON_CDF[w]!) w++;
    weights[i] = w;
  }
}

/** Every scalar metric of the whole input, by the functions checked against scikit-learn. */
function computeMetrics(p: Prepared, weights?: Float64Array, errorOrder?: Int32Array): Record<string, number | null> {
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

const HEADLINE = { classification: ['accuracy', 'f1_macro', 'roc_auc'], regression: ['mae', 'rmse', 'r2'] } as const;
/** Metrics where lower is better: a slice is worse when its value is higher. */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'mae', 'mse', 'rmse', 'mape', 'median_ae', 'max_error']);

function interval(values: Float64Array, count: number, level: number): Interval {
  const finite = values.subarray(0, count).filter(Number.isFinite).sort();
  const alpha = (1 - level) / 2;
  return { lower: percentile(finite, alpha * 100), upper: percentile(finite, (1 - alpha) * 100), level };
}

function slicesOf(p: Prepared, data: Record<string, unknown>[] | undefined, attributes: string[]): { attribute: string; value: string; members: Float64Array; count: number }[] {
  if (!data || attributes.length === 0) return [];
  const out: { attribute: string; value: string; members: Float64Array; count: number }[] = [];
  for (const attribute of attributes) {
    const values = data.map((row) => row?.[attribute]);
    const numeric = values.filter(isNumber);
    const distinct = new Set(values.map((v) => String(v)));
    if (numeric.length === values.length && distinct.size > 10) {
      const sorted = Float64Array.from(numeric).sort();
      const edges = [sorted[0]!, percentile(sorted, 25)!, percentile(sorted, 50)!, percentile(sorted, 75)!, sorted.at(-1)!];
      const fmt = (v: number) => Number(v.toPrecision(6)).toString();
      for (let b = 0; b < 4; b++) {
        const lo = edges[b]!;
        const hi = edges[b + 1]!;
        if (b > 0 && lo === edges[b - 1] && hi === lo) continue;
        const last = b === 3;
        const members = Float64Array.from(values as number[], (v) => (v >= lo && (last ? v <= hi : v < hi) ? 1 : 0));
        const count = members.reduce((s, m) => s + m, 0);
        if (count > 0) out.push({ attribute, value: `[${fmt(lo)}, ${fmt(hi)}${last ? ']' : ')'}`, members, count });
      }
    } else {
      for (const value of [...distinct].sort()) {
        const members = Float64Array.from(values, (v) => (String(v) === value ? 1 : 0));
        out.push({ attribute, value, members, count: members.reduce((s, m) => s + m, 0) });
      }
    }
  }
  return out;
}

/**
 * One evaluation input prepared once, whose metrics can be recomputed under any per-example
 * weights given in the input's own example order (for paired comparisons of two runs, which must
 * weight the same examples alike).
 */
export class Evaluator {
  private readonly p: Prepared;
  private readonly errorOrder: Int32Array | undefined;

  constructor(input: EvalInput) {
    this.p = prepare(input);
    const p = this.p;
    this.errorOrder = p.task === 'regression' ? Int32Array.from({ length: p.n }, (_, i) => i).sort((a, b) => Math.abs(p.yReg[a]! - p.yhatReg[a]!) - Math.abs(p.yReg[b]! - p.yhatReg[b]!)) : undefined;
  }

  get n(): number {
    return this.p.n;
  }

  metrics(weights?: Float64Array): Record<string, number | null> {
    if (!weights) return computeMetrics(this.p);
    const inOrder = this.p.perm ? Float64Array.from(this.p.perm, (i) => weights[i]!) : weights;
    return weightedMetrics(this.p, inOrder, this.errorOrder);
  }
}

/** One resample's counts over n examples (multinomial up to MULTINOMIAL_UP_TO, Poisson(1) above). */
export function resampleWeights(n: number, random: () => number, into = new Float64Array(n)): Float64Array {
  drawWeights(into, random);
  return into;
}

export function evaluate(input: EvalInput): EvalResult {
  const { config } = input;
  const bootstrap = {
    resamples: config.bootstrap?.resamples ?? 1000,
    level: config.bootstrap?.level ?? 0.95,
    seed: config.bootstrap?.seed ?? DEFAULT_SEED,
    method: config.bootstrap?.method ?? 'percentile',
  } as Required<BootstrapConfig>;
  const weightsScheme = input.labels.length <= MULTINOMIAL_UP_TO ? 'multinomial' : 'poisson';
  if (bootstrap.method !== 'percentile' && bootstrap.method !== 'bca') throw new EvalInputError("bootstrap.method must be 'percentile' or 'bca'", null, 'config.bootstrap.method');
  if (!(bootstrap.resamples >= 0 && bootstrap.resamples <= 100_000 && Number.isInteger(bootstrap.resamples))) throw new EvalInputError('bootstrap.resamples must be an integer in [0, 100000]', null, 'config.bootstrap.resamples');
  if (!(bootstrap.level > 0 && bootstrap.level < 1)) throw new EvalInputError('bootstrap.level must be between 0 and 1', null, 'config.bootstrap.level');
  const p = prepare(input);
  const n = p.n;
  const errorOrder =
    p.task === 'regression' ? Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(p.yReg[a]! - p.yhatReg[a]!) - Math.abs(p.yReg[b]! - p.yhatReg[b]!)) : undefined;

  const overall = computeMetrics(p);
  const keys = Object.keys(overall);
  const headline = HEADLINE[p.task].filter((key) => key in overall);
  const slices = slicesOf(p, input.data, config.sliceAttributes ?? []);
  const sliceMembers = slices.map((slice) => ({ attribute: slice.attribute, value: slice.value, members: Array.from(slice.members.keys()).filter((i) => slice.members[i]! > 0) }));
  if (p.perm) for (const slice of slices) slice.members = Float64Array.from(p.perm, (i) => slice.members[i]!);
  const minSlice = config.minSliceSize ?? 10;
  const sliceValues = slices.map((s) => weightedMetrics(p, s.members, errorOrder));

  // Bootstrap: the same resamples serve the overall metrics, every slice and every slice − overall difference.
  const R = bootstrap.resamples;
  const draws = new Map(keys.map((key) => [key, new Float64Array(R)]));
  const sliceDraws = slices.map(() => new Map(headline.map((key) => [key, { value: new Float64Array(R), diff: new Float64Array(R) }])));
  const random = rng(bootstrap.seed);
  const weights = new Float64Array(n);
  const masked = new Float64Array(n);
  for (let r = 0; r < R; r++) {
    drawWeights(weights, random);
    const m = weightedMetrics(p, weights, errorOrder);
    for (const key of keys) draws.get(key)![r] = m[key] ?? NaN;
    slices.forEach((slice, s) => {
      for (let i = 0; i < n; i++) masked[i] = weights[i]! * slice.members[i]!;
      let any = false;
      for (let i = 0; i < n && !any; i++) any = masked[i]! > 0;
      const sm = any ? weightedMetrics(p, masked, errorOrder) : null;
      for (const key of headline) {
        const d = sliceDraws[s]!.get(key)!;
        const v = sm?.[key] ?? NaN;
        d.value[r] = v;
        d.diff[r] = v - (m[key] ?? NaN);
      }
    });
  }

  const withCi = (value: number | null, samples: Float64Array | undefined): MetricWithCi => ({
    value,
    ci: value === null || !samples || R === 0 ? { lower: null, upper: null, level: bootstrap.level } : interval(samples, R, bootstrap.level),
  });
  const acceleration = bootstrap.method === 'bca' && R > 0 ? jackknifeAcceleration(p, keys, errorOrder) : null;
  const metrics = Object.fromEntries(
    keys.map((key) => {
      const value = overall[key] ?? null;
      if (!acceleration || value === null) return [key, withCi(value, draws.get(key))];
      return [key, { value, ci: bcaInterval(draws.get(key)!, value, acceleration.get(key) ?? NaN, bootstrap.level) }];
    }),
  );

  const sliceResults: SliceResult[] = slices.map((slice, s) => {
    const values = sliceValues[s]!;
    const sliceMetrics: Record<string, MetricWithCi> = {};
    const delta: Record<string, { diff: number | null; ci: Interval }> = {};
    let worse = false;
    for (const key of headline) {
      const d = sliceDraws[s]!.get(key)!;
      sliceMetrics[key] = withCi(values[key] ?? null, d.value);
      const diff = values[key] === null || overall[key] === null ? null : values[key]! - overall[key]!;
      const ci = diff === null || R === 0 ? { lower: null, upper: null, level: bootstrap.level } : interval(d.diff, R, bootstrap.level);
      delta[key] = { diff, ci };
      if (key === headline[0] && ci.lower !== null && ci.upper !== null) {
        worse = LOWER_IS_BETTER.has(key) ? ci.lower > 0 : ci.upper < 0;
      }
    }
    return { attribute: slice.attribute, value: slice.value, count: slice.count, metrics: sliceMetrics, deltaFromOverall: delta, significantlyWorse: worse, small: slice.count < minSlice };
  });

  return {
    taskType: p.task,
    n,
    metrics,
    perClass: p.task === 'classification' ? perClassMetrics(confusionMatrix(p.y, p.yhat, p.k), p.classes) : null,
    confusionMatrix:
      p.task === 'classification'
        ? { labels: p.classes, matrix: Array.from({ length: p.k }, (_, t) => Array.from(confusionMatrix(p.y, p.yhat, p.k).subarray(t * p.k, (t + 1) * p.k))) }
        : null,
    bootstrap: { ...bootstrap, weights: weightsScheme },
    slices: sliceResults,
    failureExamples: failures(p, input.data, config.maxFailureExamples ?? 100),
    perExample:
      p.task === 'classification'
        ? {
            classes: p.classes,
            positiveClass: p.positive === null ? null : p.classes[p.positive]!,
            labels: Array.from(p.y),
            predictions: Array.from(p.yhat),
            scores: p.score ? Array.from(p.score) : null,
            probabilities: !p.score && p.proba ? Array.from(p.proba) : null,
            slices: sliceMembers,
          }
        : { classes: null, positiveClass: null, labels: Array.from(p.yReg), predictions: Array.from(p.yhatReg), scores: null, probabilities: null, slices: sliceMembers },
  };
}

/** Up to this many examples the jackknife leaves out one example at a time; above, one of 1,000 groups. */
export const FULL_JACKKNIFE_UP_TO = 2000;

/**
 * The BCa acceleration of every metric from jackknife estimates: a = Σ(θ̄ − θᵢ)³ / (6 (Σ(θ̄ − θᵢ)²)^1.5).
 * Large inputs use a delete-a-group jackknife (1,000 groups by example index) to stay O(1000·n).
 */
function jackknifeAcceleration(p: Prepared, keys: string[], errorOrder?: Int32Array): Map<string, number> {
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
function bcaInterval(samples: Float64Array, value: number, a: number, level: number): Interval {
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

function failures(p: Prepared, data: Record<string, unknown>[] | undefined, max: number): { total: number; examples: Record<string, unknown>[] } {
  if (p.task === 'regression') {
    const order = Array.from({ length: p.n }, (_, i) => i).sort((a, b) => Math.abs(p.yReg[b]! - p.yhatReg[b]!) - Math.abs(p.yReg[a]! - p.yhatReg[a]!) || a - b);
    return {
      total: p.n,
      examples: order.slice(0, max).map((i) => ({ index: i, label: p.yReg[i], prediction: p.yhatReg[i], error: p.yhatReg[i]! - p.yReg[i]!, data: data?.[i] ?? null })),
    };
  }
  const wrong: number[] = [];
  for (let i = 0; i < p.n; i++) if (p.y[i] !== p.yhat[i]) wrong.push(i);
  const confidence = (i: number) => (p.proba ? p.proba[i * p.k + p.yhat[i]!]! : null);
  wrong.sort((a, b) => (confidence(b) ?? 0) - (confidence(a) ?? 0) || a - b);
  return {
    total: wrong.length,
    examples: wrong.slice(0, max).map((i) => ({ index: i, label: p.classes[p.y[i]!], prediction: p.classes[p.yhat[i]!], confidence: confidence(i), data: data?.[i] ?? null })),
  };
}
