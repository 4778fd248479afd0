/**
 * The official reader's per-keyframe detection cap (spec §4.2, §9.2): a RowSink that keeps,
 * for each keyframe, the top `cap` whitelisted rows over all classes, in exactly the layout of
 * Python's `heapq` over `(score, action_id, y1, x1, y2, x2)` tuples. Which tied rows survive,
 * and their final order (a stable sort of the heap *array* by descending score), are
 * artefacts of that layout, so every push and replace is reproduced step by step.
 *
 * Memory is O(keyframes × cap) whatever the file size: this is what lets a 1.2 GB prediction
 * file be evaluated in a few hundred MB. Storage: fixed pages of PAGE_SLOTS keyframes (no
 * copying on growth); within a keyframe's region, values stay where they were written and the
 * heap array (`heap`) holds their positions, so a sift step moves one int, not six columns.
 *
 * Keyframes get a dense slot in order of their first whitelisted row (the official keyframe
 * order, §6.5).
 */
import type { RowSink } from '../data/ava-csv-scanner.js';
import type { KeyframeBoxes } from './keyframe-boxes.js';

const PAGE_SLOTS = 4096;

interface Page {
  score: Float64Array;
  cls: Int32Array;
  y1: Float64Array;
  x1: Float64Array;
  y2: Float64Array;
  x2: Float64Array;
  /** Heap array: positions (0..cap-1) into the keyframe's value region. */
  heap: Int32Array;
}

export class KeyframeTopK implements RowSink {
  /** Key index (scanner KeyTable) of each slot, in slot order. */
  private keyOfSlot: number[] = [];
  /** Entries used in each slot's heap. */
  private count = new Int32Array(PAGE_SLOTS);
  private slotOfKey = new Int32Array(1024).fill(-1);
  private readonly pages: Page[] = [];
  // The current keyframe (rows usually arrive grouped by keyframe).
  private curKey = -1;
  private curSlot = -1;
  private base = 0;
  private pg!: Page;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new Error('KeyframeTopK needs cap >= 1');
  }

  get slots(): number {
    return this.keyOfSlot.length;
  }

  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void {
    if (key !== this.curKey) this.select(key);
    const pg = this.pg;
    const base = this.base;
    const n = this.count[this.curSlot]!;
    if (n < this.cap) {
      // heappush: the new tuple is stored at position n, then sifted down from the end
      this.store(base + n, score, cls, y1, x1, y2, x2);
      this.siftDown(n, n);
      this.count[this.curSlot] = n + 1;
    } else if (score > pg.score[base + pg.heap[base]!]!) {
      // heapreplace: the evicted root's storage takes the new tuple
      const at = pg.heap[base]!;
      this.store(base + at, score, cls, y1, x1, y2, x2);
      // _siftup: move the preferred child up until the hole at the root reaches a leaf
      const heap = pg.heap;
      let pos = 0;
      let child = 1;
      while (child < n) {
        const right = child + 1;
        if (right < n && !this.less(heap[base + child]!, heap[base + right]!)) child = right;
        heap[base + pos] = heap[base + child]!;
        pos = child;
        child = 2 * pos + 1;
      }
      this.siftDown(pos, at);
    }
  }

  /** The kept rows, each keyframe's sorted by descending score (stable over the heap array). Call once: it releases the heaps. */
  toBoxes(keyNames: readonly string[]): KeyframeBoxes {
    const slots = this.slots;
    let total = 0;
    for (let s = 0; s < slots; s++) total += this.count[s]!;
    const out: KeyframeBoxes = {
      keys: this.keyOfSlot.map((k) => keyNames[k]!),
      start: new Int32Array(slots + 1),
      cls: new Int32Array(total),
      score: new Float64Array(total),
      x1: new Float64Array(total),
      y1: new Float64Array(total),
      x2: new Float64Array(total),
      y2: new Float64Array(total),
    };
    const order = new Int32Array(this.cap);
    let j = 0;
    for (let s = 0; s < slots; s++) {
      const pg = this.pages[Math.floor(s / PAGE_SLOTS)]!;
      const base = (s % PAGE_SLOTS) * this.cap;
      const n = this.count[s]!;
      // stable binary-insertion sort of the heap array by descending score (a min-heap is
      // close to ascending, the worst case for plain insertion sort)
      for (let i = 0; i < n; i++) {
        const p = pg.heap[base + i]!;
        const sc = pg.score[base + p]!;
        let lo = 0;
        let hi = i;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (pg.score[base + order[mid]!]! < sc) hi = mid;
          else lo = mid + 1;
        }
        order.copyWithin(lo + 1, lo, i);
        order[lo] = p;
      }
      for (let i = 0; i < n; i++, j++) {
        const at = base + order[i]!;
        out.cls[j] = pg.cls[at]!;
        out.score[j] = pg.score[at]!;
        out.x1[j] = pg.x1[at]!;
        out.y1[j] = pg.y1[at]!;
        out.x2[j] = pg.x2[at]!;
        out.y2[j] = pg.y2[at]!;
      }
      out.start[s + 1] = j;
    }
    this.pages.length = 0; // the heaps are spent: let their memory go before matching starts
    this.curKey = -1;
    return out;
  }

  private select(key: number): void {
    if (key >= this.slotOfKey.length) {
      const grown = new Int32Array(Math.max(key + 1, this.slotOfKey.length * 2)).fill(-1);
      grown.set(this.slotOfKey);
      this.slotOfKey = grown;
    }
    let slot = this.slotOfKey[key]!;
    if (slot < 0) {
      slot = this.keyOfSlot.length;
      this.keyOfSlot.push(key);
      this.slotOfKey[key] = slot;
      if (slot % PAGE_SLOTS === 0) this.pages.push(newPage(PAGE_SLOTS * this.cap));
      if (slot >= this.count.length) {
        const c = new Int32Array(this.count.length * 2);
        c.set(this.count);
        this.count = c;
      }
    }
    this.curKey = key;
    this.curSlot = slot;
    this.pg = this.pages[Math.floor(slot / PAGE_SLOTS)]!;
    this.base = (slot % PAGE_SLOTS) * this.cap;
  }

  private store(at: number, s: number, c: number, y1: number, x1: number, y2: number, x2: number): void {
    const pg = this.pg;
    pg.score[at] = s;
    pg.cls[at] = c;
    pg.y1[at] = y1;
    pg.x1[at] = x1;
    pg.y2[at] = y2;
    pg.x2[at] = x2;
  }

  /** Python _siftdown(heap, 0, pos) for the tuple stored at position `item`. */
  private siftDown(pos: number, item: number): void {
    const heap = this.pg.heap;
    const base = this.base;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.less(item, heap[base + parent]!)) break;
      heap[base + pos] = heap[base + parent]!;
      pos = parent;
    }
    heap[base + pos] = item;
  }

  /** Tuple at position a < tuple at position b (first unequal element decides; NaN is never equal). */
  private less(a: number, b: number): boolean {
    const pg = this.pg;
    const i = this.base + a;
    const j = this.base + b;
    let x = pg.score[i]!;
    let y = pg.score[j]!;
    if (x !== y) return x < y;
    x = pg.cls[i]!;
    y = pg.cls[j]!;
    if (x !== y) return x < y;
    x = pg.y1[i]!;
    y = pg.y1[j]!;
    if (x !== y) return x < y;
    x = pg.x1[i]!;
    y = pg.x1[j]!;
    if (x !== y) return x < y;
    x = pg.y2[i]!;
    y = pg.y2[j]!;
    if (x !== y) return x < y;
    x = pg.x2[i]!;
    y = pg.x2[j]!;
    return x !== y && x < y;
  }
}

function newPage(n: number): Page {
  return {
    score: new Float64Array(n),
    cls: new Int32Array(n),
    y1: new Float64Array(n),
    x1: new Float64Array(n),
    y2: new Float64Array(n),
    x2: new Float64Array(n),
    heap: new Int32Array(n),
  };
}
