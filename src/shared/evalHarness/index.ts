/**
 * evaluate({predictions, labels, data?, config}) → metrics with bootstrap confidence intervals,
 * slices and failure examples. Pure TypeScript (no Node or DOM APIs): the browser can run it too.
 *
 * Bootstrap: every resample is a vector of multinomial counts over the examples (the same draws a
 * resample of indices would make), and every metric is computed from per-example values with those
 * counts as weights, so nothing is re-sorted per resample (AUC and average precision reuse one
 * ordering by score). The same seed gives identical output.
 */
import { classificationCurves, regressionCurves } from './curves';
import { failures } from './failures';
import { confusionMatrix, perClassMetrics } from './metrics';
import { prepare, type Prepared } from './prepare';
import { bcaInterval, DEFAULT_SEED, drawWeights, interval, jackknifeAcceleration, MULTINOMIAL_UP_TO, rng } from './resampling';
import { type AttributeValues, sliceIndexOf, slicesOf } from './slices';
import { BinaryPass, hasBinaryPass } from './binaryPass';
import { type BootstrapConfig, type EvalInput, EvalInputError, type EvalResult, type Interval, type MetricWithCi, type SliceResult } from './types';
import { computeMetrics, weightedMetrics } from './weighted';
export { DEFAULT_SEED, FULL_JACKKNIFE_UP_TO, interval, MULTINOMIAL_UP_TO, percentile, resampleWeights, rng } from './resampling';
export { type BootstrapConfig, type EvalConfig, type EvalInput, EvalInputError, type EvalResult, inputFromPerExample, type Interval, type MetricWithCi, type PerExample, type SliceResult } from './types';

const HEADLINE = { classification: ['accuracy', 'f1_macro', 'roc_auc'], regression: ['mae', 'rmse', 'r2'] } as const;

/** Metrics where lower is better: a slice is worse when its value is higher. */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'mae', 'mse', 'rmse', 'mape', 'median_ae', 'max_error']);

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

/** Resample draws of one block: per metric key (in the Evaluation's key order), then per slice and headline key its value and its difference from overall. */
export interface BlockDraws {
  block: number;
  resamples: number;
  /** keys.length × resamples, key-major. */
  overall: Float64Array;
  /** slices × headline × 2 (value, diff) × resamples. */
  slices: Float64Array;
}

/** Above the multinomial limit, the resamples are drawn in two blocks from two streams, so two threads can share the work. */
export const blocksFor = (n: number): number => (n > MULTINOMIAL_UP_TO ? 2 : 1);

/** The first block continues the seed's stream; the second starts one of its own. */
const blockSeed = (seed: number, block: number) => (block === 0 ? seed : (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + block) >>> 0);

/**
 * What drawing resamples needs — the prepared input, the metric keys, the slices' memberships in
 * score order and the bootstrap settings — as plain data (typed arrays, arrays, numbers): it
 * survives a structured clone, so a second thread draws its block from a copy of the first
 * thread's preparation instead of preparing the whole input again.
 */
export interface ResamplingPlan {
  p: Prepared;
  errorOrder: Int32Array | undefined;
  keys: string[];
  headline: string[];
  slices: { attribute: string; value: string; members: Float64Array; count: number }[];
  seed: number;
  resamples: number;
  blocks: number;
  weightsScheme: 'multinomial' | 'poisson';
}

/** Resamples [from, to) of block b of a plan. */
function rangeOf(plan: ResamplingPlan, block: number): [number, number] {
  const half = Math.ceil(plan.resamples / plan.blocks);
  return [Math.min(plan.resamples, block * half), Math.min(plan.resamples, (block + 1) * half)];
}

const binaryPasses = new WeakMap<ResamplingPlan, BinaryPass>();

/** Draws block b's resamples of a plan: the same resamples serve the overall metrics, every slice and every slice − overall difference. */
export function drawBlock(plan: ResamplingPlan, block: number): BlockDraws {
  const { p, keys, headline, slices, errorOrder } = plan;
  const n = p.n;
  const [from, to] = rangeOf(plan, block);
  const count = to - from;
  const overallDraws = new Float64Array(keys.length * count);
  const sliceDraws = new Float64Array(slices.length * headline.length * 2 * count);
  const random = rng(blockSeed(plan.seed, block));
  // Binary tasks with scores: one pass per resample for the whole set and every slice; Poisson
  // weights (0–12) as bytes, so a resample's pass reads 2 bytes per example.
  let single: BinaryPass | null = null;
  if (count > 0 && hasBinaryPass(p)) {
    single = binaryPasses.get(plan) ?? new BinaryPass(p, sliceIndexOf(slices, n));
    binaryPasses.set(plan, single);
  }
  const weights = single && plan.weightsScheme === 'poisson' ? new Uint8Array(n) : new Float64Array(n);
  // The general path's per-slice copy of the weights (the single pass needs none).
  const masked = single ? null : new Float64Array(n);
  for (let r = 0; r < count; r++) {
    drawWeights(weights, random);
    if (single) single.run(weights);
    const m = single ? single.overall() : weightedMetrics(p, weights as Float64Array, errorOrder);
    for (let k = 0; k < keys.length; k++) overallDraws[k * count + r] = m[keys[k]!] ?? NaN;
    slices.forEach((slice, s) => {
      let sm: Record<string, number | null> | null;
      if (single) sm = single.slice(s);
      else {
        const mask = masked!;
        for (let i = 0; i < n; i++) mask[i] = weights[i]! * slice.members[i]!;
        let any = false;
        for (let i = 0; i < n && !any; i++) any = mask[i]! > 0;
        sm = any ? weightedMetrics(p, mask, errorOrder) : null;
      }
      headline.forEach((key, h) => {
        const at = ((s * headline.length + h) * 2) * count + r;
        const v = sm?.[key] ?? NaN;
        sliceDraws[at] = v;
        sliceDraws[at + count] = v - (m[key] ?? NaN);
      });
    });
  }
  return { block, resamples: count, overall: overallDraws, slices: sliceDraws };
}

/**
 * One evaluation in phases: the constructor prepares the input; runBlock(b) draws block b's
 * resamples (any thread: blocks are independent and deterministic, and drawBlock(plan, b) draws
 * them from the plan alone); finish(blocks) turns the draws into intervals and the documents.
 * evaluate() runs them in one thread; the server runs the two blocks of a large input on two worker
 * threads. The result depends on the seed only.
 */
export class Evaluation {
  readonly n: number;
  readonly blocks: number;
  private readonly bootstrap: Required<BootstrapConfig>;
  private readonly p: Prepared;
  private readonly overall: Record<string, number | null>;
  private readonly sliceMembers: { attribute: string; value: string; members: number[] }[];
  /** What drawing a block needs (see ResamplingPlan). */
  readonly plan: ResamplingPlan;

  /**
   * `columns`: the slice attributes' values per example, in place of reading them from the data rows
   * (a worker thread is sent these columns, not the rows; its input's `data` then only has the rows'
   * number, and its failure examples carry no row).
   */
  constructor(
    private readonly input: EvalInput,
    columns?: Record<string, unknown[]>,
  ) {
    const { config } = input;
    this.bootstrap = {
      resamples: config.bootstrap?.resamples ?? 1000,
      level: config.bootstrap?.level ?? 0.95,
      seed: config.bootstrap?.seed ?? DEFAULT_SEED,
      method: config.bootstrap?.method ?? 'percentile',
    } as Required<BootstrapConfig>;
    const bootstrap = this.bootstrap;
    const weightsScheme = input.labels.length <= MULTINOMIAL_UP_TO ? 'multinomial' : 'poisson';
    if (bootstrap.method !== 'percentile' && bootstrap.method !== 'bca') throw new EvalInputError("bootstrap.method must be 'percentile' or 'bca'", null, 'config.bootstrap.method');
    if (!(bootstrap.resamples >= 0 && bootstrap.resamples <= 100_000 && Number.isInteger(bootstrap.resamples))) throw new EvalInputError('bootstrap.resamples must be an integer in [0, 100000]', null, 'config.bootstrap.resamples');
    if (!(bootstrap.level > 0 && bootstrap.level < 1)) throw new EvalInputError('bootstrap.level must be between 0 and 1', null, 'config.bootstrap.level');
    const p = prepare(input);
    this.p = p;
    this.n = p.n;
    this.blocks = blocksFor(p.n);
    const n = p.n;
    const errorOrder =
      p.task === 'regression' ? Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(p.yReg[a]! - p.yhatReg[a]!) - Math.abs(p.yReg[b]! - p.yhatReg[b]!)) : undefined;
    this.overall = computeMetrics(p);
    const keys = Object.keys(this.overall);
    const headline = HEADLINE[p.task].filter((key) => key in this.overall);
    const rows = input.data;
    const valuesOf: AttributeValues | null = columns ? (a) => columns[a] ?? new Array<unknown>(n).fill(undefined) : rows ? (a) => rows.map((row) => row?.[a]) : null;
    const slices = slicesOf(p, valuesOf, config.sliceAttributes ?? []);
    this.sliceMembers = slices.map((slice) => {
      const members: number[] = [];
      for (let i = 0; i < n; i++) if (slice.members[i]! > 0) members.push(i);
      return { attribute: slice.attribute, value: slice.value, members };
    });
    const perm = p.perm;
    if (perm) {
      for (const slice of slices) {
        const inOrder = new Float64Array(n);
        for (let j = 0; j < n; j++) inOrder[j] = slice.members[perm[j]!]!;
        slice.members = inOrder;
      }
    }
    this.plan = { p, errorOrder, keys, headline, slices, seed: bootstrap.seed, resamples: bootstrap.resamples, blocks: this.blocks, weightsScheme };
  }

  /** Draws block b's resamples. */
  runBlock(block: number): BlockDraws {
    return drawBlock(this.plan, block);
  }

  /** The result from every block's draws (in any order). */
  finish(blockDraws: BlockDraws[]): EvalResult {
    const { p, overall, bootstrap, input } = this;
    const { keys, headline, slices, errorOrder } = this.plan;
    const { config } = input;
    const n = p.n;
    const R = bootstrap.resamples;
    const ordered = [...blockDraws].sort((a, b) => a.block - b.block);
    if (ordered.length !== this.blocks || ordered.some((b, i) => b.block !== i || b.resamples !== rangeOf(this.plan, i)[1] - rangeOf(this.plan, i)[0])) {
      throw new Error(`evaluation: expected the draws of blocks 0..${this.blocks - 1}`);
    }
    /** The draws of one series (at `offset` within each block's `stride`-long series) over all blocks. */
    const gather = (part: 'overall' | 'slices', index: number): Float64Array => {
      const out = new Float64Array(R);
      let at = 0;
      for (const b of ordered) {
        out.set(b[part].subarray(index * b.resamples, (index + 1) * b.resamples), at);
        at += b.resamples;
      }
      return out;
    };
    const draws = new Map(keys.map((key, k) => [key, gather('overall', k)]));
    const minSlice = config.minSliceSize ?? 10;
    const sliceValues = slices.map((s) => weightedMetrics(p, s.members, errorOrder));

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
      headline.forEach((key, h) => {
        const series = (s * headline.length + h) * 2;
        sliceMetrics[key] = withCi(values[key] ?? null, gather('slices', series));
        const diff = values[key] === null || overall[key] === null ? null : values[key]! - overall[key]!;
        const ci = diff === null || R === 0 ? { lower: null, upper: null, level: bootstrap.level } : interval(gather('slices', series + 1), R, bootstrap.level);
        delta[key] = { diff, ci };
        if (key === headline[0] && ci.lower !== null && ci.upper !== null) {
          worse = LOWER_IS_BETTER.has(key) ? ci.lower > 0 : ci.upper < 0;
        }
      });
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
      bootstrap: { ...bootstrap, weights: this.plan.weightsScheme },
      slices: sliceResults,
      failureExamples: failures(p, input.data, config.maxFailureExamples ?? 100),
      curves:
        p.task === 'classification'
          ? classificationCurves(p.classes, p.y, p.proba ? (i, c) => p.proba![i * p.k + c]! : null, p.positive)
          : regressionCurves(p.yReg, p.yhatReg),
      perExample:
        p.task === 'classification'
          ? {
              classes: p.classes,
              positiveClass: p.positive === null ? null : p.classes[p.positive]!,
              labels: Array.from(p.y),
              predictions: Array.from(p.yhat),
              scores: p.score ? Array.from(p.score) : null,
              probabilities: !p.score && p.proba ? Array.from(p.proba) : null,
              slices: this.sliceMembers,
            }
          : { classes: null, positiveClass: null, labels: Array.from(p.yReg), predictions: Array.from(p.yhatReg), scores: null, probabilities: null, slices: this.sliceMembers },
    };
  }
}

/** The whole evaluation in this thread. */
export function evaluate(input: EvalInput, columns?: Record<string, unknown[]>): EvalResult {
  const evaluation = new Evaluation(input, columns);
  return evaluation.finish(Array.from({ length: evaluation.blocks }, (_, b) => evaluation.runBlock(b)));
}
export { type BinaryCurves, type CurvesDocument, MAX_CURVE_POINTS } from './curves';
