/** Every metric against scikit-learn's values for the same inputs (tests/fixtures/generate_eval_fixtures.py). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  brier,
  confusionMatrix,
  confusionMetrics,
  logLoss,
  orderByScoreDesc,
  perClassMetrics,
  rankMetrics,
  regressionMetrics,
} from '../../../../src/shared/evalHarness/metrics';
import { evaluate } from '../../../../src/shared/evalHarness';
import { topByKey } from '../../../../src/shared/evalHarness/failures';

interface ClassificationCase {
  name: string;
  taskType: 'classification';
  classes: (string | number)[];
  positiveClass: string | number | null;
  predictionType: 'label' | 'probabilities' | 'score';
  labels: (string | number)[];
  predictions: unknown[];
  expected: Record<string, number | null>;
  perClass: { class: string | number; precision: number; recall: number; f1: number; support: number }[];
  confusionMatrix: number[][];
}
interface RegressionCase {
  name: string;
  taskType: 'regression';
  labels: number[];
  predictions: number[];
  expected: Record<string, number | null>;
}

const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../fixtures/eval/metrics_cases.json'), 'utf8')) as {
  sklearn: string;
  cases: (ClassificationCase | RegressionCase)[];
};

/** Equal to 1e-9 relative (absolute near zero); null only where scikit-learn says NaN. */
function expectClose(actual: number | null | undefined, expected: number | null, label: string) {
  if (expected === null) {
    expect(actual ?? null, label).toBeNull();
    return;
  }
  expect(actual, label).not.toBeNull();
  const tolerance = Math.max(1e-12, Math.abs(expected) * 1e-9);
  expect(Math.abs((actual as number) - expected), `${label}: ${actual} vs scikit-learn ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Encodes a fixture case the way the harness does: indices into classes, probabilities aligned with classes. */
function encode(c: ClassificationCase) {
  const k = c.classes.length;
  const index = (v: string | number) => c.classes.indexOf(v);
  const y = Int32Array.from(c.labels, index);
  const n = y.length;
  const positive = c.positiveClass === null ? (k === 2 ? 1 : null) : index(c.positiveClass);
  let proba: Float64Array | null = null;
  let yhat: Int32Array;
  if (c.predictionType === 'label') yhat = Int32Array.from(c.predictions as (string | number)[], index);
  else if (c.predictionType === 'probabilities') {
    proba = Float64Array.from((c.predictions as number[][]).flat());
    yhat = Int32Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (proba![i * k + j]! > proba![i * k + best]!) best = j;
      return best;
    });
  } else {
    const s = c.predictions as number[];
    proba = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      proba[i * 2 + positive!] = s[i]!;
      proba[i * 2 + (1 - positive!)] = 1 - s[i]!;
    }
    yhat = Int32Array.from(s, (v) => (v >= 0.5 ? positive! : 1 - positive!));
  }
  return { k, y, yhat, proba, positive };
}

describe(`evalMetrics against scikit-learn ${fixture.sklearn}`, () => {
  const classification = fixture.cases.filter((c): c is ClassificationCase => c.taskType === 'classification');
  const regression = fixture.cases.filter((c): c is RegressionCase => c.taskType === 'regression');

  it.each(classification.map((c) => [c.name, c] as const))('classification: %s', (_name, c) => {
    const { k, y, yhat, proba, positive } = encode(c);
    const cm = confusionMatrix(y, yhat, k);
    expect(Array.from({ length: k }, (_, t) => Array.from(cm.subarray(t * k, t * k + k)))).toEqual(c.confusionMatrix);
    const got: Record<string, number | null> = confusionMetrics(cm, k, k === 2 ? positive : null);
    if (proba) {
      got.log_loss = logLoss(y, proba, k);
      if (k === 2) {
        const score = Float64Array.from({ length: y.length }, (_, i) => proba[i * 2 + positive!]!);
        const isPos = Uint8Array.from(y, (v) => (v === positive ? 1 : 0));
        const ranks = rankMetrics(orderByScoreDesc(score), score, isPos);
        got.roc_auc = ranks.rocAuc;
        got.average_precision = ranks.averagePrecision;
        got.brier = brier(score, isPos);
      } else {
        const aucs = Array.from({ length: k }, (_, j) => {
          const score = Float64Array.from({ length: y.length }, (_, i) => proba[i * k + j]!);
          return rankMetrics(orderByScoreDesc(score), score, Uint8Array.from(y, (v) => (v === j ? 1 : 0))).rocAuc;
        });
        got.roc_auc = aucs.some((a) => a === null) ? null : aucs.reduce<number>((sum, a) => sum + (a as number), 0) / k;
      }
    }
    for (const [key, value] of Object.entries(c.expected)) expectClose(got[key], value, key);
    const per = perClassMetrics(cm, c.classes);
    per.forEach((p, j) => {
      expect(p.class).toBe(c.perClass[j]!.class);
      expect(p.support).toBe(c.perClass[j]!.support);
      for (const key of ['precision', 'recall', 'f1'] as const) expectClose(p[key], c.perClass[j]![key], `${String(p.class)} ${key}`);
    });
  });

  it.each(regression.map((c) => [c.name, c] as const))('regression: %s', (_name, c) => {
    const got = regressionMetrics(Float64Array.from(c.labels), Float64Array.from(c.predictions));
    for (const [key, value] of Object.entries(c.expected)) expectClose(got[key], value, key);
  });

  it('computes every metric the issue names, and each is compared with scikit-learn above', () => {
    // What evaluate() reports for a binary task with scores and for a regression task…
    const binary = evaluate({ predictions: [0.9, 0.2, 0.6, 0.4, 0.7], labels: ['b', 'a', 'b', 'a', 'a'], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 0 } } });
    const regression = evaluate({ predictions: [1, 2, 3.5], labels: [1.5, 2, 2.5], config: { taskType: 'regression', bootstrap: { resamples: 0 } } });
    const computed = new Set([...Object.keys(binary.metrics), ...Object.keys(regression.metrics)]);
    // …and what the fixture cases check against scikit-learn.
    const compared = new Set(fixture.cases.flatMap((c) => Object.keys(c.expected)));
    for (const key of [
      'accuracy', 'balanced_accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'precision_weighted', 'recall_weighted', 'f1_weighted',
      'precision_micro', 'recall_micro', 'f1_micro', 'mcc', 'cohen_kappa', 'precision', 'recall', 'f1', 'log_loss', 'roc_auc', 'average_precision',
      'brier', 'mae', 'mse', 'rmse', 'r2', 'mape', 'median_ae', 'explained_variance', 'max_error',
    ]) {
      expect(computed.has(key), `${key} is computed by evaluate()`).toBe(true);
      expect(compared.has(key), `${key} is checked against scikit-learn`).toBe(true);
    }
  });
});

describe('orderByScoreDesc', () => {
  const byComparator = (score: Float64Array) => Int32Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  it('orders as sorting indices by descending score, ties by index, 0 and -0 as one score', () => {
    let s = 5;
    const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const cases = [
      new Float64Array(0),
      Float64Array.of(0.5),
      Float64Array.of(0, -0, 0, -0, 1, -1),
      Float64Array.from({ length: 5000 }, () => Math.round(random() * 20) / 20),
      Float64Array.from({ length: 5000 }, () => random()),
      Float64Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 1e300 : -i)),
    ];
    for (const score of cases) expect(Array.from(orderByScoreDesc(score))).toEqual(Array.from(byComparator(score)));
  });

  it('keeps the comparator\'s order when a score is NaN', () => {
    const score = Float64Array.of(0.3, NaN, 0.9, 0.3);
    expect(Array.from(orderByScoreDesc(score))).toEqual(Array.from(byComparator(score)));
  });
});

describe('topByKey (failure examples)', () => {
  it('keeps the first k of a full sort by key descending, index ascending', () => {
    let s = 11;
    const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    for (const [n, k, steps] of [[0, 5, 10], [7, 100, 3], [1000, 100, 5], [1000, 1000, 1000], [5000, 1, 0], [5000, 37, 2]] as const) {
      const keys = Float64Array.from({ length: n }, () => (steps ? Math.floor(random() * steps) / steps : random()));
      const candidates = Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 1);
      const sorted = [...candidates].sort((a, b) => keys[b]! - keys[a]! || a - b).slice(0, k);
      expect(topByKey(candidates, k, (i) => keys[i]!)).toEqual(sorted);
    }
  });
});
