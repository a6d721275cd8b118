/** Preparing an input once: labels and predictions checked and encoded (class indices, scores, probabilities). */
import { type ClassValue, orderByScoreDesc, tieGroupEnds } from './metrics';
import { type EvalInput, EvalInputError } from './types';

const LOG_EPS = 2.220446049250313e-16; // numpy.finfo(float64).eps, as evalMetrics.logLoss

export interface Prepared {
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

export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * config.classes when it is not given: the distinct labels, and the distinct predictions when they
 * are labels too (not scores or probability rows), sorted as scikit-learn's unique_labels sorts them
 * — numbers by value, strings by code point. Numbers and strings mixed need config.classes.
 */
export function inferClasses(labels: readonly unknown[], predictions: readonly unknown[], predictionType?: 'label' | 'score' | 'probabilities'): ClassValue[] {
  const seen = new Set<unknown>(labels);
  const first = predictions[0];
  const predictedLabels = predictionType === 'label' || (predictionType === undefined && !Array.isArray(first) && !(seen.size === 2 && isNumber(first) && !predictions.every((p) => seen.has(p))));
  if (predictedLabels) for (const p of predictions) seen.add(p);
  const values = [...seen];
  if (values.every(isNumber)) return (values as number[]).sort((a, b) => a - b);
  if (values.every((v): v is string => typeof v === 'string')) return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  throw new EvalInputError('config.classes is needed: the labels and predictions mix numbers and strings (or hold other values), so their order cannot be inferred', null, 'config.classes');
}

export function prepare(input: EvalInput): Prepared {
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
  const classes = config.classes ?? inferClasses(labels, predictions, config.predictionType);
  if (!Array.isArray(classes) || classes.length < 2) throw new EvalInputError(`config.classes must list at least two classes${config.classes === undefined ? ` (the labels and predictions hold ${classes.length})` : ''}`, null, 'config.classes');
  const k = classes.length;
  const index = new Map<string, number>(classes.map((c, i) => [`${typeof c}:${String(c)}`, i]));
  // Strings and numbers (nearly every label) looked up by value, without building a key per example:
  // a Map compares numbers as `${typeof}:${String()}` does (SameValueZero: 0 = -0, NaN = NaN).
  const byString = new Map<unknown, number>();
  const byNumber = new Map<unknown, number>();
  classes.forEach((c, i) => {
    if (typeof c === 'string' && !byString.has(c)) byString.set(c, i);
    else if (typeof c === 'number' && !byNumber.has(c)) byNumber.set(c, i);
  });
  const indexOf = (v: unknown) => (typeof v === 'string' ? byString.get(v) : typeof v === 'number' ? byNumber.get(v) : index.get(`${typeof v}:${String(v)}`));
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
    score = new Float64Array(n);
    isPositive = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      score[i] = proba[i * 2 + positive]!;
      isPositive[i] = y[i] === positive ? 1 : 0;
    }
    order = orderByScoreDesc(score);
  } else if (proba) {
    ovr = Array.from({ length: k }, (_, j) => {
      const s = Float64Array.from({ length: n }, (_, i) => proba![i * k + j]!);
      return { score: s, flags: Uint8Array.from(y, (v) => (v === j ? 1 : 0)), order: orderByScoreDesc(s) };
    });
  }
  const cell = new Int32Array(n);
  for (let i = 0; i < n; i++) cell[i] = y[i]! * k + yhat[i]!;
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
  let brierTerm: Float64Array | null = null;
  if (score && isPositive) {
    brierTerm = new Float64Array(n);
    for (let i = 0; i < n; i++) brierTerm[i] = (score[i]! - isPositive[i]!) ** 2;
  }
  let permCell = cell;
  let perm: Int32Array | null = null;
  let groupEnds: Int32Array | null = null;
  let sortedPositive: Uint8Array | null = null;
  if (order && score && isPositive && brierTerm) {
    perm = order;
    // The per-example terms in score order (loops: a typed array's from() with a callback cost ~4× as much here).
    permCell = new Int32Array(n);
    const permLoss = lossTerm ? new Float64Array(n) : null;
    const permBrier = new Float64Array(n);
    sortedPositive = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      permCell[j] = cell[i]!;
      if (permLoss) permLoss[j] = lossTerm![i]!;
      permBrier[j] = brierTerm[i]!;
      sortedPositive[j] = isPositive[i]!;
    }
    lossTerm = permLoss;
    brierTerm = permBrier;
    groupEnds = tieGroupEnds(order, score);
  }
  return {
    task: 'classification', n, classes, k, positive, y, yhat, proba, score, isPositive, order, ovr,
    yReg: new Float64Array(0), yhatReg: new Float64Array(0), cell: permCell, lossTerm, brierTerm, perm, groupEnds, sortedPositive,
  };
}
