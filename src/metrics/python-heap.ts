/**
 * Python `heapq` over `(score, action_id, y1, x1, y2, x2)` tuples, emulated on typed arrays
 * (spec §9.2). The official reader keeps each keyframe's top-50 detections in such a heap and
 * then stable-sorts the heap *array* by descending score; GT boxes go through the same heap
 * (keyed by person id, no cap). Which tied rows survive, and their order, are artefacts of
 * this exact layout, so every push and replace is reproduced step by step.
 *
 * A store holds many heaps side by side: heap h owns positions [base, base + size). Values
 * stay where they were written; `heap` holds their positions (relative to base) in heap order,
 * so a sift step moves one int, not six columns. Each value carries a `tag` (e.g. a row index).
 */
export class TupleHeapStore {
  score!: Float64Array;
  cls!: Int32Array;
  y1!: Float64Array;
  x1!: Float64Array;
  y2!: Float64Array;
  x2!: Float64Array;
  /** Per-value tags (empty for a store made with `tagged: false`). */
  tag!: Int32Array;
  /** Heap arrays: positions relative to each heap's base. */
  heap!: Int32Array;

  /**
   * All columns live in one ArrayBuffer: a big store is then one allocation, which the C
   * allocator maps (and unmaps when freed) by itself. As many smaller arrays they landed in
   * worker-thread malloc arenas, whose freed memory stays resident (the evaluator's peak RSS).
   */
  constructor(
    capacity: number,
    private readonly tagged = true,
  ) {
    this.allocate(capacity);
  }

  private allocate(capacity: number): void {
    const ints = this.tagged ? 3 : 2;
    const buf = new ArrayBuffer(capacity * (5 * 8 + ints * 4));
    const f64 = (i: number) => new Float64Array(buf, i * capacity * 8, capacity);
    const i32 = (i: number) => new Int32Array(buf, 5 * capacity * 8 + i * capacity * 4, this.tagged || i < 2 ? capacity : 0);
    this.score = f64(0);
    this.y1 = f64(1);
    this.x1 = f64(2);
    this.y2 = f64(3);
    this.x2 = f64(4);
    this.cls = i32(0);
    this.heap = i32(1);
    this.tag = i32(2);
  }

  /** Grows to at least `capacity` positions (contents are not kept: for reuse between heaps). */
  reserve(capacity: number): void {
    if (capacity > this.score.length) this.allocate(Math.max(capacity, this.score.length * 2));
  }

  /** Smallest tuple's score (the root) of the heap at `base`. */
  rootScore(base: number): number {
    return this.score[base + this.heap[base]!]!;
  }

  /** `heapq.heappush` onto the heap at `base` holding `n` entries. */
  push(base: number, n: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    this.store(base + n, s, c, y1, x1, y2, x2, tag);
    this.siftDown(base, n, n);
  }

  /**
   * `heapq.heapreplace`: evict the root (the smallest tuple) of the heap at `base` (size `n`) and
   * insert the new tuple in the freed position. The caller checks `s > rootScore(base)`, as the
   * official reader does.
   */
  replaceRoot(base: number, n: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    const heap = this.heap;
    const at = heap[base]!;
    this.store(base + at, s, c, y1, x1, y2, x2, tag);
    // _siftup: move the preferred child up until the hole at the root reaches a leaf
    let pos = 0;
    let child = 1;
    while (child < n) {
      const right = child + 1;
      if (right < n && !this.less(base, heap[base + child]!, heap[base + right]!)) child = right;
      heap[base + pos] = heap[base + child]!;
      pos = child;
      child = 2 * pos + 1;
    }
    this.siftDown(base, pos, at);
  }

  /**
   * Python `sorted(heap, key=lambda t: -t[0])` of the heap at `base`: positions (relative to
   * base) in stable descending-score order over the heap array, written into `out`. Binary
   * insertion: a min-heap is close to ascending, the worst case for plain insertion sort.
   */
  sortedPositions(base: number, n: number, out: Int32Array): void {
    for (let i = 0; i < n; i++) {
      const p = this.heap[base + i]!;
      const sc = this.score[base + p]!;
      let lo = 0;
      let hi = i;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.score[base + out[mid]!]! < sc) hi = mid;
        else lo = mid + 1;
      }
      out.copyWithin(lo + 1, lo, i);
      out[lo] = p;
    }
  }

  private store(at: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number, tag: number): void {
    this.score[at] = s;
    this.cls[at] = c;
    this.y1[at] = y1;
    this.x1[at] = x1;
    this.y2[at] = y2;
    this.x2[at] = x2;
    if (this.tagged) this.tag[at] = tag;
  }

  /** Python _siftdown(heap, 0, pos) for the tuple stored at position `item`. */
  private siftDown(base: number, pos: number, item: number): void {
    const heap = this.heap;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.less(base, item, heap[base + parent]!)) break;
      heap[base + pos] = heap[base + parent]!;
      pos = parent;
    }
    heap[base + pos] = item;
  }

  /** Tuple at position a < tuple at position b (first unequal element decides; NaN is never equal). */
  private less(base: number, a: number, b: number): boolean {
    const i = base + a;
    const j = base + b;
    let x = this.score[i]!;
    let y = this.score[j]!;
    if (x !== y) return x < y;
    x = this.cls[i]!;
    y = this.cls[j]!;
    if (x !== y) return x < y;
    x = this.y1[i]!;
    y = this.y1[j]!;
    if (x !== y) return x < y;
    x = this.x1[i]!;
    y = this.x1[j]!;
    if (x !== y) return x < y;
    x = this.y2[i]!;
    y = this.y2[j]!;
    if (x !== y) return x < y;
    x = this.x2[i]!;
    y = this.x2[j]!;
    return x !== y && x < y;
  }
}
