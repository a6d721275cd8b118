/**
 * The evaluation's curves against scikit-learn 1.2's roc_curve, precision_recall_curve and
 * calibration_curve (tests/fixtures/generate_curve_fixtures.py), binary and one-vs-rest; the
 * expected calibration error by hand; thinning to at most 1,000 points keeps the ends.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrationCurve, classificationCurves, MAX_CURVE_POINTS, precisionRecallCurve, regressionCurves, rocCurve } from '../../../../src/shared/evalHarness/curves';

interface BinaryCase {
  name: string;
  isPositive: number[];
  score: number[];
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  calibration: { probTrue: number[]; probPred: number[] };
}
const fixtures = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/eval/curves_cases.json'), 'utf8')) as {
  binary: BinaryCase[];
  multiclass: { labels: number[]; proba: number[][]; perClass: BinaryCase[] };
};

const close = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
};

describe.each(fixtures.binary)('$name', (c) => {
  it('matches sklearn roc_curve', () => {
    const roc = rocCurve(c.isPositive, c.score);
    close(roc.fpr, c.roc.fpr);
    close(roc.tpr, c.roc.tpr);
    close(roc.thresholds, c.roc.thresholds);
  });
  it('matches sklearn precision_recall_curve', () => {
    const pr = precisionRecallCurve(c.isPositive, c.score);
    close(pr.precision, c.pr.precision);
    close(pr.recall, c.pr.recall);
    close(pr.thresholds, c.pr.thresholds);
  });
  it('matches sklearn calibration_curve (10 uniform bins)', () => {
    const cal = calibrationCurve(c.isPositive, c.score);
    close(cal.probTrue, c.calibration.probTrue);
    close(cal.probPred, c.calibration.probPred);
  });
});

describe('one-vs-rest curves of a multiclass evaluation', () => {
  it('gives each class the binary curves of (label = c, probability of c)', () => {
    const { labels, proba, perClass } = fixtures.multiclass;
    const doc = classificationCurves([0, 1, 2], labels, (i, c) => proba[i]![c]!, null);
    expect(doc.classes.map((k) => k.positive)).toEqual([0, 1, 2]);
    doc.classes.forEach((k, c) => {
      close(k.roc.tpr, perClass[c]!.roc.tpr);
      close(k.pr.precision, perClass[c]!.pr.precision);
      close(k.calibration.probTrue, perClass[c]!.calibration.probTrue);
    });
  });
});

describe('expected calibration error and thinning', () => {
  it('weighs each bin’s gap by its share: probabilities 0.05, 0.05 (none positive), 0.95, 0.95 (one positive) → ½·0.05 + ½·0.45 = 0.25', () => {
    expect(calibrationCurve([0, 0, 1, 0], [0.05, 0.05, 0.95, 0.95]).ece).toBeCloseTo(0.25, 12);
  });

  it('keeps at most 1,000 points, the ends included, and says it thinned', () => {
    const n = 5000;
    const isPositive = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const score = Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n);
    const doc = classificationCurves(['neg', 'pos'], isPositive, (i, c) => (c === 1 ? score[i]! : 1 - score[i]!), 1);
    const roc = doc.classes[0]!.roc;
    const full = rocCurve(isPositive, score);
    expect(full.fpr.length).toBeGreaterThan(MAX_CURVE_POINTS);
    expect(roc.fpr).toHaveLength(MAX_CURVE_POINTS);
    expect([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)]).toEqual([0, 0, 1, 1]);
    expect(doc.downsampled).toBe(true);
    const reg = regressionCurves([1, 2, 3], [1.5, 2, 2]);
    expect(reg.regression).toEqual({ predicted: [1.5, 2, 2], actual: [1, 2, 3], residual: [-0.5, 0, 1] });
  });
});
