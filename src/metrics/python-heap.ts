/**
 * Python `heapq` over `(score, action_id, y1, x1, y2, x2)` tuples, emulated on typed arrays
 * (spec §9.2). The official reader keeps each keyframe's top-50 detections in such a heap and
 * then stable-sorts the heap *array* by descending score; GT boxes go through the same heap
 * (keyed by person id, no cap). Which tied rows survive, and their order, are artefacts of
 * this exact layout, so it is reproduced step by step rather than with a generic top-K.
 *
 * A store holds many heaps side by side: heap h lives in entries [base, base + size).
 * Each entry carries a `tag` (an int the caller chooses, e.g. the source row index).
 */
export class TupleHeapStore {
  score: Float64Array;
  cls: Int32Array;
  y1: Float64Array;
  x1: Float64Array;
  y2: Float64Array;
  x2: Float64Array;
  tag: Int32Array;

  constructor(capacity: number) {
    this.score = new Float64Array(capacity);
    this.cls = new Int32Array(capacity);
    this.y1 = new Float64Array(capacity);
    this.x1 = new Float64Array(capacity);
    this.y2 = new Float64Array(capacity);
    this.x2 = new Float64Array(capacity);
    this.tag = new Int32Array(capacity);
  }

  get capacity(): number {
    return this.score.length;
  }

  /** Grows the backing arrays to at least `capacity` entries, keeping contents. */
  ensure(capacity: number): void {
    if (capacity <= this.score.length) return;
    const n = Math.max(capacity, this.score.length * 2);
    const f = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.score = f(this.score);
    this.cls = i(this.cls);
    this.y1 = f(this.y1);
    this.x1 = f(this.x1);
    this.y2 = f(this.y2);
    this.x2 = f(this.x2);
    this.tag = i(this.tag);
  }

  /** `heapq.heappush`: heap at `base` of size `n` grows to n + 1. */
  push(base: number, n: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    this.siftDown(base, n, s, c, y1, x1, y2, x2, tag);
  }

  /**
   * `heapq.heapreplace`: evict the root (the smallest tuple) of the heap at `base` (size `n`)
   * and insert the new tuple. The caller checks `s > score[base]` first, as the official does.
   */
  replaceRoot(base: number, n: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    // _siftup: move the preferred child up until the hole at the root reaches a leaf.
    let pos = 0;
    let child = 1;
    while (child < n) {
      const right = child + 1;
      if (right < n && !this.entryLess(base + child, base + right)) child = right;
      this.move(base + child, base + pos);
      pos = child;
      child = 2 * pos + 1;
    }
    this.siftDown(base, pos, s, c, y1, x1, y2, x2, tag);
  }

  /** Python `sorted(heap, key=lambda t: -t[0])`: stable, by descending score, in place. */
  sortDescending(base: number, n: number): void {
    for (let i = 1; i < n; i++) {
      const s = this.score[base + i]!;
      if (!(this.score[base + i - 1]! < s)) continue;
      const c = this.cls[base + i]!;
      const y1 = this.y1[base + i]!;
      const x1 = this.x1[base + i]!;
      const y2 = this.y2[base + i]!;
      const x2 = this.x2[base + i]!;
      const tag = this.tag[base + i]!;
      let j = i;
      while (j > 0 && this.score[base + j - 1]! < s) {
        this.move(base + j - 1, base + j);
        j--;
      }
      this.set(base + j, s, c, y1, x1, y2, x2, tag);
    }
  }

  /** _siftdown(heap, 0, pos) with the new item destined for `pos`. */
  private siftDown(base: number, pos: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.itemLess(base + parent, s, c, y1, x1, y2, x2)) break;
      this.move(base + parent, base + pos);
      pos = parent;
    }
    this.set(base + pos, s, c, y1, x1, y2, x2, tag);
  }

  /** new tuple < entry p (Python tuple order: first unequal element decides; NaN never equal). */
  private itemLess(p: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number): boolean {
    let b = this.score[p]!;
    if (s !== b) return s < b;
    b = this.cls[p]!;
    if (c !== b) return c < b;
    b = this.y1[p]!;
    if (y1 !== b) return y1 < b;
    b = this.x1[p]!;
    if (x1 !== b) return x1 < b;
    b = this.y2[p]!;
    if (y2 !== b) return y2 < b;
    b = this.x2[p]!;
    return x2 !== b && x2 < b;
  }

  private entryLess(a: number, b: number): boolean {
    return this.itemLess(b, this.score[a]!, this.cls[a]!, this.y1[a]!, this.x1[a]!, this.y2[a]!, this.x2[a]!);
  }

  private move(from: number, to: number): void {
    this.score[to] = this.score[from]!;
    this.cls[to] = this.cls[from]!;
    this.y1[to] = this.y1[from]!;
    this.x1[to] = this.x1[from]!;
    this.y2[to] = this.y2[from]!;
    this.x2[to] = this.x2[from]!;
    this.tag[to] = this.tag[from]!;
  }

  private set(p: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    this.score[p] = s;
    this.cls[p] = c;
    this.y1[p] = y1;
    this.x1[p] = x1;
    this.y2[p] = y2;
    this.x2[p] = x2;
    this.tag[p] = tag;
  }
}
