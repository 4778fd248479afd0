/**
 * Each class's detections in rank order (descending score), as the keyframe index and TP flag
 * of each — what paired bootstraps walk. Equivalent to the official `np.argsort(scores)[::-1]`
 * for every statistic over the ranking: swapping two tied detections with the *same* TP flag
 * changes no AP, even with keyframe multiplicities (the walk sees the same flag sequence), so
 * only TP/FP ties need the official tie order; a class that has one falls back to the numpy
 * introsort emulation. Otherwise a stable bucket sort of the scores (argsortFloat64).
 */
import type { MatchTable } from './match.js';
import { numpyArgsort } from './numpy-argsort.js';

export interface RankedClass {
  readonly kf: Int32Array;
  readonly tp: Uint8Array;
}

const SMALL = 2048; // below this a plain comparison sort is as fast as bucketing

/**
 * Indices that sort `v` (no NaN) ascending; stable (equal values keep index order; -0 and +0
 * count as equal). A bucket sort over the value range: the map x → ⌊(x − min)·scale⌋ is
 * monotone in IEEE arithmetic, so buckets are in order and each is sorted on its own — one
 * counting pass and short insertion sorts for the near-uniform score distributions of
 * detectors, about twice as fast here as a 4-pass LSD radix sort. A bucket that comes out
 * large (clustered or tied scores) is sorted with a comparison sort instead.
 */
export function argsortFloat64(v: Float64Array): Uint32Array {
  const n = v.length;
  const byValue = (a: number, b: number) => v[a]! - v[b]! || a - b;
  const out = new Uint32Array(n);
  if (n < SMALL) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out.sort(byValue);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const buckets = n;
  const scale = max > min ? buckets / (max - min) : 0;
  const bucketOf = new Uint32Array(n);
  const start = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor((v[i]! - min) * scale));
    bucketOf[i] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, buckets);
  for (let i = 0; i < n; i++) out[fill[bucketOf[i]!]!++] = i; // index order within a bucket: stable
  for (let b = 0; b < buckets; b++) {
    const lo = start[b]!;
    const hi = start[b + 1]!;
    if (hi - lo < 2) continue;
    if (hi - lo > 64) {
      out.subarray(lo, hi).sort(byValue);
      continue;
    }
    for (let i = lo + 1; i < hi; i++) {
      const x = out[i]!;
      const xv = v[x]!;
      let j = i - 1;
      // strictly greater moves right: equal values keep their (index) order
      while (j >= lo && v[out[j]!]! > xv) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = x;
    }
  }
  return out;
}

/** One class's detections (score, keyframe, TP in table order) in rank order. */
function rankClass(scores: Float64Array, kfRows: Int32Array, tpRows: Uint8Array): RankedClass {
  const n = scores.length;
  let nan = false;
  for (let i = 0; i < n && !nan; i++) nan = scores[i] !== scores[i];
  let order: ArrayLike<number> = nan ? numpyArgsort(scores) : argsortFloat64(scores);
  if (!nan) {
    // a TP and an FP with equal scores (incl. -0 vs +0): their order matters, use the official one
    for (let i = 1; i < n; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      if (scores[a] === scores[b] && tpRows[a] !== tpRows[b]) {
        order = numpyArgsort(scores);
        break;
      }
    }
  }
  const kf = new Int32Array(n);
  const tp = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const o = order[n - 1 - j]!;
    kf[j] = kfRows[o]!;
    tp[j] = tpRows[o]!;
  }
  return { kf, tp };
}

/** Match rows grouped by class, table order kept within a class (CSR over class ids 0..maxId). */
export interface ClassRows {
  /** Rows of class c are start[c] .. start[c+1]. */
  readonly start: Uint32Array;
  readonly score: Float64Array;
  readonly keyframe: Int32Array;
  readonly tp: Uint8Array;
}

/** One sequential pass over the table (per-class gathers from a 2.9M-row table were cache misses). */
export function groupByClass(m: MatchTable, maxId: number): ClassRows {
  let top = maxId;
  for (let i = 0; i < m.length; i++) top = Math.max(top, m.cls[i]!);
  const start = new Uint32Array(top + 2);
  for (let i = 0; i < m.length; i++) start[m.cls[i]! + 1]!++;
  for (let c = 0; c <= top; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, top + 1);
  const score = new Float64Array(m.length);
  const keyframe = new Int32Array(m.length);
  const tp = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) {
    const at = fill[m.cls[i]!]!++;
    score[at] = m.score[i]!;
    keyframe[at] = m.keyframe[i]!;
    tp[at] = m.tp[i]!;
  }
  return { start, score, keyframe, tp };
}

/** Every class of `classIds` in rank order (absent ones get empty rankings). */
export function rankByClass(m: MatchTable, classIds: readonly number[]): Map<number, RankedClass> {
  const rows = groupByClass(m, Math.max(0, ...classIds));
  const slice = <T extends Float64Array | Int32Array | Uint8Array>(a: T, id: number) => a.subarray(rows.start[id] ?? 0, rows.start[id + 1] ?? 0) as T;
  return new Map(classIds.map((id) => [id, rankClass(slice(rows.score, id), slice(rows.keyframe, id), slice(rows.tp, id))]));
}
