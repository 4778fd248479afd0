/**
 * The official reader's per-keyframe detection cap (spec §4.2): a RowSink that keeps, for each
 * keyframe, the top `cap` whitelisted rows over all classes in a Python-heapq layout
 * (python-heap.ts), then orders them as the official does.
 *
 * Memory is O(keyframes × cap) whatever the file size: this is what lets a 1.2 GB prediction
 * file be evaluated in a few hundred MB. Storage is in fixed pages of about PAGE_POSITIONS
 * rows (no copying on growth), each one allocation of ~50 MB of address space, resident only
 * as far as it is filled. Keyframes get a dense slot in order of their first whitelisted row
 * (the official keyframe order, §6.5).
 */
import type { RowSink } from '../data/ava-csv-scanner.js';
import { copyBox, type BoxColumns, type KeyframeBoxes } from './keyframe-boxes.js';
import { TupleHeapStore } from './python-heap.js';

/** Rows per page: 48 B each, so a page is one allocation above glibc's largest mmap threshold (32 MB). */
const PAGE_POSITIONS = 1 << 20;

export class KeyframeTopK implements RowSink {
  private keyOfSlot: number[] = [];
  private count: Int32Array;
  private slotOfKey = new Int32Array(1024).fill(-1);
  private readonly pages: (TupleHeapStore | null)[] = [];
  // The current keyframe (rows usually arrive grouped by keyframe).
  private curKey = -1;
  private curSlot = -1;
  private base = 0;
  private page!: TupleHeapStore;

  /** Keyframes per page. */
  private readonly pageSlots: number;

  /** `pagePositions`: rows per page (smaller only in tests, to exercise many pages). */
  constructor(
    readonly cap: number,
    pagePositions = PAGE_POSITIONS,
  ) {
    if (!(cap >= 1)) throw new Error('KeyframeTopK needs cap >= 1');
    this.pageSlots = Math.max(1, Math.floor(pagePositions / cap));
    this.count = new Int32Array(this.pageSlots);
  }

  get slots(): number {
    return this.keyOfSlot.length;
  }

  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void {
    if (key !== this.curKey) this.select(key);
    const n = this.count[this.curSlot]!;
    if (n < this.cap) {
      this.page.push(this.base, n, score, cls, y1, x1, y2, x2, 0);
      this.count[this.curSlot] = n + 1;
    } else if (score > this.page.rootScore(this.base)) {
      this.page.replaceRoot(this.base, n, score, cls, y1, x1, y2, x2, 0);
    }
  }

  /** Keyframe keys in slot order (order of their first whitelisted row). */
  keys(keyNames: readonly string[]): string[] {
    return this.keyOfSlot.map((k) => keyNames[k]!);
  }

  /**
   * The kept rows, one KeyframeBoxes per page of consecutive keyframes, each keyframe's rows in
   * the official order. The boxes are views on the page itself, compacted in place — no copy:
   * the heaps and a copy of them at once were the evaluator's memory peak (~130 MB at AVA
   * scale). A page is released once its boxes are dropped. Call once.
   */
  *drain(keyNames: readonly string[]): Generator<KeyframeBoxes> {
    const cap = this.cap;
    const order = new Int32Array(cap);
    const tmp: BoxColumns = { score: new Float64Array(cap), cls: new Int32Array(cap), x1: new Float64Array(cap), y1: new Float64Array(cap), x2: new Float64Array(cap), y2: new Float64Array(cap) };
    const keys = this.keys(keyNames);
    for (let p = 0; p < this.pages.length; p++) {
      const first = p * this.pageSlots;
      const last = Math.min(this.slots, first + this.pageSlots);
      const pg = this.pages[p]!;
      this.pages[p] = null;
      const start = new Int32Array(last - first + 1);
      let j = 0;
      for (let s = first; s < last; s++) {
        const base = (s - first) * cap;
        const n = this.count[s]!;
        pg.sortedPositions(base, n, order);
        // through a scratch copy: the compacted run [j, j+n) may overlap this heap's [base, base+n)
        for (let i = 0; i < n; i++) copyBox(pg, base + order[i]!, tmp, i);
        for (let i = 0; i < n; i++) copyBox(tmp, i, pg, j + i);
        j += n;
        start[s - first + 1] = j;
      }
      yield { keys: keys.slice(first, last), start, cls: pg.cls.subarray(0, j), score: pg.score.subarray(0, j), x1: pg.x1.subarray(0, j), y1: pg.y1.subarray(0, j), x2: pg.x2.subarray(0, j), y2: pg.y2.subarray(0, j) };
    }
    this.pages.length = 0;
    this.curKey = -1;
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
      if (slot % this.pageSlots === 0) this.pages.push(new TupleHeapStore(this.pageSlots * this.cap, false));
      if (slot >= this.count.length) {
        const c = new Int32Array(this.count.length * 2);
        c.set(this.count);
        this.count = c;
      }
    }
    this.curKey = key;
    this.curSlot = slot;
    this.page = this.pages[Math.floor(slot / this.pageSlots)]!;
    this.base = (slot % this.pageSlots) * this.cap;
  }
}
