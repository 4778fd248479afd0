/**
 * The regression gate: a candidate's frame-mAP overall and per group against a baseline's, on
 * the same keyframes. Per metric: Δ = candidate − baseline with a paired bootstrap 95% CI over
 * keyframes. A metric regresses when it drops by more than its tolerance AND the drop is
 * significant (the whole CI below 0): noise alone does not fail CI, a real drop does.
 */
import { pairedBootstrap, seedClassBootstrap, type Interval, type RankedMatches } from './bootstrap.js';

/** Tolerances in mAP points (0.5 = 0.005 mAP): a default and per-metric overrides. */
export interface Tolerances {
  readonly default: number;
  readonly perMetric: Readonly<Record<string, number>>;
}

/** Parses --max-drop values: `0.5` (default for all) and `tail=1.0` (one metric). */
export function parseTolerances(values: readonly string[], metrics: readonly string[]): Tolerances {
  let def = 0.5;
  const per: Record<string, number> = {};
  for (const v of values) {
    const m = /^(?:([a-z-]+)=)?([0-9]*\.?[0-9]+)$/.exec(v.trim());
    if (m !== null && !(Number(m[2]) <= 100)) throw new Error(`--max-drop '${v}': at most 100 points`);
    if (m === null) throw new Error(`--max-drop '${v}': expected points (0.5) or metric=points (tail=1.0)`);
    if (m[1] === undefined) def = Number(m[2]);
    else if (!metrics.includes(m[1])) throw new Error(`--max-drop '${v}': unknown metric '${m[1]}' (metrics: ${metrics.join(', ')})`);
    else per[m[1]] = Number(m[2]);
  }
  return { default: def, perMetric: per };
}

export interface MetricVerdict {
  readonly metric: string;
  readonly baseline: number;
  readonly candidate: number;
  readonly delta: Interval;
  /** Tolerance in mAP points. */
  readonly maxDrop: number;
  readonly regression: boolean;
  /** Why the gate could not decide (the metric then fails: a gate fails closed), or absent. */
  readonly undecided?: string;
}

export interface GateVerdict {
  readonly pass: boolean;
  readonly metrics: MetricVerdict[];
  readonly keyframes: number;
  readonly resamples: number;
  /** Training seeds (models) per side; with one on each side the interval covers test-set noise only. */
  readonly seeds: { readonly baseline: number; readonly candidate: number };
  readonly seedNoise: 'covered' | 'not covered (one model per side)';
}

export function gate(
  baseline: RankedMatches | readonly RankedMatches[],
  candidate: RankedMatches | readonly RankedMatches[],
  groups: Readonly<Record<string, readonly number[]>>,
  scores: { baseline: Record<string, number>; candidate: Record<string, number> },
  tol: Tolerances,
  resamples: number,
  seed = 7,
  units?: Int32Array,
): GateVerdict {
  if (!Number.isInteger(resamples) || resamples < 10) throw new RangeError(`gate: ${resamples} resamples cannot give an interval (need an integer ≥ 10)`);
  const base = Array.isArray(baseline) ? baseline : [baseline as RankedMatches];
  const cand = Array.isArray(candidate) ? candidate : [candidate as RankedMatches];
  // several seeds on a side: resample seeds within each side and keyframes jointly (bootstrap.ts seedClassBootstrap)
  const oneEach = base.length === 1 && cand.length === 1;
  const deltas = oneEach ? pairedBootstrap([{ a: cand[0]!, b: base[0]! }], groups, resamples, seed, units) : seedClassBootstrap(cand, base, groups, resamples, seed, units).groups;
  const metrics = Object.keys(groups).map((g) => {
    const maxDrop = tol.perMetric[g] ?? tol.default;
    const d = deltas[g]!;
    const base = { metric: g, baseline: scores.baseline[g]!, candidate: scores.candidate[g]!, delta: d, maxDrop };
    // NaN compares false both ways: a metric whose Δ or interval is not a number must fail, not pass
    if (![d.estimate, d.lo, d.hi, base.baseline, base.candidate].every(Number.isFinite)) return { ...base, regression: true, undecided: `no interval could be computed for ${g} (no ground truth of its classes?)` };
    return { ...base, regression: d.estimate < -maxDrop / 100 && d.hi < 0 };
  });
  return { pass: metrics.every((m) => !m.regression), metrics, keyframes: base[0]!.keys.length, resamples, seeds: { baseline: base.length, candidate: cand.length }, seedNoise: oneEach ? 'not covered (one model per side)' : 'covered' };
}
