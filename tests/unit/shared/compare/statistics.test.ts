import { describe, expect, it } from 'vitest';
import { Evaluator } from '../../../../src/shared/evalHarness';
import { bootstrapDifferences, holmAdjust, logGamma, mcnemarExactP } from '../../../../src/shared/compare/statistics';

describe('mcnemarExactP', () => {
  it('equals the hand-computed two-sided binomial p-value', () => {
    // b = 8, c = 2: P(X ≤ 2 | n = 10, ½) = (1 + 10 + 45) / 1024; doubled.
    expect(mcnemarExactP(8, 2)).toBeCloseTo((2 * 56) / 1024, 12);
    expect(mcnemarExactP(2, 8)).toBeCloseTo((2 * 56) / 1024, 12);
    expect(mcnemarExactP(12, 0)).toBeCloseTo(2 / 4096, 14);
    expect(mcnemarExactP(5, 5)).toBe(1);
    expect(mcnemarExactP(0, 0)).toBe(1);
  });

  it('stays accurate for large counts (log-space binomials)', () => {
    const p = mcnemarExactP(5200, 4800); // z ≈ 4: p ≈ 6.3e-5
    expect(p).toBeGreaterThan(5e-5);
    expect(p).toBeLessThan(8e-5);
  });
});

describe('holmAdjust', () => {
  it('adjusts a known vector step-down with the running maximum', () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    const expected = [0.03, 0.06, 0.06, 0.02];
    adjusted.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));
    expect(holmAdjust([null, 0.5, 0.8])).toEqual([null, 1, 1]);
  });
});

describe('logGamma', () => {
  it('matches factorials', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
});

const classes = ['neg', 'pos'];
const evaluator = (labels: string[], predictions: string[]) => new Evaluator({ labels, predictions, config: { taskType: 'classification', classes, predictionType: 'label' } });

describe('bootstrapDifferences', () => {
  const n = 300;
  const labels = Array.from({ length: n }, (_, i) => (i % 3 ? 'pos' : 'neg'));
  const baselinePredictions = labels.map((l, i) => (i % 10 === 0 ? (l === 'pos' ? 'neg' : 'pos') : l)); // 30 wrong

  it('finds no difference between identical predictions: diff 0, p = 1', () => {
    const diffs = bootstrapDifferences(evaluator(labels, baselinePredictions), evaluator(labels, baselinePredictions), { paired: true, resamples: 500, seed: 1, level: 0.95 });
    const acc = diffs.get('accuracy')!;
    expect(acc).toEqual({ diff: 0, ci: { lower: 0, upper: 0, level: 0.95 }, pValue: 1 });
  });

  it('does not flag one changed prediction out of 300', () => {
    const changed = [...baselinePredictions];
    changed[1] = changed[1] === 'pos' ? 'neg' : 'pos';
    const acc = bootstrapDifferences(evaluator(labels, baselinePredictions), evaluator(labels, changed), { paired: true, resamples: 1000, seed: 1, level: 0.95 }).get('accuracy')!;
    expect(acc.diff).toBeCloseTo(-1 / n, 12);
    expect(acc.pValue!).toBeGreaterThan(0.05);
  });

  it('flags a run that fixes a dozen of the baseline errors (paired), and McNemar agrees', () => {
    const better = baselinePredictions.map((p, i) => (i % 10 === 0 && i < 120 ? labels[i]! : p)); // 12 errors fixed
    const acc = bootstrapDifferences(evaluator(labels, baselinePredictions), evaluator(labels, better), { paired: true, resamples: 1000, seed: 1, level: 0.95 }).get('accuracy')!;
    expect(acc.diff).toBeCloseTo(12 / n, 12);
    expect(acc.pValue!).toBeLessThan(0.01);
    expect(acc.ci.lower!).toBeGreaterThan(0);
    expect(mcnemarExactP(12, 0)).toBeLessThan(0.001);
  });

  it('compares runs on different examples unpaired, and refuses to pair them', () => {
    const other = evaluator(labels.slice(0, 200), baselinePredictions.slice(0, 200));
    const base = evaluator(labels, baselinePredictions);
    expect(() => bootstrapDifferences(base, other, { paired: true, resamples: 10, seed: 1, level: 0.95 })).toThrow(/same examples/);
    const acc = bootstrapDifferences(base, other, { paired: false, resamples: 500, seed: 1, level: 0.95 }).get('accuracy')!;
    expect(acc.diff).toBeCloseTo(0.9 - 0.9, 12);
    expect(acc.ci.lower!).toBeLessThan(0);
    expect(acc.ci.upper!).toBeGreaterThan(0);
    expect(acc.pValue!).toBeGreaterThan(0.05);
  });
});
