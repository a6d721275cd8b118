/** Parameter importance: Spearman's ρ against hand-computed (scipy's) values, and the forest finding the parameter that matters. */
import { describe, expect, it } from 'vitest';
import { parameterImportance, ranks, spearman } from '../../../../src/shared/runs/importance';
import { rng } from '../../../../src/shared/evalHarness';

describe('ranks and spearman', () => {
  it('ranks ties by their average rank (scipy.stats.rankdata)', () => {
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
  });

  it('is Pearson’s r of the ranks: 8/√95 for y = 5, 6, 7, 8, 7 (scipy.stats.spearmanr gives 0.8207826816681233)', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 14);
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBe(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
});

describe('parameterImportance', () => {
  const sweep = (n: number) => {
    const random = rng(3);
    const lr: number[] = [];
    const depth: number[] = [];
    const opt: string[] = [];
    const metric: number[] = [];
    for (let i = 0; i < n; i++) {
      lr.push(random());
      depth.push(1 + Math.floor(random() * 8));
      opt.push(['adam', 'sgd', 'rmsprop'][Math.floor(random() * 3)]!);
      // The metric peaks at lr = 0.5 (not monotone: Spearman misses it), the optimizer shifts it, depth is noise.
      metric.push(1 - 8 * (lr[i]! - 0.5) ** 2 + (opt[i] === 'sgd' ? -0.3 : 0) + (random() - 0.5) * 0.02);
    }
    return { params: { lr, depth, opt }, metric };
  };

  it('ranks the parameters the metric depends on first, even one Spearman misses, and a noise parameter last', () => {
    const { params, metric } = sweep(400);
    const items = parameterImportance(params, metric);
    expect(items.map((i) => i.param)).toEqual(['lr', 'opt', 'depth']);
    expect(items[0]!.importance).toBeGreaterThan(0.5);
    expect(items[2]!.importance).toBeLessThan(0.05);
    expect(items.reduce((s, i) => s + i.importance, 0)).toBeCloseTo(1, 12);
    expect(Math.abs(items[0]!.spearman!)).toBeLessThan(0.2); // a peak, not a trend
    expect(items.find((i) => i.param === 'opt')!.spearman).toBeNull(); // categorical
  });

  it('is deterministic, and 0 everywhere when the metric is constant', () => {
    const { params, metric } = sweep(100);
    expect(parameterImportance(params, metric)).toEqual(parameterImportance(params, metric));
    expect(parameterImportance(params, metric.map(() => 1)).every((i) => i.importance === 0)).toBe(true);
  });
});
