/**
 * Per-keyframe box lists (spec §4): GT or detections grouped by keyframe, in the order the
 * evaluator matches them. Plain columnar data in CSR layout:
 *
 *   keys[k]                       keyframe k's key, keyframes in first-appearance order
 *   start[k] .. start[k+1]        its boxes' positions in the columns
 *   cls, score, x1, y1, x2, y2    columns (score = detection score, or GT person id)
 */
import type { RowColumns } from '../data/row-store.js';
import type { DetectionOrder, GroundTruthOrder } from './presets.js';
import { numpyArgsort } from './numpy-argsort.js';
import { TupleHeapStore } from './python-heap.js';

export interface KeyframeBoxes {
  readonly keys: string[];
  readonly start: Int32Array;
  readonly cls: Int32Array;
  readonly score: Float64Array;
  readonly x1: Float64Array;
  readonly y1: Float64Array;
  readonly x2: Float64Array;
  readonly y2: Float64Array;
}

/** Empty columns for `n` boxes over `keys` (start filled by the caller). */
export function allocateBoxes(keys: string[], n: number): KeyframeBoxes {
  return {
    keys,
    start: new Int32Array(keys.length + 1),
    cls: new Int32Array(n),
    score: new Float64Array(n),
    x1: new Float64Array(n),
    y1: new Float64Array(n),
    x2: new Float64Array(n),
    y2: new Float64Array(n),
  };
}

/** The box columns that row stores, box lists and heap stores share. */
export type BoxColumns = Pick<KeyframeBoxes, 'cls' | 'score' | 'x1' | 'y1' | 'x2' | 'y2'>;

/** Copies box `i` of `from` to position `j` of `to`. */
export function copyBox(from: BoxColumns | RowColumns, i: number, to: BoxColumns, j: number): void {
  to.cls[j] = from.cls[i]!;
  to.score[j] = from.score[i]!;
  to.x1[j] = from.x1[i]!;
  to.y1[j] = from.y1[i]!;
  to.x2[j] = from.x2[i]!;
  to.y2[j] = from.y2[i]!;
}

/**
 * Groups stored rows by keyframe (stable: file order within a keyframe), keyframes in order of
 * their first row. `keyNames[row.key]` is the key string.
 */
export function groupRows(rows: RowColumns, keyNames: readonly string[]): KeyframeBoxes {
  const groupOfKey = new Int32Array(keyNames.length).fill(-1);
  const keys: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const k = rows.key[i]!;
    let g = groupOfKey[k]!;
    if (g < 0) {
      g = groupOfKey[k] = keys.length;
      keys.push(keyNames[k]!);
      sizes.push(0);
    }
    sizes[g]!++;
  }
  const out = allocateBoxes(keys, rows.length);
  for (let g = 0; g < keys.length; g++) out.start[g + 1] = out.start[g]! + sizes[g]!;
  const fill = out.start.slice(0, keys.length);
  for (let i = 0; i < rows.length; i++) copyBox(rows, i, out, fill[groupOfKey[rows.key[i]!]!]!++);
  return out;
}

/** Reorders boxes within each keyframe by a permutation function of (start, end) → source indices. */
function reorder(boxes: KeyframeBoxes, orderOf: (s: number, e: number) => ArrayLike<number>): KeyframeBoxes {
  const out = allocateBoxes(boxes.keys, boxes.cls.length);
  out.start.set(boxes.start);
  const { cls, score, x1, y1, x2, y2 } = boxes;
  for (let k = 0; k < boxes.keys.length; k++) {
    const s = boxes.start[k]!;
    const order = orderOf(s, boxes.start[k + 1]!);
    for (let j = 0; j < order.length; j++) {
      const i = order[j]!;
      out.cls[s + j] = cls[i]!;
      out.score[s + j] = score[i]!;
      out.x1[s + j] = x1[i]!;
      out.y1[s + j] = y1[i]!;
      out.x2[s + j] = x2[i]!;
      out.y2[s + j] = y2[i]!;
    }
  }
  return out;
}

/** Stable order by descending score of [s, e). */
function stableDescending(score: Float64Array, s: number, e: number): number[] {
  const idx = Array.from({ length: e - s }, (_, i) => s + i);
  return idx.sort((a, b) => (score[a]! < score[b]! ? 1 : score[b]! < score[a]! ? -1 : 0));
}

/** GT boxes of each keyframe in the preset's order (§4.1); input in file order. */
export function orderGroundTruth(gt: KeyframeBoxes, order: GroundTruthOrder): KeyframeBoxes {
  if (order === 'file') return gt;
  if (order === 'stable-person-id') return reorder(gt, (s, e) => stableDescending(gt.score, s, e));
  // heap-person-id: push every row into a Python heap (no cap), then stable sort by -person_id.
  const heap = new TupleHeapStore(64);
  let sorted = new Int32Array(64);
  return reorder(gt, (s, e) => {
    heap.reserve(e - s);
    if (sorted.length < e - s) sorted = new Int32Array(heap.score.length);
    for (let i = s; i < e; i++) heap.push(0, i - s, gt.score[i]!, gt.cls[i]!, gt.y1[i]!, gt.x1[i]!, gt.y2[i]!, gt.x2[i]!, i);
    heap.sortedPositions(0, e - s, sorted);
    return Array.from(sorted.subarray(0, e - s), (p) => heap.tag[p]!);
  });
}

/**
 * Detections of each keyframe in the preset's matching order (§4.2). `heap` input is already
 * in order (KeyframeTopK.finish); the others arrive in file order.
 */
export function orderDetections(det: KeyframeBoxes, order: DetectionOrder): KeyframeBoxes {
  if (order === 'heap' || order === 'file') return det;
  if (order === 'stable-desc') return reorder(det, (s, e) => stableDescending(det.score, s, e));
  // class-argsort (2018): per class (classes by first appearance), np.argsort(scores)[::-1].
  return reorder(det, (s, e) => {
    const byClass = new Map<number, number[]>();
    for (let i = s; i < e; i++) {
      const c = det.cls[i]!;
      const list = byClass.get(c);
      if (list === undefined) byClass.set(c, [i]);
      else list.push(i);
    }
    const out: number[] = [];
    for (const list of byClass.values()) {
      const sorted = numpyArgsort(Float64Array.from(list, (i) => det.score[i]!));
      for (let j = sorted.length - 1; j >= 0; j--) out.push(list[sorted[j]!]!);
    }
    return out;
  });
}

/**
 * The boxes of `keys`, in that keyframe order, gathered from `parts` (a key absent from all
 * parts gets no boxes; no key may be in two parts), keeping rows with score > `scoreFloor`.
 * Used to align GT with the scored detection keyframes.
 */
export function selectKeyframes(parts: readonly KeyframeBoxes[], keys: readonly string[], scoreFloor = -Infinity): KeyframeBoxes {
  const where = new Map<string, number>(); // key -> group within its part
  const partOf = new Map<string, number>();
  parts.forEach((p, pi) =>
    p.keys.forEach((k, g) => {
      where.set(k, g);
      partOf.set(k, pi);
    }),
  );
  let n = 0;
  for (const k of keys) {
    const g = where.get(k);
    if (g !== undefined) {
      const p = parts[partOf.get(k)!]!;
      n += p.start[g + 1]! - p.start[g]!;
    }
  }
  const out = allocateBoxes([...keys], n);
  const { cls, score, x1, y1, x2, y2 } = out;
  let j = 0;
  for (let idx = 0; idx < keys.length; idx++) {
    const g = where.get(keys[idx]!);
    if (g !== undefined) {
      // columns hoisted into locals: keeps the hot loop's typed-array loads monomorphic
      const p = parts[partOf.get(keys[idx]!)!]!;
      const pc = p.cls, ps = p.score, px1 = p.x1, py1 = p.y1, px2 = p.x2, py2 = p.y2;
      const e = p.start[g + 1]!;
      for (let i = p.start[g]!; i < e; i++) {
        const sc = ps[i]!;
        if (!(sc > scoreFloor)) continue;
        cls[j] = pc[i]!;
        score[j] = sc;
        x1[j] = px1[i]!;
        y1[j] = py1[i]!;
        x2[j] = px2[i]!;
        y2[j] = py2[i]!;
        j++;
      }
    }
    out.start[idx + 1] = j;
  }
  if (j === n) return out;
  const trimmed = allocateBoxes(out.keys, j);
  trimmed.start.set(out.start);
  trimmed.cls.set(out.cls.subarray(0, j));
  for (const col of ['score', 'x1', 'y1', 'x2', 'y2'] as const) trimmed[col].set(out[col].subarray(0, j));
  return trimmed;
}
