import { describe, expect, it } from 'vitest';
import { CURVE_PERCENTILES, interpolatedPercentile, summarizeSamples } from '../../../src/shared/latencyStats';

describe('summarizeSamples', () => {
  it('interpolates percentiles as numpy does (samples 1..100: p50 50.5, p95 95.05, p99 99.01)', () => {
    const result = summarizeSamples(Array.from({ length: 100 }, (_, i) => 100 - i)); // order does not matter
    expect(result.latency.p50).toBeCloseTo(50.5, 12);
    expect(result.latency.p95).toBeCloseTo(95.05, 12);
    expect(result.latency.p99).toBeCloseTo(99.01, 12);
    expect(result.latency.p90).toBeCloseTo(90.1, 12);
    expect(result.latency.p999).toBeCloseTo(99.901, 12);
    expect(result.latency).toMatchObject({ min: 1, max: 100, mean: 50.5 });
    // Population standard deviation of 1..100: sqrt((100² − 1) / 12).
    expect(result.latency.stdDev).toBeCloseTo(Math.sqrt((100 ** 2 - 1) / 12), 12);
    expect(result.count).toBe(100);
  });

  it('has a histogram whose counts sum to the sample count, and a percentile curve of at least 10 points', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 5 + ((i * 7919) % 1000) / 100);
    const result = summarizeSamples(samples);
    expect(result.histogram.reduce((s, b) => s + b.count, 0)).toBe(1000);
    expect(result.histogram[0]!.fromMs).toBe(5);
    expect(result.histogram.at(-1)!.toMs).toBe(Math.max(...samples));
    expect(result.percentiles.length).toBeGreaterThanOrEqual(10);
    expect(result.percentiles[0]).toEqual({ percentile: 0, ms: 5 });
    expect(result.percentiles.at(-1)!.percentile).toBe(100);
    const ms = result.percentiles.map((p) => p.ms);
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
  });

  it('handles a single sample and equal samples', () => {
    expect(summarizeSamples([3]).latency).toMatchObject({ p50: 3, p99: 3, stdDev: 0 });
    expect(summarizeSamples([2, 2, 2]).histogram).toEqual([{ fromMs: 2, toMs: 2, count: 3 }]);
  });

  it('lists curve percentiles in order without duplicates', () => {
    expect(CURVE_PERCENTILES).toEqual([...new Set(CURVE_PERCENTILES)].sort((a, b) => a - b));
    expect(interpolatedPercentile(Float64Array.from([1, 2, 3, 4]), 25)).toBe(1.75);
  });
});
