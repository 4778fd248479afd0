/**
 * A leaderboard of models evaluated on the same ground truth (eval or infer results): each
 * model's mAP per group with a bootstrap 95% CI, the paired Δ to a reference model, and ranks
 * that do not pretend precision — a model shares the rank of the one above it when their paired
 * difference is within noise (the 95% CI of the difference contains 0). A model may be a recipe
 * given by several training seeds: its mAP is their mean and its intervals cover seed noise too.
 */
import { recipeInterval, seedClassBootstrap, type Interval, type RankedMatches } from './bootstrap.js';

export interface RankInput {
  readonly name: string;
  /** Official mAP per group (`overall` and the grouping's groups), as the result states it (verified against its evidence). */
  readonly mAP: Readonly<Record<string, number | null>>;
  /** The model's evidence; several: the training seeds of one recipe (its mAP is their mean). */
  readonly seeds: readonly RankedMatches[];
}

export interface RankedModel {
  readonly name: string;
  /** 1-based; equal for models whose difference from the one above is within noise. */
  readonly rank: number;
  readonly groups: Readonly<Record<string, { readonly mAP: number | null; readonly ci: Interval }>>;
  /** Paired Δ (this − the model above it), overall; null for the first. */
  readonly toAbove: Interval | null;
  /** Paired Δ (this − the reference) per group; null without a reference (or for the reference itself). */
  readonly toReference: Readonly<Record<string, Interval>> | null;
}

export interface RankOptions {
  readonly groups: Readonly<Record<string, readonly number[]>>;
  readonly resamples: number;
  readonly seed: number;
  /** Resample whole units (videos) instead of keyframes. */
  readonly units?: Int32Array;
  /** Name of the model every other is paired with. */
  readonly reference?: string;
}

export function rankModels(models: readonly RankInput[], opts: RankOptions): RankedModel[] {
  const sorted = [...models].sort((a, b) => (b.mAP['overall'] ?? -1) - (a.mAP['overall'] ?? -1));
  const ref = opts.reference === undefined ? undefined : models.find((m) => m.name === opts.reference);
  const out: RankedModel[] = [];
  sorted.forEach((m, i) => {
    const groups = Object.fromEntries(Object.entries(opts.groups).map(([g, ids]) => [g, { mAP: m.mAP[g] ?? null, ci: recipeInterval(m.seeds, ids, opts.resamples, opts.seed, opts.units) }]));
    const above = i === 0 ? null : seedClassBootstrap(m.seeds, sorted[i - 1]!.seeds, { overall: opts.groups['overall']! }, opts.resamples, opts.seed, opts.units).groups['overall']!;
    // within noise of the one above (its CI reaches 0): the same rank
    const rank = above === null ? 1 : above.hi >= 0 ? out[i - 1]!.rank : i + 1;
    const toReference = ref === undefined || ref === m ? null : seedClassBootstrap(m.seeds, ref.seeds, opts.groups, opts.resamples, opts.seed, opts.units).groups;
    out.push({ name: m.name, rank, groups, toAbove: above, toReference });
  });
  return out;
}
