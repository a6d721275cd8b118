/** What an evaluation takes and gives: the request (from the API schema), results, per-example values, input errors. */
import type { EvaluateBody } from '../contract/schemas';
import type { ClassValue, PerClass } from './metrics';
import type { CurvesDocument } from './curves';
import type { z } from 'zod';

/** The evaluation request, as the API's schema defines it (one definition: src/shared/contract/schemas.ts). */
/** An evaluation's input, inline (a request naming a dataset's columns is read into this first). */
export type EvalInput = Omit<z.infer<typeof EvaluateBody>, 'predictions' | 'labels' | 'datasetId' | 'columns'> & {
  predictions: NonNullable<z.infer<typeof EvaluateBody>['predictions']>;
  labels: NonNullable<z.infer<typeof EvaluateBody>['labels']>;
};

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
  /** ROC, precision–recall and reliability curves (classification with scores or probabilities), or regression's residuals. */
  curves: CurvesDocument;
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
