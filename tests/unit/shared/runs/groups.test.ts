/** Grouping runs by everything but their seed, and the statistics of a group, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { compareGroups, groupOf, groupRuns, meanWithCi } from '../../../../src/shared/runs/groups';
import { parseColumns } from '../../../../src/shared/runs/columns';
import { makeRun } from '../../../helpers/fixtures';

const run = (hyperparameters: Record<string, unknown>, metrics: Record<string, number> = {}, config: Record<string, unknown> = {}) => makeRun({ hyperparameters, metrics, config });

describe('groupOf', () => {
  it('keys a run by its params and config without any seed-like name, at any depth', () => {
    const a = groupOf(run({ lr: 0.1, seed: 1, optimizer: { name: 'adam', random_state: 4 } }, {}, { epochs: 3 }), 'seed-free');
    const b = groupOf(run({ seed: 2, optimizer: { random_state: 9, name: 'adam' }, lr: 0.1 }, {}, { epochs: 3 }), 'seed-free');
    expect(a.key).toBe(b.key);
    expect(a.key).toBe('lr=0.1, optimizer.name=adam, config.epochs=3');
    expect(groupOf(run({ lr: 0.1, seed: 1 }, {}, { epochs: 4 }), 'seed-free').key).not.toBe(a.key);
  });

  it('keys by chosen columns', () => {
    const by = parseColumns('params.lr,tags.team');
    expect(groupOf(makeRun({ hyperparameters: { lr: 0.1, depth: 3 }, tags: { team: 'cv' } }), by)).toEqual({ key: 'lr=0.1, tags.team=cv', values: { 'params.lr': 0.1, 'tags.team': 'cv' } });
  });
});

describe('meanWithCi', () => {
  it('gives the mean and the bootstrap percentile interval: for {0, 1} the resampled means are 0, ½, 1 with chances ¼, ½, ¼, so the 95% interval is [0, 1]', () => {
    expect(meanWithCi([0, 1])).toEqual({ mean: 0.5, ci: { lower: 0, upper: 1, level: 0.95 }, n: 2 });
    expect(meanWithCi([3, 3, 3])).toEqual({ mean: 3, ci: { lower: 3, upper: 3, level: 0.95 }, n: 3 });
    expect(meanWithCi([7])).toEqual({ mean: 7, ci: { lower: null, upper: null, level: 0.95 }, n: 1 });
    const { mean, ci } = meanWithCi([0.8, 0.82, 0.79, 0.85, 0.81]);
    expect(mean).toBeCloseTo(0.814, 12);
    expect(ci.lower!).toBeGreaterThanOrEqual(0.79);
    expect(ci.upper!).toBeLessThanOrEqual(0.85);
    expect(ci.lower!).toBeLessThan(mean);
    expect(ci.upper!).toBeGreaterThan(mean);
  });
});

describe('groupRuns', () => {
  it('pools the seeds of each configuration, the largest group first, with each metric’s mean over it', () => {
    const runs = [run({ lr: 0.1, seed: 1 }, { acc: 0.8 }), run({ lr: 0.1, seed: 2 }, { acc: 0.9 }), run({ lr: 0.1, seed: 3 }, { acc: 0.7 }), run({ lr: 0.2, seed: 1 }, { acc: 0.5, loss: 1 })];
    const groups = groupRuns(runs, 'seed-free');
    expect(groups.map((g) => [g.key, g.n])).toEqual([['lr=0.1', 3], ['lr=0.2', 1]]);
    expect(groups[0]!.runIds).toEqual(runs.slice(0, 3).map((r) => r.id));
    expect(groups[0]!.metrics.acc!.mean).toBeCloseTo(0.8, 12);
    expect(Object.keys(groups[1]!.metrics).sort()).toEqual(['acc', 'loss']);
  });
});

describe('compareGroups', () => {
  it('gives the difference of the means with an unpaired bootstrap interval and p-value, and warns below 3 seeds', () => {
    const a = [0.8, 0.8, 0.8].map((acc) => run({}, { acc }));
    const b = [0.9, 0.9, 0.9].map((acc) => run({}, { acc }));
    const { differences, warning } = compareGroups(a, b);
    expect(differences).toHaveLength(1);
    expect(differences[0]!.diff).toBeCloseTo(0.1, 12);
    expect(differences[0]!.ci.lower).toBeCloseTo(0.1, 12);
    expect(differences[0]!.ci.upper).toBeCloseTo(0.1, 12);
    expect(differences[0]!.pValue).toBe(0); // every resampled difference is above 0
    expect(warning).toBeNull();
    expect(compareGroups(a.slice(0, 2), b).warning).toMatch(/2 run\(s\)/);
    // Overlapping groups: the interval holds 0 and the p-value is large.
    const c = [0.7, 0.9, 0.8].map((acc) => run({}, { acc }));
    const d = [0.72, 0.88, 0.81].map((acc) => run({}, { acc }));
    const overlap = compareGroups(c, d).differences[0]!;
    expect(overlap.ci.lower!).toBeLessThan(0);
    expect(overlap.ci.upper!).toBeGreaterThan(0);
    expect(overlap.pValue!).toBeGreaterThan(0.5);
  });
});
