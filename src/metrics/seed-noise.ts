/**
 * The training-seed part of an interval: seeds are a small sample (3–10), so their noise is
 * measured as the field does for a mean over a few runs — a t interval (Welch's for a
 * difference of two recipes) — and added in quadrature to the test-data part, which the
 * bootstrap over keyframes measures. The two are independent: every seed is scored on the same
 * test set, so the spread between seeds holds no test-sampling noise.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** A seed term: the standard error of a mean (or of a difference of means) over seeds, and its degrees of freedom. */
export interface SeedTerm {
  readonly se: number;
  readonly df: number;
}

function variance(xs: readonly number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

/** The seed term of one recipe's mean over its seeds' values (null: one seed, nothing to measure). */
export function meanTerm(values: readonly number[]): SeedTerm | null {
  const xs = values.filter((x) => !Number.isNaN(x));
  return xs.length < 2 ? null : { se: Math.sqrt(variance(xs) / xs.length), df: xs.length - 1 };
}

/**
 * Welch's term for mean(a) − mean(b) over seeds (Welch–Satterthwaite degrees of freedom). A side
 * with a single seed has no spread of its own: it is taken to be the other side's (the same
 * recipe family, a new seed), with that side's degrees of freedom. Null with one seed a side.
 */
export function welchTerm(a: readonly number[], b: readonly number[]): SeedTerm | null {
  const [xa, xb] = [a.filter((x) => !Number.isNaN(x)), b.filter((x) => !Number.isNaN(x))];
  if (xa.length < 2 && xb.length < 2) return null;
  if (xa.length < 2 || xb.length < 2) {
    const many = xa.length < 2 ? xb : xa;
    const s2 = variance(many);
    return { se: Math.sqrt(s2 / many.length + s2), df: many.length - 1 };
  }
  const va = variance(xa) / xa.length;
  const vb = variance(xb) / xb.length;
  const se = Math.sqrt(va + vb);
  const df = va + vb === 0 ? xa.length + xb.length - 2 : (va + vb) ** 2 / (va ** 2 / (xa.length - 1) + vb ** 2 / (xb.length - 1));
  return { se, df };
}

/** The 97.5% quantile of Student's t with `df` degrees of freedom (df may be fractional: Welch). */
export function t975(df: number): number {
  return tQuantile(0.975, df);
}

/**
 * A bootstrap interval (test-data noise) widened by a seed term: each side's half-width and
 * t·se added in quadrature. Without a seed term the interval is returned as it is.
 */
export function withSeedNoise(estimate: number, lo: number, hi: number, term: SeedTerm | null): { readonly estimate: number; readonly lo: number; readonly hi: number } {
  if (term === null || Number.isNaN(lo) || Number.isNaN(hi)) return { estimate, lo, hi };
  const seedHalf = t975(term.df) * term.se;
  return { estimate, lo: estimate - Math.hypot(estimate - lo, seedHalf), hi: estimate + Math.hypot(hi - estimate, seedHalf) };
}
