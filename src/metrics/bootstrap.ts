/**
 * Bootstrap confidence intervals for frame-mAP over keyframes. A resample draws keyframes with
 * replacement; a keyframe drawn m times contributes its detections and GT m times. Paired
 * comparisons use the same resamples for both models, so the interval is for the difference.
 *
 * Each class's detections are ranked once (descending score, the official order; see
 * rank-detections.ts), so a resample is one linear pass with keyframe multiplicities — no
 * sorting per resample.
 */
import type { Evaluation } from './frame-map.js';
import { Rng } from '../data/rng.js';
import { rankByClass, type RankedClass } from './rank-detections.js';
import { meanTerm, welchTerm, withSeedNoise } from './seed-noise.js';

/** One model's per-keyframe evidence, ranked per class (plain typed arrays). */
export interface RankedMatches {
  readonly keys: readonly string[];
  /** Per class id: ranked detections' keyframe index and TP flag. */
  readonly byClass: ReadonlyMap<number, RankedClass>;
  /** Per class id: GT count per keyframe (Float64Array over keys). */
  readonly gt: ReadonlyMap<number, Float64Array>;
}

/** `ranked`: the ranking an evaluation already computed (FrameMapRun.ranked), so it is not done twice. */
export function rankMatches(ev: Pick<Evaluation, 'keys' | 'matches' | 'gtStart' | 'gtCls'>, classIds: readonly number[], ranked: ReadonlyMap<number, RankedClass> = rankByClass(ev.matches, classIds)): RankedMatches {
  return { keys: ev.keys, byClass: ranked, gt: gtPerKeyframe(ev.keys.length, ev.gtStart, ev.gtCls, classIds) };
}

/** Per class id: GT count per keyframe, from the CSR of GT classes over keyframes. */
export function gtPerKeyframe(keyframes: number, gtStart: Int32Array, gtCls: ArrayLike<number>, classIds: readonly number[]): Map<number, Float64Array> {
  const gt = new Map(classIds.map((id) => [id, new Float64Array(keyframes)]));
  for (let k = 0; k < keyframes; k++) {
    for (let j = gtStart[k]!; j < gtStart[k + 1]!; j++) {
      const g = gt.get(gtCls[j]!);
      if (g !== undefined) g[k]!++;
    }
  }
  return gt;
}

/** AP of one class with keyframe multiplicities `w` (all-point interpolation, as the official). */
function weightedAp(kf: Int32Array, tp: Uint8Array, gtPerKf: Float64Array, w: Float64Array): number {
  let numGt = 0;
  for (let k = 0; k < w.length; k++) numGt += gtPerKf[k]! * w[k]!;
  if (numGt === 0) return NaN;
  // walk the ranking; each detection appears w[kf] times in a row (same score, same flag)
  const precisions: number[] = [];
  const recallSteps: number[] = [];
  let tps = 0;
  let rank = 0;
  for (let i = 0; i < kf.length; i++) {
    const times = w[kf[i]!]!;
    for (let t = 0; t < times; t++) {
      rank++;
      if (tp[i]) {
        tps++;
        precisions.push(tps / rank);
        recallSteps.push(1 / numGt);
      }
    }
  }
  // AP = Σ Δrecall × (max precision at or after this point)
  let ap = 0;
  let best = 0;
  for (let j = precisions.length - 1; j >= 0; j--) {
    best = Math.max(best, precisions[j]!);
    ap += recallSteps[j]! * best;
  }
  return ap;
}

/** mAP over `classIds` (classes without GT in the resample are left out) with multiplicities `w`. */
export function weightedMap(r: RankedMatches, classIds: readonly number[], w: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (const id of classIds) {
    const c = r.byClass.get(id)!;
    const ap = weightedAp(c.kf, c.tp, r.gt.get(id)!, w);
    if (!Number.isNaN(ap)) {
      sum += ap;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

export interface Interval {
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
}

function percentile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i]! + (pos - i) * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

/**
 * Multiplicities of one bootstrap resample of `n` keyframes; with `units` (a resampling unit per
 * keyframe, e.g. its video, numbered 0..U-1), whole units are drawn and each keyframe takes its
 * unit's count — keyframes of one video are correlated, so `--by video` gives honest intervals.
 */
function resample(rng: Rng, n: number, units?: Int32Array, u = units === undefined ? 0 : unitCount(units)): Float64Array {
  const w = new Float64Array(n);
  if (units === undefined) {
    for (let i = 0; i < n; i++) w[rng.int(0, n)]!++;
    return w;
  }
  const drawn = new Float64Array(u);
  for (let i = 0; i < u; i++) drawn[rng.int(0, u)]!++;
  for (let i = 0; i < n; i++) w[i] = drawn[units[i]!]!;
  return w;
}

function unitCount(units: Int32Array): number {
  let u = 0;
  for (let i = 0; i < units.length; i++) u = Math.max(u, units[i]! + 1);
  return u;
}

/** The video of each keyframe key ("video,timestamp"), numbered in order of first appearance. */
export function videoUnits(keys: readonly string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(keys, (k) => {
    const v = k.slice(0, k.indexOf(','));
    if (!ids.has(v)) ids.set(v, ids.size);
    return ids.get(v)!;
  });
}

/**
 * Paired bootstrap of Σ_s (stat(a_s) − stat(b_s)) / S over seeds s (one model pair per seed, all
 * evaluated on the same keyframes): 95% percentile interval. `groups` name class-id subsets;
 * `units` (optional) resamples whole units (videos) instead of keyframes.
 */
export function pairedBootstrap(
  pairs: readonly { a: RankedMatches; b: RankedMatches }[],
  groups: Readonly<Record<string, readonly number[]>>,
  resamples: number,
  seed: number,
  units?: Int32Array,
): Record<string, Interval> {
  const n = pairs[0]!.a.keys.length;
  for (const p of pairs) {
    if (p.a.keys.length !== n || p.b.keys.length !== n || p.a.keys.some((k, i) => k !== p.b.keys[i])) throw new Error('paired bootstrap: models were not evaluated on the same keyframes');
  }
  const ones = new Float64Array(n).fill(1);
  const delta = (w: Float64Array, ids: readonly number[]) => pairs.reduce((s, p) => s + weightedMap(p.a, ids, w) - weightedMap(p.b, ids, w), 0) / pairs.length;
  const rng = new Rng(seed);
  const u = units === undefined ? 0 : unitCount(units); // once, not per resample
  const draws: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, []]));
  for (let r = 0; r < resamples; r++) {
    const w = resample(rng, n, units, u);
    for (const [g, ids] of Object.entries(groups)) draws[g]!.push(delta(w, ids));
  }
  return Object.fromEntries(
    Object.entries(groups).map(([g, ids]) => {
      const sorted = draws[g]!.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
      return [g, { estimate: delta(ones, ids), lo: percentile(sorted, 0.025), hi: percentile(sorted, 0.975) }];
    }),
  );
}

/** Bootstrap interval of the mean over seeds of one model's mAP (keyframes resampled; whole units, e.g. videos, with `units`): test-data noise only. */
export function bootstrapMean(models: readonly RankedMatches[], ids: readonly number[], resamples: number, seed: number, units?: Int32Array): Interval {
  const n = models[0]!.keys.length;
  const mean = (w: Float64Array) => models.reduce((s, m) => s + weightedMap(m, ids, w), 0) / models.length;
  const rng = new Rng(seed);
  const u = units === undefined ? 0 : unitCount(units);
  const draws: number[] = [];
  for (let r = 0; r < resamples; r++) draws.push(mean(resample(rng, n, units, u)));
  draws.sort((x, y) => x - y);
  return { estimate: mean(new Float64Array(n).fill(1)), lo: percentile(draws, 0.025), hi: percentile(draws, 0.975) };
}

/**
 * Interval of one recipe's mAP, the mean over its seeds' (one model: the model's): the
 * keyframe bootstrap of bootstrapMean widened by the seeds' t term when there are several.
 */
export function recipeInterval(models: readonly RankedMatches[], ids: readonly number[], resamples: number, seed: number, units?: Int32Array): Interval {
  const i = bootstrapMean(models, ids, resamples, seed, units);
  const ones = new Float64Array(models[0]!.keys.length).fill(1);
  return withSeedNoise(i.estimate, i.lo, i.hi, meanTerm(models.map((m) => weightedMap(m, ids, ones))));
}

/**
 * Paired bootstrap of one pair (a − b), per class and per group, in one pass: each resample
 * computes every class's AP once for each side and derives the group deltas from them (a
 * group's mAP is the mean over its classes with GT in the resample, the same set on both sides
 * since both were evaluated on the same GT). Classes without GT get no interval.
 */
export function pairedClassBootstrap(
  a: RankedMatches,
  b: RankedMatches,
  groups: Readonly<Record<string, readonly number[]>>,
  resamples: number,
  seed: number,
  units?: Int32Array,
): { classes: Map<number, Interval>; groups: Record<string, Interval> } {
  return seedClassBootstrap([a], [b], groups, resamples, seed, units);
}

/**
 * Two recipes, each given as the models of several training seeds, on the same GT: Δ = mean
 * over a's seeds − mean over b's seeds, per class and per group. Two independent sources of
 * noise, each measured the standard way and added in quadrature (seed-noise.ts):
 *  - test data: a paired bootstrap of Δ over keyframes (or videos), the same draw for every
 *    model, so the comparison stays paired over test data;
 *  - training seed: Welch's t for a difference of two means, from the spread of each seed's AP
 *    (or group mAP) on the whole test set. A bootstrap over a handful of seeds was too narrow
 *    (3 seeds of pretrain-finetune "regressed" against 3 others of itself); the t quantile
 *    with few degrees of freedom is what makes 3 seeds honest.
 * With one seed per side there is no seed term: the interval covers test-set noise only.
 */
export function seedClassBootstrap(
  a: readonly RankedMatches[],
  b: readonly RankedMatches[],
  groups: Readonly<Record<string, readonly number[]>>,
  resamples: number,
  seed: number,
  units?: Int32Array,
): { classes: Map<number, Interval>; groups: Record<string, Interval> } {
  const n = a[0]!.keys.length;
  for (const m of [...a, ...b]) if (m.keys.length !== n || m.keys.some((k, i) => k !== a[0]!.keys[i])) throw new Error('paired bootstrap: models were not evaluated on the same keyframes');
  const ids = [...new Set(Object.values(groups).flat())].sort((x, y) => x - y);
  const apOf = (m: RankedMatches, id: number, w: Float64Array) => {
    const c = m.byClass.get(id)!;
    return weightedAp(c.kf, c.tp, m.gt.get(id)!, w);
  };
  const meanAp = (models: readonly RankedMatches[], id: number, w: Float64Array) => models.reduce((s, m) => s + apOf(m, id, w), 0) / models.length;
  const deltas = (w: Float64Array): Map<number, number> => {
    const d = new Map<number, number>();
    for (const id of ids) {
      const apA = meanAp(a, id, w);
      if (!Number.isNaN(apA)) d.set(id, apA - meanAp(b, id, w));
    }
    return d;
  };
  const groupMean = (d: ReadonlyMap<number, number>, members: readonly number[]) => {
    let sum = 0;
    let k = 0;
    for (const id of members) {
      const x = d.get(id);
      if (x !== undefined) (sum += x), k++;
    }
    return k === 0 ? NaN : sum / k;
  };
  const ones = new Float64Array(n).fill(1);
  const point = deltas(ones);
  // test-data noise: resample keyframes (or videos), Δ of the seed means
  const classDraws = new Map<number, number[]>([...point.keys()].map((id) => [id, []]));
  const groupDraws: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, []]));
  const rng = new Rng(seed);
  const u = units === undefined ? 0 : unitCount(units);
  for (let r = 0; r < resamples; r++) {
    const d = deltas(resample(rng, n, units, u));
    for (const [id, xs] of classDraws) {
      const x = d.get(id);
      if (x !== undefined) xs.push(x);
    }
    for (const [g, members] of Object.entries(groups)) groupDraws[g]!.push(groupMean(d, members));
  }
  // seed noise: each seed's AP per class on the whole test set (classes with GT: those of `point`)
  const perSeed = (models: readonly RankedMatches[]) => models.map((m) => new Map([...point.keys()].map((id) => [id, apOf(m, id, ones)])));
  const [seedsA, seedsB] = [perSeed(a), perSeed(b)];
  const interval = (estimate: number, draws: number[], valuesA: number[], valuesB: number[]): Interval => {
    const sorted = draws.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    if (sorted.length === 0) return { estimate, lo: NaN, hi: NaN };
    return withSeedNoise(estimate, percentile(sorted, 0.025), percentile(sorted, 0.975), welchTerm(valuesA, valuesB));
  };
  return {
    classes: new Map([...classDraws].map(([id, xs]) => [id, interval(point.get(id)!, xs, seedsA.map((s) => s.get(id)!), seedsB.map((s) => s.get(id)!))])),
    groups: Object.fromEntries(
      Object.entries(groups).map(([g, members]) => [g, interval(groupMean(point, members), groupDraws[g]!, seedsA.map((s) => groupMean(s, members)), seedsB.map((s) => groupMean(s, members)))]),
    ),
  };
}
