/**
 * Greedy per-keyframe, per-class matching (spec §6): input aligned GT and detection box lists
 * (keyframe k of `gt` and of `det` is the same keyframe), output one record per detection,
 * in the order the official evaluator concatenates them (keyframe order, then matching order).
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
  /** Index into the aligned keyframe list. */
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
}

export function matchKeyframes(gt: KeyframeBoxes, det: KeyframeBoxes, opts: MatchOptions): MatchTable {
  const n = det.cls.length;
  const keyframe = new Int32Array(n);
  const cls = new Int32Array(n);
  const score = new Float64Array(n);
  const tp = new Uint8Array(n);
  let m = 0;
  const r = opts.float32 ? Math.fround : (x: number) => x;
  const iouFn = opts.float32 ? iouFloat32 : iou;
  let taken = new Uint8Array(64);
  for (let k = 0; k < det.keys.length; k++) {
    const gs = gt.start[k]!;
    const ge = gt.start[k + 1]!;
    if (ge - gs > taken.length) taken = new Uint8Array(ge - gs);
    taken.fill(0, 0, ge - gs);
    for (let i = det.start[k]!; i < det.start[k + 1]!; i++) {
      const dx1 = r(det.x1[i]!);
      const dy1 = r(det.y1[i]!);
      const dx2 = r(det.x2[i]!);
      const dy2 = r(det.y2[i]!);
      if (opts.dropInvalid && !(dy1 < dy2 && dx1 < dx2)) continue;
      const c = det.cls[i]!;
      let best = -1;
      let bestIou = 0;
      for (let j = gs; j < ge; j++) {
        if (gt.cls[j] !== c) continue;
        const v = iouFn(dx1, dy1, dx2, dy2, r(gt.x1[j]!), r(gt.y1[j]!), r(gt.x2[j]!), r(gt.y2[j]!));
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
      score[m] = r(det.score[i]!);
      tp[m] = isTp;
      m++;
    }
  }
  return { length: m, keyframe: keyframe.subarray(0, m), cls: cls.subarray(0, m), score: score.subarray(0, m), tp: tp.subarray(0, m) };
}
