/**
 * The paired comparison of two evaluated prediction sets on the same GT, without a verdict:
 * per class and per group (overall, head, mid, tail, …) Δ AP = B − A with a paired bootstrap
 * 95% CI over keyframes, or over videos (keyframes of one video are correlated; resampling
 * whole videos gives wider, more honest intervals). Input: each side's result document and its
 * per-keyframe evidence; output: plain records for the reports.
 */
import { seedClassBootstrap, videoUnits, type Interval, type RankedMatches } from './bootstrap.js';
import type { EvalResultDoc } from '../reports/result-doc.js';

export type ResampleUnit = 'keyframe' | 'video';


export interface ClassDelta {
  readonly id: number;
  readonly name: string;
  readonly group: string;
  /** Training count when the results had one; else null (see `PairedDiff.countsSource`). */
  readonly trainCount: number | null;
  readonly numGt: number;
  readonly apA: number | null;
  readonly apB: number | null;
  /** B − A; null for a class without GT. */
  readonly delta: Interval | null;
}

export interface GroupDelta {
  readonly group: string;
  readonly classesWithGt: number;
  readonly mapA: number | null;
  readonly mapB: number | null;
  readonly delta: Interval;
}

export interface PairedDiff {
  readonly by: ResampleUnit;
  /** Number of resampling units (keyframes or videos). */
  readonly units: number;
  readonly keyframes: number;
  readonly resamples: number;
  readonly seed: number;
  /** Results (training seeds) per side; with one each, the intervals cover test-set noise only. */
  readonly seeds: { readonly a: number; readonly b: number };
  readonly groups: readonly GroupDelta[];
  readonly classes: readonly ClassDelta[];
}

export interface DiffSide {
  readonly doc: EvalResultDoc;
  readonly ranked: RankedMatches;
}

/**
 * Δ = B − A per class and per group of A's grouping (both sides share GT, so groups agree on
 * classes with GT). A side given as several results is one recipe's training seeds: its numbers
 * are the means over them, and the interval resamples seeds too (bootstrap.ts seedClassBootstrap).
 */
export function pairedDiff(aSide: DiffSide | readonly DiffSide[], bSide: DiffSide | readonly DiffSide[], opts: { by: ResampleUnit; resamples: number; seed: number }): PairedDiff {
  const as: readonly DiffSide[] = Array.isArray(aSide) ? (aSide as readonly DiffSide[]) : [aSide as DiffSide];
  const bs: readonly DiffSide[] = Array.isArray(bSide) ? (bSide as readonly DiffSide[]) : [bSide as DiffSide];
  const a = as[0]!;
  const ids = a.doc.perClass.map((c) => c.id);
  const groups: Record<string, number[]> = { overall: ids };
  for (const [g, s] of Object.entries(a.doc.groups)) groups[g] = s.classes;
  const units = opts.by === 'video' ? videoUnits(a.ranked.keys) : undefined;
  const boot = seedClassBootstrap(bs.map((s) => s.ranked), as.map((s) => s.ranked), groups, opts.resamples, opts.seed, units);
  const mean = (xs: readonly (number | null)[]) => (xs.some((x) => x === null) ? null : (xs as number[]).reduce((s, x) => s + x, 0) / xs.length);
  const classAp = (side: readonly DiffSide[], id: number) => mean(side.map((s) => s.doc.perClass.find((c) => c.id === id)?.ap ?? null));
  const groupMap = (side: readonly DiffSide[], g: string) => mean(side.map((s) => (g === 'overall' ? s.doc.mAP : (s.doc.groups[g]?.mAP ?? null))));
  return {
    by: opts.by,
    units: units === undefined ? a.ranked.keys.length : new Set(units).size,
    keyframes: a.ranked.keys.length,
    resamples: opts.resamples,
    seed: opts.seed,
    seeds: { a: as.length, b: bs.length },
    groups: Object.keys(groups).map((g) => ({
      group: g,
      classesWithGt: g === 'overall' ? a.doc.perClass.filter((c) => c.numGt > 0).length : a.doc.groups[g]!.classesWithGt,
      mapA: groupMap(as, g),
      mapB: groupMap(bs, g),
      delta: boot.groups[g]!,
    })),
    classes: a.doc.perClass.map((c) => ({ id: c.id, name: c.name, group: c.group, trainCount: c.trainCount, numGt: c.numGt, apA: classAp(as, c.id), apB: classAp(bs, c.id), delta: boot.classes.get(c.id) ?? null })),
  };
}
