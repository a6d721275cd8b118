import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../../../src/shared/evalHarness/normal';

// Reference values: scipy.special.ndtr / ndtri (well-known table values).
describe('normalCdf / normalQuantile', () => {
  it.each([
    [0, 0.5],
    [1.959963984540054, 0.975],
    [-1.6448536269514722, 0.05],
    [2.5758293035489004, 0.995],
    [-3.090232306167813, 0.001],
  ])('Φ(%f) = %f and back', (x, p) => {
    expect(Math.abs(normalCdf(x) - p)).toBeLessThan(2e-7);
    expect(Math.abs(normalQuantile(p) - x)).toBeLessThan(1e-8);
  });

  it('handles the ends', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
