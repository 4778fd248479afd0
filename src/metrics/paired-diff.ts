/**
 * The paired comparison of two evaluated prediction sets on the same GT, without a verdict:
 * per class and per group (overall, head, mid, tail, …) Δ AP = B − A with a paired bootstrap
 * 95% CI over keyframes, or over videos (keyframes of one video are correlated; resampling
 * whole videos gives wider, more honest intervals). Input: each side's result document and its
 * per-keyframe evidence; output: plain records for the reports.
 */
import { pairedClassBootstrap, videoUnits, type Interval, type RankedMatches } from './bootstrap.js';
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
  readonly groups: readonly GroupDelta[];
  readonly classes: readonly ClassDelta[];
}

export interface DiffSide {
  readonly doc: EvalResultDoc;
  readonly ranked: RankedMatches;
}

/** Δ = B − A per class and per group of A's grouping (both sides share GT, so groups agree on classes with GT). */
export function pairedDiff(a: DiffSide, b: DiffSide, opts: { by: ResampleUnit; resamples: number; seed: number }): PairedDiff {
  const ids = a.doc.perClass.map((c) => c.id);
  const groups: Record<string, number[]> = { overall: ids };
  for (const [g, s] of Object.entries(a.doc.groups)) groups[g] = s.classes;
  const units = opts.by === 'video' ? videoUnits(a.ranked.keys) : undefined;
  const boot = pairedClassBootstrap(b.ranked, a.ranked, groups, opts.resamples, opts.seed, units);
  const apB = new Map(b.doc.perClass.map((c) => [c.id, c.ap]));
  const groupMap = (d: EvalResultDoc, g: string) => (g === 'overall' ? d.mAP : (d.groups[g]?.mAP ?? null));
  return {
    by: opts.by,
    units: units === undefined ? a.ranked.keys.length : new Set(units).size,
    keyframes: a.ranked.keys.length,
    resamples: opts.resamples,
    seed: opts.seed,
    groups: Object.keys(groups).map((g) => ({
      group: g,
      classesWithGt: g === 'overall' ? a.doc.perClass.filter((c) => c.numGt > 0).length : a.doc.groups[g]!.classesWithGt,
      mapA: groupMap(a.doc, g),
      mapB: groupMap(b.doc, g),
      delta: boot.groups[g]!,
    })),
    classes: a.doc.perClass.map((c) => ({ id: c.id, name: c.name, group: c.group, trainCount: c.trainCount, numGt: c.numGt, apA: c.ap, apB: apB.get(c.id) ?? null, delta: boot.classes.get(c.id) ?? null })),
  };
}
