import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, EvalInputError, Evaluator, type EvalInput, percentile, rng } from '../../../../src/shared/evalHarness';

const FIXTURES = path.join(import.meta.dirname, '../../../fixtures/eval');
const cases = JSON.parse(readFileSync(path.join(FIXTURES, 'metrics_cases.json'), 'utf8')).cases as {
  name: string;
  taskType: 'classification' | 'regression';
  classes?: (string | number)[];
  positiveClass?: string | number | null;
  predictionType?: 'label' | 'probabilities' | 'score';
  labels: unknown[];
  predictions: unknown[];
  expected: Record<string, number | null>;
}[];
const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'bootstrap_reference.json'), 'utf8')) as {
  accuracy: { case: string; lower: number; upper: number };
  mae: { case: string; lower: number; upper: number };
  bca: { accuracy: { lower: number; upper: number }; mae: { lower: number; upper: number } };
};
const byName = (name: string) => cases.find((c) => c.name === name)!;

/** A fixture case as evaluate()'s input. */
function inputOf(c: (typeof cases)[number], extra: object = {}): EvalInput {
  return {
    labels: c.labels,
    predictions: c.predictions,
    config: {
      taskType: c.taskType,
      ...(c.classes && { classes: c.classes }),
      ...(c.positiveClass !== null && c.positiveClass !== undefined && { positiveClass: c.positiveClass }),
      ...(c.predictionType && { predictionType: c.predictionType }),
      ...extra,
    },
  };
}

const run = (c: (typeof cases)[number], extra: object = {}) => evaluate(inputOf(c, { bootstrap: { resamples: 200 }, ...extra }));

describe('evaluate: values', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: every metric equals scikit-learn', (_name, c) => {
    const result = run(c);
    for (const [key, value] of Object.entries(c.expected)) {
      const got = result.metrics[key]?.value ?? null;
      if (value === null) expect(got, key).toBeNull();
      else expect(Math.abs((got as number) - value), key).toBeLessThanOrEqual(Math.max(1e-12, Math.abs(value) * 1e-9));
    }
  });

  it('infers the prediction type: arrays are probabilities, numbers in a binary task are scores', () => {
    const c = byName('binary scores with ties');
    const inferred = evaluate({ labels: c.labels, predictions: c.predictions, config: { taskType: 'classification', classes: c.classes!, positiveClass: 'pos', bootstrap: { resamples: 0 } } });
    expect(inferred.metrics.roc_auc!.value).toBeCloseTo(c.expected.roc_auc!, 12);
  });
});

describe('evaluate: bootstrap', () => {
  it('gives identical output for the same seed and different intervals for another', () => {
    const c = byName('binary scores with ties');
    const a = run(c, { bootstrap: { resamples: 300, seed: 7 } });
    const b = run(c, { bootstrap: { resamples: 300, seed: 7 } });
    const other = run(c, { bootstrap: { resamples: 300, seed: 8 } });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(other.metrics)).not.toBe(JSON.stringify(a.metrics));
  });

  it('puts every interval around its value at the requested level', () => {
    const result = run(byName('multiclass probabilities'), { bootstrap: { resamples: 400, level: 0.9 } });
    for (const [key, m] of Object.entries(result.metrics)) {
      if (m.value === null) continue;
      expect(m.ci.level).toBe(0.9);
      expect(m.ci.lower!, key).toBeLessThanOrEqual(m.value + 1e-12);
      expect(m.ci.upper!, key).toBeGreaterThanOrEqual(m.value - 1e-12);
    }
  });

  it("agrees with scipy.stats.bootstrap's percentile interval (within Monte Carlo error)", () => {
    const acc = run(byName(reference.accuracy.case), { bootstrap: { resamples: 20_000 } }).metrics.accuracy!.ci;
    expect(Math.abs(acc.lower! - reference.accuracy.lower)).toBeLessThan(0.01);
    expect(Math.abs(acc.upper! - reference.accuracy.upper)).toBeLessThan(0.01);
    const mae = run(byName(reference.mae.case), { bootstrap: { resamples: 20_000 } }).metrics.mae!.ci;
    expect(Math.abs(mae.lower! - reference.mae.lower)).toBeLessThan(0.01);
    expect(Math.abs(mae.upper! - reference.mae.upper)).toBeLessThan(0.01);
  });

  it("agrees with scipy.stats.bootstrap's BCa interval (within Monte Carlo error)", () => {
    const acc = run(byName(reference.accuracy.case), { bootstrap: { resamples: 20_000, method: 'bca' } }).metrics.accuracy!.ci;
    expect(Math.abs(acc.lower! - reference.bca.accuracy.lower)).toBeLessThan(0.01);
    expect(Math.abs(acc.upper! - reference.bca.accuracy.upper)).toBeLessThan(0.01);
    const mae = run(byName(reference.mae.case), { bootstrap: { resamples: 20_000, method: 'bca' } }).metrics.mae!.ci;
    expect(Math.abs(mae.lower! - reference.bca.mae.lower)).toBeLessThan(0.01);
    expect(Math.abs(mae.upper! - reference.bca.mae.upper)).toBeLessThan(0.01);
  });

  it('gives a BCa interval for large inputs too (grouped jackknife) and null when every resample lands on one side', () => {
    const n = 5000;
    const labels = Array.from({ length: n }, (_, i) => (i % 3 ? 'a' : 'b'));
    const predictions = labels.map((l, i) => (i % 11 === 0 ? (l === 'a' ? 'b' : 'a') : l));
    const bca = evaluate({ labels, predictions, config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 300, method: 'bca' } } });
    const acc = bca.metrics.accuracy!;
    expect(acc.ci.lower!).toBeLessThan(acc.value!);
    expect(acc.ci.upper!).toBeGreaterThan(acc.value!);
    const perfect = evaluate({ labels, predictions: labels, config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 50, method: 'bca' } } });
    expect(perfect.metrics.accuracy!.ci).toEqual({ lower: null, upper: null, level: 0.95 });
  });

  it('computes the weighted median for median_ae per resample (all-ones weights give the plain median)', () => {
    const c = byName('regression even count median');
    const result = run(c, { bootstrap: { resamples: 50 } });
    expect(result.metrics.median_ae!.value).toBe(c.expected.median_ae);
    expect(result.metrics.median_ae!.ci.lower).not.toBeNull();
  });

  it('switches to Poisson(1) weights above 20,000 examples and says so; the intervals stay tight around the value', () => {
    const n = 30_000;
    const labels = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 'b' : 'a'));
    const predictions = labels.map((l, i) => (i % 7 === 0 ? (l === 'a' ? 'b' : 'a') : l));
    const result = evaluate({ labels, predictions, config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 200 } } });
    expect(result.bootstrap.weights).toBe('poisson');
    const acc = result.metrics.accuracy!;
    // Normal approximation: half-width ≈ 1.96·sqrt(p(1−p)/n) ≈ 0.0040 for p ≈ 0.857.
    const halfWidth = (acc.ci.upper! - acc.ci.lower!) / 2;
    expect(halfWidth).toBeGreaterThan(0.003);
    expect(halfWidth).toBeLessThan(0.005);
    expect(run(byName('binary scores with ties')).bootstrap.weights).toBe('multinomial');
  });

  it('draws uniform numbers in [0, 1)', () => {
    const next = rng(1);
    const xs = Array.from({ length: 20_000 }, next);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.01);
  });

  it('interpolates percentiles as numpy does', () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 25)).toBe(1.75);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2.5);
  });
});

describe('evaluate: slices and failures', () => {
  const n = 400;
  const labels = Array.from({ length: n }, (_, i) => (i % 2 ? 'pos' : 'neg'));
  const data = Array.from({ length: n }, (_, i) => ({ region: i % 4 === 0 ? 'north' : 'south', age: 18 + (i % 80) }));
  // Right except in the north, where every prediction is wrong and confident.
  const predictions = labels.map((l, i) => (data[i]!.region === 'north' ? (l === 'pos' ? 0.05 : 0.95) : l === 'pos' ? 0.8 : 0.3));

  it('gives each category and numeric quartile its metrics, difference from overall, and flags the worse slice', () => {
    const result = evaluate({ labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['region', 'age'], bootstrap: { resamples: 300 } } });
    const north = result.slices.find((s) => s.attribute === 'region' && s.value === 'north')!;
    const south = result.slices.find((s) => s.attribute === 'region' && s.value === 'south')!;
    expect(north).toMatchObject({ count: 100, small: false, significantlyWorse: true });
    expect(north.metrics.accuracy!.value).toBe(0);
    expect(north.deltaFromOverall.accuracy!.diff).toBeCloseTo(-0.75, 12);
    expect(north.deltaFromOverall.accuracy!.ci.upper!).toBeLessThan(0);
    expect(south.significantlyWorse).toBe(false);
    expect(south.metrics.accuracy!.value).toBe(1);
    const ages = result.slices.filter((s) => s.attribute === 'age');
    expect(ages.map((s) => s.value)).toEqual(['[18, 37.75)', '[37.75, 57.5)', '[57.5, 77.25)', '[77.25, 97]']);
    expect(ages.reduce((sum, s) => sum + s.count, 0)).toBe(n);
  });

  it('flags slices smaller than minSliceSize', () => {
    const result = evaluate({ labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['region'], minSliceSize: 150, bootstrap: { resamples: 20 } } });
    expect(result.slices.find((s) => s.value === 'north')!.small).toBe(true);
  });

  it('ranks misclassified examples by confidence in the wrong class, with their data', () => {
    const preds = [0.9, 0.6, 0.2, 0.99, 0.4];
    const result = evaluate({
      labels: ['neg', 'neg', 'neg', 'neg', 'pos'],
      predictions: preds,
      data: preds.map((_, i) => ({ id: i })),
      config: { taskType: 'classification', classes: ['neg', 'pos'], maxFailureExamples: 2, bootstrap: { resamples: 0 } },
    });
    expect(result.failureExamples.total).toBe(4);
    expect(result.failureExamples.examples).toEqual([
      { index: 3, label: 'neg', prediction: 'pos', confidence: 0.99, data: { id: 3 } },
      { index: 0, label: 'neg', prediction: 'pos', confidence: 0.9, data: { id: 0 } },
    ]);
  });

  it('lists the largest regression errors first', () => {
    const result = evaluate({ labels: [1, 2, 3], predictions: [1.5, 0, 3], config: { taskType: 'regression', bootstrap: { resamples: 0 } } });
    expect(result.failureExamples.examples.map((e) => e.index)).toEqual([1, 0, 2]);
    expect(result.failureExamples.examples[0]).toMatchObject({ label: 2, prediction: 0, error: -2 });
  });
});

describe('evaluate: invalid input', () => {
  const bad = (input: Parameters<typeof evaluate>[0]) => {
    try {
      evaluate(input);
    } catch (e) {
      return e as EvalInputError;
    }
    throw new Error('accepted');
  };
  const config = { taskType: 'classification' as const, classes: ['a', 'b'], bootstrap: { resamples: 0 } };

  it.each([
    [{ labels: [], predictions: [], config }, /must not be empty/, null],
    [{ labels: ['a', 'b'], predictions: ['a'], config }, /1 entries but labels has 2/, null],
    [{ labels: ['a', 'c'], predictions: ['a', 'b'], config }, /labels\[1\] = "c" is not one of config.classes/, 1],
    [{ labels: ['a', 'b'], predictions: [[0.5, 0.5], [0.7, 0.2]], config }, /predictions\[1\] sums to 0.9/, 1],
    [{ labels: ['a', 'b'], predictions: [[0.5, 0.5], [1]], config }, /predictions\[1\] must be an array of 2/, 1],
    [{ labels: ['a', 'b'], predictions: [0.2, 1.5], config }, /predictions\[1\] must be a score in \[0, 1\]/, 1],
    [{ labels: [1, 2], predictions: [1, 'x'], config: { taskType: 'regression' as const } }, /predictions\[1\] must be a finite number/, 1],
    [{ labels: ['a'], predictions: ['a'], data: [], config }, /data has 0 rows/, null],
    [{ labels: ['a'], predictions: ['a'], config: { ...config, taskType: 'ranking' as 'regression' } }, /taskType/, null],
    [{ labels: ['a'], predictions: ['a'], config: { ...config, bootstrap: { method: 'studentized' as 'bca' } } }, /must be 'percentile' or 'bca'/, null],
  ])('%#: %s', (input, message, index) => {
    const e = bad(input as Parameters<typeof evaluate>[0]);
    expect(e).toBeInstanceOf(EvalInputError);
    expect(e.message).toMatch(message);
    expect(e.index).toBe(index);
  });
});

describe('weighted metrics used for resamples', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: with all weights 1 they equal the exact metrics', (_name, c) => {
    // The public Evaluator: without weights the exact computation, with weights the resampling one.
    const evaluator = new Evaluator(inputOf(c));
    const exact = evaluator.metrics();
    const weighted = evaluator.metrics(new Float64Array(evaluator.n).fill(1));
    for (const [key, value] of Object.entries(exact)) {
      if (value === null) expect(weighted[key] ?? null, key).toBeNull();
      else expect(Math.abs((weighted[key] as number) - value), key).toBeLessThanOrEqual(Math.max(1e-12, Math.abs(value) * 1e-12));
    }
  });
});

describe('evaluate: classes inferred when config.classes is omitted', () => {
  const strip = (r: ReturnType<typeof evaluate>) => JSON.parse(JSON.stringify({ metrics: r.metrics, perClass: r.perClass, confusionMatrix: r.confusionMatrix })) as unknown;
  it('sorts them as scikit-learn’s unique_labels does: numbers by value, strings by code point (upper case first)', () => {
    const numbers = evaluate({ labels: [10, 2, 1, 2], predictions: [2, 2, 10, 1], config: { taskType: 'classification', bootstrap: { resamples: 0 } } });
    expect(numbers.confusionMatrix!.labels).toEqual([1, 2, 10]); // not '1' < '10' < '2'
    const strings = evaluate({ labels: ['dog', 'cat', 'Ant'], predictions: ['cat', 'cat', 'dog'], config: { taskType: 'classification', bootstrap: { resamples: 0 } } });
    expect(strings.confusionMatrix!.labels).toEqual(['Ant', 'cat', 'dog']);
  });

  it('answers exactly as with the classes given in that order, for labels, scores and probability rows', () => {
    const labels = ['neg', 'pos', 'pos', 'neg', 'pos', 'neg'];
    const cases: EvalInput[] = [
      { labels, predictions: ['neg', 'pos', 'neg', 'neg', 'pos', 'pos'], config: { taskType: 'classification', bootstrap: { resamples: 50, seed: 3 } } },
      { labels, predictions: [0.1, 0.8, 0.4, 0.3, 0.9, 0.6], config: { taskType: 'classification', bootstrap: { resamples: 50, seed: 3 } } },
      { labels: [0, 1, 2, 1], predictions: [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]], config: { taskType: 'classification', bootstrap: { resamples: 50, seed: 3 } } },
    ];
    for (const input of cases) {
      const classes = [...new Set(input.labels as (string | number)[])].sort((a, b) => (a < b ? -1 : 1));
      expect(strip(evaluate(input))).toEqual(strip(evaluate({ ...input, config: { ...input.config, classes } })));
    }
  });

  it('asks for config.classes when numbers and strings mix, or only one class appears', () => {
    expect(() => evaluate({ labels: [1, 'a'], predictions: [1, 'a'], config: { taskType: 'classification' } })).toThrow(/config.classes is needed/);
    expect(() => evaluate({ labels: ['a', 'a'], predictions: ['a', 'a'], config: { taskType: 'classification' } })).toThrow(/at least two classes \(the labels and predictions hold 1\)/);
  });
});
