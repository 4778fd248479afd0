/**
 * Greedy per-keyframe, per-class matching (spec §6). Input: GT and detection box lists and the
 * keyframes to score (as group indices, so nothing is copied); output one record per
 * detection, in the order the official evaluator concatenates them (keyframe order, then
 * matching order within the keyframe).
 *
 * Rule (VOC devkit, not COCO): a detection takes the GT box of its class with the largest IoU,
 * matched or not (first on exact ties, NaN wins as in np.argmax); it is a true positive only if
 * that IoU >= threshold and that box is still free. No fallback to the second-best box.
 */
import type { KeyframeBoxes } from './keyframe-boxes.js';
import { iou, iouFloat32 } from './iou.js';

/** One row per scored detection (columnar). Cacheable: AP and bootstraps only read it. */
export interface MatchTable {
  readonly length: number;
  /** Index into the list of scored keyframes. */
  readonly keyframe: Int32Array;
  readonly cls: Int32Array;
  readonly score: Float64Array;
  /** 1 = true positive, 0 = false positive. */
  readonly tp: Uint8Array;
}

export interface MatchOptions {
  readonly iouThreshold: number;
  /** Drop zero-area/inverted detections before matching (official); otherwise keep them. */
  readonly dropInvalid: boolean;
  /** Round boxes and scores to float32 (MMAction2). */
  readonly float32: boolean;
  /** Drop detections with score <= this (2018's NMS helper); -Infinity for none. */
  readonly scoreFloor: number;
}

export interface MatchResult extends MatchTable {
  readonly droppedInvalid: number;
  readonly droppedBelowFloor: number;
}

/**
 * Matches detection groups `detGroups[k]` of `det` against GT groups `gtGroups[k]` of `gt`
 * (-1 = no GT) for k = 0..detGroups.length-1; the output's `keyframe` is k.
 */
export function matchKeyframes(
  gt: KeyframeBoxes,
  gtGroups: Int32Array,
  det: KeyframeBoxes,
  detGroups: Int32Array,
  opts: MatchOptions,
): MatchResult {
  let n = 0;
  for (let k = 0; k < detGroups.length; k++) n += det.start[detGroups[k]! + 1]! - det.start[detGroups[k]!]!;
  const keyframe = new Int32Array(n);
  const cls = new Int32Array(n);
  const score = new Float64Array(n);
  const tp = new Uint8Array(n);
  let m = 0;
  let droppedInvalid = 0;
  let droppedBelowFloor = 0;
  const r = opts.float32 ? Math.fround : (x: number) => x;
  const iouFn = opts.float32 ? iouFloat32 : iou;
  const { cls: gc, x1: gx1, y1: gy1, x2: gx2, y2: gy2 } = gt;
  const { cls: dc, score: ds, x1: dx1s, y1: dy1s, x2: dx2s, y2: dy2s } = det;
  let taken = new Uint8Array(64);
  for (let k = 0; k < detGroups.length; k++) {
    const g = gtGroups[k]!;
    const gs = g < 0 ? 0 : gt.start[g]!;
    const ge = g < 0 ? 0 : gt.start[g + 1]!;
    if (ge - gs > taken.length) taken = new Uint8Array(ge - gs);
    taken.fill(0, 0, ge - gs);
    const dg = detGroups[k]!;
    for (let i = det.start[dg]!; i < det.start[dg + 1]!; i++) {
      const s = r(ds[i]!);
      if (!(ds[i]! > opts.scoreFloor)) {
        droppedBelowFloor++;
        continue;
      }
      const dx1 = r(dx1s[i]!);
      const dy1 = r(dy1s[i]!);
      const dx2 = r(dx2s[i]!);
      const dy2 = r(dy2s[i]!);
      if (opts.dropInvalid && !(dy1 < dy2 && dx1 < dx2)) {
        droppedInvalid++;
        continue;
      }
      const c = dc[i]!;
      let best = -1;
      let bestIou = 0;
      for (let j = gs; j < ge; j++) {
        if (gc[j] !== c) continue;
        const v = iouFn(dx1, dy1, dx2, dy2, r(gx1[j]!), r(gy1[j]!), r(gx2[j]!), r(gy2[j]!));
        if (best < 0 || v > bestIou || (v !== v && bestIou === bestIou)) {
          best = j;
          bestIou = v;
        }
        if (v !== v) break; // np.argmax returns the first NaN
      }
      let isTp = 0;
      if (best >= 0 && bestIou >= opts.iouThreshold && taken[best - gs] === 0) {
        taken[best - gs] = 1;
        isTp = 1;
      }
      keyframe[m] = k;
      cls[m] = c;
      score[m] = s;
      tp[m] = isTp;
      m++;
    }
  }
  return {
    length: m,
    keyframe: keyframe.subarray(0, m),
    cls: cls.subarray(0, m),
    score: score.subarray(0, m),
    tp: tp.subarray(0, m),
    droppedInvalid,
    droppedBelowFloor,
  };
}
