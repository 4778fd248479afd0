/**
 * Frame-mAP@0.5 (the AVA metric), in three steps like pycocotools' evaluator:
 *
 *   evaluate   — choose the scored keyframes (exclusions, negative-keyframe policy), order
 *                each keyframe's boxes, and match (→ MatchTable: one row per detection);
 *   accumulate — per class: rank, precision/recall, AP (+ tie bounds);
 *   summarize  — mAP = mean AP over classes with GT (numpy nanmean, as the official).
 *
 * Input: GT and detections already read into per-keyframe box lists (src/data readers).
 * Every behavioural choice comes from the EvalPreset (presets.ts); nothing here is tuned.
 */
import type { LabelMap } from '../data/label-map.js';
import { averagePrecision, averagePrecisionTiesFirst } from './average-precision.js';
import { orderDetections, orderGroundTruth, selectKeyframes, type KeyframeBoxes } from './keyframe-boxes.js';
import { matchKeyframes, type MatchTable } from './match.js';
import { numpyNanMean } from './numpy-sum.js';
import type { EvalPreset } from './presets.js';

export interface FrameMapInputs {
  readonly labelMap: LabelMap;
  /** Whitelisted GT rows per keyframe, file order within each keyframe. */
  readonly gt: KeyframeBoxes;
  /** Every key that appears in the GT file, any row kind (the 2020+ "present in GT" rule). */
  readonly gtFileKeys: ReadonlySet<string>;
  /** Whitelisted detections per keyframe, as the reader left them (heap order, or file order), in parts (one per reader thread; no keyframe in two parts). */
  readonly det: readonly KeyframeBoxes[];
  readonly excluded: ReadonlySet<string>;
}

/** Output of `evaluate`: the scored keyframes and one match record per detection. */
export interface Evaluation {
  /** Scored keyframes: detection keyframes in processing order, then GT-only keyframes. */
  readonly keys: readonly string[];
  /** GT boxes aligned with `keys` (what num_gt counts, except under `exclusions: matching-only`). */
  readonly gt: KeyframeBoxes;
  readonly matches: MatchTable;
  /** GT instances per class id (index 0..maxId). */
  readonly numGt: Float64Array;
  /** Keyframes handed to the evaluator, as the official counts them. */
  readonly gtKeyframes: number;
  readonly detKeyframes: number;
  /** Detections dropped as zero-area/inverted, and below the score floor. */
  readonly droppedInvalid: number;
  readonly droppedScoreFloor: number;
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

export function evaluate(inputs: FrameMapInputs, preset: EvalPreset): Evaluation {
  const excl = preset.exclusions === 'ignore' ? new Set<string>() : inputs.excluded;
  const gtKeys = inputs.gt.keys.filter((k) => !excl.has(k));
  const gtKeySet = new Set(gtKeys);
  let detKeys: string[];
  if (preset.negativeKeyframes === 'gt-keyframes') {
    const hasDet = new Set(inputs.det.flatMap((part) => part.keys));
    detKeys = gtKeys.filter((k) => hasDet.has(k)); // MMAction2 walks GT keyframes
  } else if (preset.negativeKeyframes === 'keys-in-gt-file') {
    detKeys = inputs.det.flatMap((part) => part.keys.filter((k) => inputs.gtFileKeys.has(k) && !excl.has(k)));
  } else {
    detKeys = inputs.det.flatMap((part) => part.keys.filter((k) => !excl.has(k)));
  }
  const detKeySet = new Set(detKeys);
  const keys = [...detKeys, ...gtKeys.filter((k) => !detKeySet.has(k))];

  const gt = orderGroundTruth(selectKeyframes([inputs.gt], keys), preset.groundTruthOrder);
  const detAll = selectKeyframes(inputs.det, keys, preset.scoreFloor);
  const droppedScoreFloor = inputs.det.reduce((n, part) => n + part.cls.length, 0) - detAll.cls.length - droppedUnscored(inputs.det, keys);
  const det = orderDetections(detAll, preset.detectionOrder);
  const matches = matchKeyframes(gt, det, {
    iouThreshold: preset.iouThreshold,
    dropInvalid: preset.invalidDetections === 'drop',
    float32: preset.float32,
  });

  const numGt = new Float64Array(inputs.labelMap.maxId + 1);
  const counted = preset.exclusions === 'matching-only' ? inputs.gt : gt;
  for (let i = 0; i < counted.cls.length; i++) numGt[counted.cls[i]!]!++;
  return {
    keys,
    gt,
    matches,
    numGt,
    gtKeyframes: gtKeys.length,
    detKeyframes: detKeys.length,
    droppedInvalid: det.cls.length - matches.length,
    droppedScoreFloor,
  };
}

/** Detection rows of keyframes that are not scored (excluded, or negative where ignored). */
function droppedUnscored(parts: readonly KeyframeBoxes[], scored: readonly string[]): number {
  const keep = new Set(scored);
  let n = 0;
  for (const part of parts) {
    part.keys.forEach((k, g) => {
      if (!keep.has(k)) n += part.start[g + 1]! - part.start[g]!;
    });
  }
  return n;
}

/** Per-class match rows (stable: concatenation order kept), as index lists into the MatchTable. */
export function rowsByClass(matches: MatchTable, maxId: number): Int32Array[] {
  const sizes = new Int32Array(maxId + 1);
  for (let i = 0; i < matches.length; i++) sizes[matches.cls[i]!]!++;
  const out = Array.from(sizes, (n) => new Int32Array(n));
  const fill = new Int32Array(maxId + 1);
  for (let i = 0; i < matches.length; i++) {
    const c = matches.cls[i]!;
    out[c]![fill[c]!++] = i;
  }
  return out;
}

export function accumulate(ev: Evaluation, inputs: FrameMapInputs, preset: EvalPreset, tieBounds: boolean): ClassAp[] {
  const byClass = rowsByClass(ev.matches, inputs.labelMap.maxId);
  return inputs.labelMap.classes.map(({ id, name }) => {
    const rows = byClass[id]!;
    const scores = new Float64Array(rows.length);
    const tp = new Uint8Array(rows.length);
    let numTp = 0;
    for (let j = 0; j < rows.length; j++) {
      scores[j] = ev.matches.score[rows[j]!]!;
      numTp += tp[j] = ev.matches.tp[rows[j]!]!;
    }
    const numGt = ev.numGt[id]!;
    const excludedNoDets = preset.classWithoutDetections === 'excluded' && rows.length === 0;
    const ap = excludedNoDets ? NaN : averagePrecision(scores, tp, numGt);
    const base = { id, name, numGt, numDets: rows.length, numTp, ap };
    if (!tieBounds) return base;
    if (excludedNoDets) return { ...base, apMin: NaN, apMax: NaN };
    return {
      ...base,
      apMin: averagePrecisionTiesFirst(scores, tp, numGt, false),
      apMax: averagePrecisionTiesFirst(scores, tp, numGt, true),
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
