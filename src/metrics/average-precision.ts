/**
 * Per-class average precision (spec §7): rank a class's detections by descending score, walk
 * the ranking (each detection its own point, ties not pooled), make precision monotone, and
 * sum (Δrecall · precision) where recall changes — all-point VOC2010+ interpolation.
 *
 * Tie order among equal scores changes AP. `averagePrecision` uses the official order
 * (`np.argsort(scores)[::-1]`, numpy 1.24 introsort); `averagePrecisionTiesFirst` ranks true
 * positives (or false positives) first among ties, giving the range over all tie orders.
 *
 * Returns NaN for a class without GT (excluded from mAP), 0 for GT without detections.
 */
import { numpyArgsort } from './numpy-argsort.js';
import { numpySum } from './numpy-sum.js';
import { sortFloat64 } from './radix-sort.js';

/** AP of tp flags already in ranked order (best first). */
export function apOfRanking(tpRanked: ArrayLike<number>, numGt: number): number {
  if (!(numGt > 0)) return NaN;
  const n = tpRanked.length;
  if (n === 0) return 0;
  // recall/precision with sentinels: r = [0, ..., 1], p = [0, ..., 0]
  const r = new Float64Array(n + 2);
  const p = new Float64Array(n + 2);
  let cum = 0;
  for (let k = 0; k < n; k++) {
    cum += tpRanked[k]!;
    p[k + 1] = cum / (k + 1);
    r[k + 1] = cum / numGt;
  }
  r[n + 1] = 1;
  for (let i = n; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  const terms = new Float64Array(n + 1);
  let t = 0;
  for (let i = 1; i < n + 2; i++) {
    if (r[i] !== r[i - 1]) terms[t++] = (r[i]! - r[i - 1]!) * p[i]!;
  }
  return numpySum(terms.subarray(0, t));
}

/** Official AP: ranking by `np.argsort(scores)[::-1]`. */
export function averagePrecision(scores: Float64Array, tp: Uint8Array, numGt: number): number {
  return apOfRanking(officialRanking(scores, tp), numGt);
}

/**
 * TP flags in the official rank order. Swapping two tied detections with the same flag
 * changes nothing, so the tie order only matters where a TP and an FP share a score. Fast
 * exact path: sort TP scores and FP scores (radix sort) and merge them; if a TP score equals an
 * FP score (or a score is NaN), rank with the numpy introsort emulation instead.
 */
export function officialRanking(scores: Float64Array, tp: Uint8Array): Uint8Array {
  const n = scores.length;
  let nTp = 0;
  for (let i = 0; i < n; i++) nTp += tp[i]!;
  const tpScores = new Float64Array(nTp);
  const fpScores = new Float64Array(n - nTp);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s !== s) return numpyRanking(scores, tp);
    if (tp[i]) tpScores[a++] = s;
    else fpScores[b++] = s;
  }
  const tpSorted = sortFloat64(tpScores);
  const fpSorted = sortFloat64(fpScores);
  const out = new Uint8Array(n);
  let i = nTp - 1;
  let j = n - nTp - 1;
  let k = 0;
  while (i >= 0 && j >= 0) {
    const x = tpSorted[i]!;
    const y = fpSorted[j]!;
    if (x > y) {
      out[k++] = 1;
      i--;
    } else if (y > x) {
      k++; // out[k] = 0
      j--;
    } else return numpyRanking(scores, tp); // a TP/FP tie (incl. -0 vs +0): order matters
  }
  while (i-- >= 0) out[k++] = 1;
  return out;
}

function numpyRanking(scores: Float64Array, tp: Uint8Array): Uint8Array {
  const order = numpyArgsort(scores);
  const n = order.length;
  const ranked = new Uint8Array(n);
  for (let i = 0; i < n; i++) ranked[i] = tp[order[n - 1 - i]!]!;
  return ranked;
}

/** AP with ties broken in favour of true positives (`tpFirst`) or false positives. */
export function averagePrecisionTiesFirst(scores: Float64Array, tp: Uint8Array, numGt: number, tpFirst: boolean): number {
  const idx = Array.from(scores, (_, i) => i);
  const sign = tpFirst ? -1 : 1;
  idx.sort((a, b) => scores[b]! - scores[a]! || sign * (tp[a]! - tp[b]!));
  return apOfRanking(Uint8Array.from(idx, (i) => tp[i]!), numGt);
}
