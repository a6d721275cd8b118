/** The metric charts' curve math against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { ema, nearestIndex, xValues } from '../../../../src/shared/charts/curves';

describe('ema', () => {
  it('is the bias-corrected exponential average (pandas ewm(alpha=1-w, adjust=True).mean())', () => {
    // w = 0.5, values 1, 2, 4: s1 = 1; s2 = (0.5·1 + 2)/(0.5 + 1) = 5/3; s3 = (0.25·1 + 0.5·2 + 4)/(0.25 + 0.5 + 1) = 5.25/1.75 = 3.
    const [a, b, c] = ema([1, 2, 4], 0.5);
    expect(a).toBe(1);
    expect(b).toBeCloseTo(5 / 3, 12);
    expect(c).toBeCloseTo(3, 12);
  });

  it('leaves values alone at weight 0, keeps a constant curve constant, and skips NaN without poisoning what follows', () => {
    expect(ema([3, 1, 2], 0)).toEqual([3, 1, 2]);
    for (const v of ema([7, 7, 7, 7], 0.9)) expect(v).toBeCloseTo(7, 12);
    const out = ema([1, Number.NaN, 3], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo((0.5 * 1 + 3) / 1.5, 12); // the NaN point does not count
  });
});

describe('xValues', () => {
  const points = [
    { step: 0, value: 1, timestamp: 1_700_000_010_000 },
    { step: 5, value: 1, timestamp: 1_700_000_012_500 },
    { step: 9, value: 1, timestamp: 1_700_000_020_000 },
  ];
  it('gives steps, seconds since the first point, or the clock time', () => {
    expect(xValues(points, 'step')).toEqual([0, 5, 9]);
    expect(xValues(points, 'relative')).toEqual([0, 2.5, 10]);
    expect(xValues(points, 'wall')).toEqual([1_700_000_010_000, 1_700_000_012_500, 1_700_000_020_000]);
  });
});

describe('nearestIndex', () => {
  it('finds the nearest x, the earlier one on a tie, and the ends beyond the range', () => {
    const xs = [0, 10, 20, 30];
    expect([nearestIndex(xs, 12), nearestIndex(xs, 16), nearestIndex(xs, 15), nearestIndex(xs, -5), nearestIndex(xs, 99), nearestIndex([], 1)]).toEqual([1, 2, 1, 0, 3, -1]);
  });
});
