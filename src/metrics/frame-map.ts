/**
 * Frame-mAP@0.5 (the AVA metric), in three steps like pycocotools' evaluator:
 *
 *   evaluate   — per part of the prediction file: keep the scored keyframes (exclusions,
 *                negative-keyframe policy), order boxes, match (`matchPart`, runs in reader
 *                threads); then `assemble` the parts in the official keyframe order
 *                (→ Evaluation with a MatchTable: one row per scored detection);
 *   accumulate — per class: rank, precision/recall, AP (+ tie bounds);
 *   summarize  — mAP = mean AP over classes with GT (numpy nanmean, as the official).
 *
 * Every behavioural choice comes from the EvalPreset (presets.ts); nothing here is tuned.
 */
import type { LabelMap } from '../data/label-map.js';
import { apOfRanking, averagePrecisionTiesFirst } from './average-precision.js';
import { groupByClass, rankByClass, type RankedClass } from './rank-detections.js';
import { orderDetections, orderGroundTruth, selectKeyframes, type KeyframeBoxes } from './keyframe-boxes.js';
import { matchKeyframes, type MatchTable } from './match.js';
import { numpyNanMean } from './numpy-sum.js';
import type { EvalPreset } from './presets.js';

/** What every part's matching needs to know besides its own detections (plain, cloneable). */
export interface ScoringContext {
  readonly preset: EvalPreset;
  /** GT of the GT keyframes that are matched (exclusions applied), in the preset's GT order. */
  readonly gt: KeyframeBoxes;
  readonly excluded: readonly string[];
  /** Every key in the GT file, any row kind (the 2020+ "present in GT" rule). */
  readonly gtFileKeys: readonly string[];
}

/** Detection-row counts of a part, by what happened to them after reading. */
export interface DetectionFate {
  /** In excluded keyframes. */
  excludedKeyframe: number;
  /** In keyframes the preset does not score (e.g. absent from the GT file under 2020+ rules). */
  ignoredKeyframe: number;
  /** In scored keyframes without GT: all false positives (2019 rules). */
  negativeKeyframe: number;
  /** Zero-area or inverted boxes, dropped before matching. */
  invalidBox: number;
  /** At or below the preset's score floor (2018). */
  belowScoreFloor: number;
}

/** The matches of one part: scored keyframes of the part, in part order, CSR over the rows. */
export interface PartMatches {
  readonly keys: string[];
  readonly start: Int32Array;
  readonly cls: Int32Array;
  readonly score: Float64Array;
  readonly tp: Uint8Array;
  readonly fate: DetectionFate;
}

export class Scorer {
  private readonly excluded: Set<string>;
  private readonly gtFileKeys: Set<string>;
  /** GT keyframe key -> its group in ctx.gt. */
  private readonly gtGroupOf: Map<string, number>;

  constructor(readonly ctx: ScoringContext) {
    this.excluded = new Set(ctx.preset.exclusions === 'ignore' ? [] : ctx.excluded);
    this.gtFileKeys = new Set(ctx.gtFileKeys);
    this.gtGroupOf = new Map(ctx.gt.keys.map((k, g) => [k, g]));
  }

  isExcluded(key: string): boolean {
    return this.excluded.has(key);
  }

  /** Whether detections on this (non-excluded) keyframe are scored (spec §5). */
  isScored(key: string): boolean {
    switch (this.ctx.preset.negativeKeyframes) {
      case 'all-false-positive':
        return true;
      case 'keys-in-gt-file':
        return this.gtFileKeys.has(key);
      case 'gt-keyframes':
        return this.gtGroupOf.has(key);
    }
  }

  /** Matches runs of keyframes one at a time (each run is built only when the previous one is matched). */
  matchParts(runs: Iterable<KeyframeBoxes>): PartMatches[] {
    return Array.from(runs, (det) => this.matchPart(det));
  }

  /** Selects, orders and matches one part's detections. */
  matchPart(det: KeyframeBoxes): PartMatches {
    const preset = this.ctx.preset;
    const fate: DetectionFate = { excludedKeyframe: 0, ignoredKeyframe: 0, negativeKeyframe: 0, invalidBox: 0, belowScoreFloor: 0 };
    const keys: string[] = [];
    const detGroups: number[] = [];
    const gtGroups: number[] = [];
    det.keys.forEach((k, g) => {
      const n = det.start[g + 1]! - det.start[g]!;
      if (this.isExcluded(k)) fate.excludedKeyframe += n;
      else if (!this.isScored(k)) fate.ignoredKeyframe += n;
      else {
        keys.push(k);
        detGroups.push(g);
        const gtGroup = this.gtGroupOf.get(k) ?? -1;
        gtGroups.push(gtGroup);
        if (gtGroup < 0) fate.negativeKeyframe += n;
      }
    });
    const m = matchKeyframes(this.ctx.gt, Int32Array.from(gtGroups), orderDetections(det, preset.detectionOrder), Int32Array.from(detGroups), {
      iouThreshold: preset.iouThreshold,
      dropInvalid: preset.invalidDetections === 'drop',
      float32: preset.float32,
      scoreFloor: preset.scoreFloor,
    });
    fate.invalidBox = m.droppedInvalid;
    fate.belowScoreFloor = m.droppedBelowFloor;
    const start = new Int32Array(keys.length + 1);
    for (let i = 0; i < m.length; i++) start[m.keyframe[i]! + 1]!++;
    for (let k = 0; k < keys.length; k++) start[k + 1]! += start[k]!;
    return { keys, start, cls: m.cls, score: m.score, tp: m.tp, fate };
  }
}

/** Builds the ScoringContext from all GT rows (file order within keyframes). */
export function scoringContext(preset: EvalPreset, gtAll: KeyframeBoxes, excluded: readonly string[], gtFileKeys: readonly string[]): ScoringContext {
  const excl = new Set(preset.exclusions === 'ignore' ? [] : excluded);
  const gtKeys = gtAll.keys.filter((k) => !excl.has(k));
  const gt = orderGroundTruth(selectKeyframes([gtAll], gtKeys), preset.groundTruthOrder);
  return { preset, gt, excluded, gtFileKeys };
}

/** Output of `evaluate`: the scored keyframes and one match record per detection. */
export interface Evaluation {
  /** Scored keyframes: detection keyframes in processing order, then GT-only keyframes. */
  readonly keys: readonly string[];
  readonly matches: MatchTable;
  /** GT instances per class id (index 0..maxId). */
  readonly numGt: Float64Array;
  /** GT instances per scored keyframe (`keys` order) and class: CSR over (cls) rows, for bootstraps. */
  readonly gtStart: Int32Array;
  readonly gtCls: Int32Array;
  /** Keyframes handed to the evaluator, as the official counts them. */
  readonly gtKeyframes: number;
  readonly detKeyframes: number;
  readonly fate: DetectionFate;
  /** GT rows in excluded keyframes (not counted, except under `exclusions: matching-only`). */
  readonly gtRowsExcluded: number;
}

/** Joins the parts' matches in the official keyframe order. `gtAll` = all GT rows (for num_gt). */
export function assemble(parts: readonly PartMatches[], ctx: ScoringContext, gtAll: KeyframeBoxes, maxId: number): Evaluation {
  const where = new Map<string, [PartMatches, number]>();
  for (const p of parts) p.keys.forEach((k, g) => where.set(k, [p, g]));
  // (plain loops below: per-keyframe subarray() views would allocate ~4 objects per keyframe)
  const detKeys =
    ctx.preset.negativeKeyframes === 'gt-keyframes'
      ? ctx.gt.keys.filter((k) => where.has(k)) // MMAction2 walks the GT keyframes
      : parts.flatMap((p) => p.keys);
  const detSet = new Set(detKeys);
  const keys = [...detKeys, ...ctx.gt.keys.filter((k) => !detSet.has(k))];
  const n = parts.reduce((s, p) => s + p.cls.length, 0);
  const keyframe = new Int32Array(n);
  const cls = new Int32Array(n);
  const score = new Float64Array(n);
  const tp = new Uint8Array(n);
  let j = 0;
  detKeys.forEach((k, idx) => {
    const [p, g] = where.get(k)!;
    const pc = p.cls;
    const ps = p.score;
    const pt = p.tp;
    const e = p.start[g + 1]!;
    for (let i = p.start[g]!; i < e; i++, j++) {
      keyframe[j] = idx;
      cls[j] = pc[i]!;
      score[j] = ps[i]!;
      tp[j] = pt[i]!;
    }
  });
  const fate: DetectionFate = { excludedKeyframe: 0, ignoredKeyframe: 0, negativeKeyframe: 0, invalidBox: 0, belowScoreFloor: 0 };
  for (const p of parts) for (const f of Object.keys(fate) as (keyof DetectionFate)[]) fate[f] += p.fate[f];

  const gtAligned = selectKeyframes([ctx.gt], keys);
  const numGt = new Float64Array(maxId + 1);
  const counted = ctx.preset.exclusions === 'matching-only' ? gtAll : gtAligned;
  for (let i = 0; i < counted.cls.length; i++) numGt[counted.cls[i]!]!++;
  return {
    keys,
    matches: { length: n, keyframe, cls, score, tp },
    numGt,
    gtStart: gtAligned.start,
    gtCls: gtAligned.cls,
    gtKeyframes: ctx.gt.keys.length,
    detKeyframes: detKeys.length,
    fate,
    gtRowsExcluded: gtAll.cls.length - ctx.gt.cls.length,
  };
}

export interface ClassAp {
  readonly id: number;
  readonly name: string;
  readonly numGt: number;
  readonly numDets: number;
  readonly numTp: number;
  /** NaN where the class has no GT (excluded from the mean). */
  readonly ap: number;
  /** Range over tie orders (FPs first, TPs first), when requested. */
  readonly apMin?: number;
  readonly apMax?: number;
}

export interface FrameMapSummary {
  readonly mAP: number;
  readonly mAPRange?: readonly [number, number];
  readonly classes: readonly ClassAp[];
}

/**
 * Per-class AP. `ranked` (rank-detections.ts, the official order up to same-flag ties, which
 * change no AP) is computed once here and kept: paired statistics walk the same ranking.
 * Tie bounds need the scores themselves and use the class-grouped rows.
 */
export function accumulate(ev: Evaluation, labelMap: LabelMap, preset: EvalPreset, tieBounds: boolean, ranked: ReadonlyMap<number, RankedClass> = rankByClass(ev.matches, labelMap.classes.map((c) => c.id))): ClassAp[] {
  const rows = tieBounds ? groupByClass(ev.matches, labelMap.maxId) : null;
  return labelMap.classes.map(({ id, name }) => {
    const tp = ranked.get(id)!.tp;
    let numTp = 0;
    for (let j = 0; j < tp.length; j++) numTp += tp[j]!;
    const numGt = ev.numGt[id]!;
    const excludedNoDets = preset.classWithoutDetections === 'excluded' && tp.length === 0;
    const ap = excludedNoDets ? NaN : apOfRanking(tp, numGt);
    const base = { id, name, numGt, numDets: tp.length, numTp, ap };
    if (rows === null) return base;
    if (excludedNoDets) return { ...base, apMin: NaN, apMax: NaN };
    const scores = rows.score.subarray(rows.start[id]!, rows.start[id + 1]!);
    const tpRows = rows.tp.subarray(rows.start[id]!, rows.start[id + 1]!);
    return {
      ...base,
      apMin: averagePrecisionTiesFirst(scores, tpRows, numGt, false),
      apMax: averagePrecisionTiesFirst(scores, tpRows, numGt, true),
    };
  });
}

/** mAP over classes 1..maxId in id order (ids outside the label map are NaN), numpy nanmean. */
export function summarize(classes: readonly ClassAp[], maxId: number, tieBounds: boolean): FrameMapSummary {
  const meanOf = (pick: (c: ClassAp) => number) => {
    const byId = new Float64Array(maxId).fill(NaN);
    for (const c of classes) byId[c.id - 1] = pick(c);
    return numpyNanMean(byId);
  };
  const mAP = meanOf((c) => c.ap);
  if (!tieBounds) return { mAP, classes };
  return { mAP, mAPRange: [meanOf((c) => c.apMin ?? NaN), meanOf((c) => c.apMax ?? NaN)], classes };
}
