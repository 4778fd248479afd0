/**
 * The seed term of intervals over training seeds (src/metrics/seed-noise.ts), against values
 * worked by hand and Student's t tables: a t quantile with few degrees of freedom, Welch's
 * standard error and degrees of freedom, and the quadrature with the test-data interval.
 */
import { describe, expect, it } from 'vitest';
import { meanTerm, t975, welchTerm, withSeedNoise } from '../src/metrics/seed-noise.js';

describe('seed noise', () => {
  it('t quantiles match the tables (2, 4, 9 df) and tend to the normal one', () => {
    expect(t975(2)).toBeCloseTo(4.302653, 5);
    expect(t975(4)).toBeCloseTo(2.776445, 5);
    expect(t975(9)).toBeCloseTo(2.262157, 5);
    expect(t975(1e7)).toBeCloseTo(1.959964, 5);
  });

  it('one recipe: the standard error of its seed mean with n−1 df; one seed: none', () => {
    const t = meanTerm([0.70, 0.72, 0.74])!;
    expect(t.se).toBeCloseTo(0.02 / Math.sqrt(3), 12);
    expect(t.df).toBe(2);
    expect(meanTerm([0.7])).toBeNull();
  });

  it('Welch: SE and Welch–Satterthwaite df for unequal spreads; equal spreads and sizes give n_a + n_b − 2 df', () => {
    // a: sample variance 1e-4, n 3; b: sample variance 1e-3 (squares 16+4+0+4+16 e-4, over 4), n 5
    const w = welchTerm([0.69, 0.7, 0.71], [0.66, 0.68, 0.7, 0.72, 0.74])!;
    const va = 1e-4 / 3;
    const vb = 1e-3 / 5;
    expect(w.se).toBeCloseTo(Math.sqrt(va + vb), 12);
    expect(w.df).toBeCloseTo((va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 4), 9);
    expect(welchTerm([1, 2, 3], [4, 5, 6])!.df).toBeCloseTo(4, 12);
    // one seed against three: that seed's spread is taken to be the other side's
    const one = welchTerm([0.7], [0.69, 0.7, 0.71])!;
    expect(one.se).toBeCloseTo(Math.sqrt(1e-4 / 3 + 1e-4), 12);
    expect(one.df).toBe(2);
    expect(welchTerm([0.7], [0.71])).toBeNull();
  });

  it('the interval widens in quadrature on each side; no term leaves it as it is', () => {
    const i = withSeedNoise(0.01, 0.0, 0.03, { se: 0.005, df: 4 });
    const s = t975(4) * 0.005;
    expect(i.lo).toBeCloseTo(0.01 - Math.hypot(0.01, s), 12);
    expect(i.hi).toBeCloseTo(0.01 + Math.hypot(0.02, s), 12);
    expect(withSeedNoise(0.01, 0.0, 0.03, null)).toEqual({ estimate: 0.01, lo: 0.0, hi: 0.03 });
  });
});
