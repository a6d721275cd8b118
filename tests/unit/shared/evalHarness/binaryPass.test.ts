/**
 * The single-pass bootstrap for binary tasks gives, resample by resample, what the general path
 * (weightedMetrics over all examples, a masked copy per slice) gives; and the bulk Poisson draws are
 * the same numbers as drawing one uniform at a time and comparing with the Poisson(1) CDF.
 */
import { describe, expect, it } from 'vitest';
import { BinaryPass, hasBinaryPass } from '../../../../src/shared/evalHarness/binaryPass';
import { prepare } from '../../../../src/shared/evalHarness/prepare';
import { drawWeights, rng } from '../../../../src/shared/evalHarness/resampling';
import { sliceIndexOf, slicesOf } from '../../../../src/shared/evalHarness/slices';
import { weightedMetrics } from '../../../../src/shared/evalHarness/weighted';

const columnsOf = (rows: Record<string, unknown>[]) => (attribute: string) => rows.map((row) => row[attribute]);

/** Scores rounded to `round` steps (many ties, so tie groups are exercised), or left continuous (0: nearly every group one example). */
function input(n: number, seed: number, attributes = ['region', 'age'], round = 100) {
  let s = seed;
  const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const labels = Array.from({ length: n }, () => (random() < 0.35 ? 'pos' : 'neg'));
  const predictions = labels.map((l) => {
    const score = Math.min(1, Math.max(0, (l === 'pos' ? 0.25 : 0) + random() * 0.75));
    return round ? Math.round(score * round) / round : score;
  });
  const data = labels.map(() => ({ region: ['north', 'south', 'east'][Math.floor(random() * 3)], age: Math.floor(random() * 80) }));
  return { labels, predictions, data, config: { taskType: 'classification' as const, classes: ['neg', 'pos'], positiveClass: 'pos', sliceAttributes: attributes } };
}

describe('BinaryPass', () => {
  // Two attributes take the general loop; one attribute (or none) the slotted one, whose groups of
  // one example (continuous scores) have a path of their own.
  const cases = [
    { n: 500, attributes: ['region', 'age'], round: 100, slices: 7 },
    { n: 30_000, attributes: ['region', 'age'], round: 100, slices: 7 },
    { n: 500, attributes: ['region'], round: 100, slices: 3 },
    { n: 30_000, attributes: ['region'], round: 1000, slices: 3 },
    { n: 30_000, attributes: ['age'], round: 0, slices: 4 },
    { n: 2_000, attributes: ['region'], round: 0, slices: 3 },
    { n: 30_000, attributes: [], round: 0, slices: 0 },
    { n: 800, attributes: [], round: 10, slices: 0 },
  ];
  for (const { n, attributes, round, slices: sliceCount } of cases) {
    it(`matches weightedMetrics for the whole set and every slice, resample by resample (n = ${n}, ${n > 20_000 ? 'Poisson' : 'multinomial'} weights, slices by ${attributes.join(' and ') || 'nothing'}, ${round ? `scores in ${round} steps` : 'continuous scores'})`, () => {
      const raw = input(n, n + round, attributes, round);
      const p = prepare(raw);
      expect(hasBinaryPass(p)).toBe(true);
      const slices = slicesOf(p, columnsOf(raw.data), raw.config.sliceAttributes);
      expect(slices.length).toBe(sliceCount);
      if (p.perm) for (const slice of slices) slice.members = Float64Array.from(p.perm, (i) => slice.members[i]!);
      const pass = new BinaryPass(p, sliceIndexOf(slices, p.n));
      const random = rng(11);
      const weights = new Float64Array(p.n);
      const masked = new Float64Array(p.n);
      for (let r = 0; r < 5; r++) {
        drawWeights(weights, random);
        pass.run(weights);
        const expected = weightedMetrics(p, weights);
        const got = pass.overall();
        expect(Object.keys(got)).toEqual(Object.keys(expected));
        for (const key of Object.keys(expected)) expect(got[key], key).toBeCloseTo(expected[key]!, 12);
        slices.forEach((slice, s) => {
          for (let i = 0; i < p.n; i++) masked[i] = weights[i]! * slice.members[i]!;
          const want = weightedMetrics(p, masked);
          const have = pass.slice(s)!;
          for (const key of ['accuracy', 'f1_macro', 'roc_auc', 'average_precision']) expect(have[key], `${slice.attribute}=${slice.value} ${key}`).toBeCloseTo(want[key]!, 12);
        });
      }
    });
  }

  it('answers null for a slice the resample holds none of', () => {
    const raw = input(200, 3);
    const p = prepare(raw);
    const slices = slicesOf(p, columnsOf(raw.data), ['region']);
    if (p.perm) for (const slice of slices) slice.members = Float64Array.from(p.perm, (i) => slice.members[i]!);
    const pass = new BinaryPass(p, sliceIndexOf(slices, p.n));
    const weights = Float64Array.from(slices[0]!.members); // only the first slice's examples
    pass.run(weights);
    expect(pass.slice(0)).not.toBeNull();
    expect(pass.slice(1)).toBeNull();
  });
});

describe('Poisson weights in bulk', () => {
  it('are the draws of one uniform at a time compared with the Poisson(1) CDF', () => {
    const cdf: number[] = [];
    let prob = Math.exp(-1);
    let sum = 0;
    for (let w = 0; w < 13; w++) {
      sum += prob;
      cdf.push(sum);
      prob /= w + 1;
    }
    const n = 100_000; // above the multinomial limit
    const bulk = new Float64Array(n);
    drawWeights(bulk, rng(5));
    const one = rng(5);
    const slow = (() => one()) as () => number; // no bulk generator: the per-draw path
    const reference = new Float64Array(n);
    drawWeights(reference, slow);
    expect(Array.from(bulk)).toEqual(Array.from(reference));
    // And the per-draw path is the CDF inversion itself.
    const again = rng(5);
    for (let i = 0; i < 1000; i++) {
      const u = again();
      let w = 0;
      while (w < 12 && u >= cdf[w]!) w++;
      expect(bulk[i]).toBe(w);
    }
    // Poisson(1): mean and variance 1.
    const mean = bulk.reduce((a, b) => a + b, 0) / n;
    const variance = bulk.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(mean).toBeCloseTo(1, 1);
    expect(variance).toBeCloseTo(1, 1);
  });
});
